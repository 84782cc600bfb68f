using System;
using System.Linq;
using P2PDma.P2P;
using P2PDma.Pci;
using P2PDma.Pci.Description;

namespace P2PDma.Tests;

/// <summary>
/// How a description says which root-bus device the P2PDMA allowlist checks (<c>host-function</c>) and what the
/// host bridge's bus DMA limit is (<c>dma-limit</c>): parsing, errors, the builder and the round trip.
/// </summary>
public sealed class HostBridgeIdentityTests
{
    private static string Lines(params string[] lines) => string.Join("\n", lines);

    [Fact]
    public void HostFunctionNo_FreesSlot0_AndTheFirstRootPortIsChecked()
    {
        PciTopology t = PciTopology.Parse(Lines(
            "host-bridge hb0 host-function=no vendor=0x1234 device=0x5678",
            "root-port rp0 parent=hb0 slot=0 vendor=0x8086 device=0x2030",
            "root-port rp1 parent=hb0",
            "endpoint gpu parent=rp0",
            "endpoint nic parent=rp1"));

        PciHostBridge hb = t.HostBridge("hb0");
        Assert.False(hb.HasHostFunction);
        Assert.Equal(new PciBdf(0, 0, 0, 0), t.Device("rp0").Bdf);
        Assert.Equal(((ushort)0x8086, (ushort)0x2030), hb.AllowlistIdentity);
        Assert.True(HostBridgeAllowlist.Allows(t.Device("gpu"), t.Device("nic")));
        Assert.Contains("no host function", hb.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void HostFunctionDefault_IsTheIdentity_AndSlot0OfTheRootBusIsTaken()
    {
        TopologyException ex = Assert.Throws<TopologyException>(() => PciTopology.Parse(Lines(
            "host-bridge hb0 vendor=0x8086 device=0x2020",
            "root-port rp0 parent=hb0 slot=0")));

        TopologyError error = Assert.Single(ex.Errors);
        Assert.Equal((2, "slot"), (error.Line, error.Field));
        Assert.Contains("is the host bridge function of 'hb0'", error.Message, StringComparison.Ordinal);

        PciTopology ok = PciTopology.Parse(Lines("host-bridge hb0 vendor=0x8086 device=0x2020", "endpoint ie parent=hb0 slot=0 function=1"));
        Assert.Equal(((ushort)0x8086, (ushort)0x2020), ok.HostBridge("hb0").AllowlistIdentity);
        Assert.Equal(new PciBdf(0, 0, 0, 1), ok.Device("ie").Bdf); // a further function of the host bridge device
    }

    [Fact]
    public void NoHostFunction_AndNoRootPortOrDevfn00_0_First_HasNoIdentity()
    {
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.HostFunction(false))
            .Endpoint("ie", "hb0", f => f.Identity(0x8086, 0x2030))
            .RootPort("rp0", "hb0", f => f.Identity(0x8086, 0x2030))
            .Build();

        Assert.Null(t.HostBridge("hb0").AllowlistIdentity);
    }

    [Fact]
    public void DmaLimit_IsParsed_AndBadValuesAreReported()
    {
        PciTopology t = PciTopology.Parse("host-bridge hb0 dma-limit=0xffff_ffff");
        Assert.Equal(0xFFFF_FFFFUL, t.HostBridge("hb0").DmaLimit);

        TopologyException ex = Assert.Throws<TopologyException>(() => PciTopology.Parse("host-bridge hb0 dma-limit=lots host-function=maybe"));
        Assert.Contains(ex.Errors, e => e.Field == "dma-limit");
        Assert.Contains(ex.Errors, e => e.Field == "host-function");
    }

    [Fact]
    public void Describe_WritesBothFields_AndParsesBackToTheSameTopology()
    {
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.HostFunction(false).DmaLimit(0x3FFF_FFFF))
            .RootPort("rp0", "hb0", f => f.Address(0).Identity(0x8086, 0x2030))
            .Build();

        string text = t.Describe();
        PciTopology back = PciTopology.Parse(text);

        Assert.Contains("dma-limit=0x3fffffff host-function=no", text, StringComparison.Ordinal);
        Assert.Equal(text, back.Describe());
        Assert.False(back.HostBridge("hb0").HasHostFunction);
        Assert.Equal(0x3FFF_FFFFUL, back.HostBridge("hb0").DmaLimit);
        Assert.Equal(new PciBdf(0, 0, 0, 0), back.Device("rp0").Bdf);
    }
}
