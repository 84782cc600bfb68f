using System;
using System.Linq;
using P2PDma.Pci;
using P2PDma.Pci.Description;

namespace P2PDma.Tests;

/// <summary>SR-IOV virtual functions in a description (<c>physfn</c>): what they are, what is refused, the round trip.</summary>
public sealed class SriovDescriptionTests
{
    private static string Lines(params string[] lines) => string.Join("\n", lines);

    [Fact]
    public void VirtualFunction_KnowsItsPhysicalFunction_AndWalksUpFromIt()
    {
        PciTopology t = PciTopology.Parse(Lines(
            "host-bridge hb0",
            "root-port rp0 parent=hb0",
            "endpoint vf parent=rp0 function=1 physfn=pf   # declared before its PF",
            "endpoint pf parent=rp0"));

        PciDevice vf = t.Device("vf");
        Assert.True(vf.IsVirtualFunction);
        Assert.Same(t.Device("pf"), vf.PhysFn);
        Assert.Same(t.Device("rp0"), vf.Upstream);
        Assert.False(t.Device("pf").IsVirtualFunction);
        Assert.Equal(new PciBdf(0, 1, 0, 1), vf.Bdf);
    }

    [Theory]
    [InlineData("endpoint vf parent=rp0 function=1 physfn=nobody", "unknown physical function 'nobody'")]
    [InlineData("endpoint vf parent=rp0 function=1 physfn=rp0", "'rp0' is a root-port: only an endpoint has virtual functions")]
    [InlineData("endpoint vf parent=rp0 function=1 physfn=vf", "a function cannot be its own physical function")]
    [InlineData("endpoint vf parent=rp1 physfn=pf", "a virtual function sits below its physical function's parent 'rp0'")]
    [InlineData("switch-up vf parent=rp1 physfn=pf", "only an endpoint can be a virtual function, not a switch-up")]
    public void BadPhysFn_IsReportedOnTheVirtualFunction(string line, string says)
    {
        TopologyException ex = Assert.Throws<TopologyException>(() => PciTopology.Parse(Lines(
            "host-bridge hb0", "root-port rp0 parent=hb0", "root-port rp1 parent=hb0", "endpoint pf parent=rp0", line)));

        TopologyError error = Assert.Single(ex.Errors, e => e.Field == "physfn");
        Assert.Equal(5, error.Line);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VirtualFunctionOfAVirtualFunction_IsRefused()
    {
        TopologyException ex = Assert.Throws<TopologyException>(() => new PciTopologyBuilder()
            .HostBridge("hb0").RootPort("rp0", "hb0")
            .Endpoint("pf", "rp0")
            .Endpoint("vf", "rp0", f => f.Address(null, 1).VirtualFunctionOf("pf"))
            .Endpoint("vf2", "rp0", f => f.Address(null, 2).VirtualFunctionOf("vf"))
            .Build());

        Assert.Contains("'vf' is itself a virtual function", Assert.Single(ex.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_WritesPhysFn_AndParsesBack()
    {
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0").RootPort("rp0", "hb0")
            .Endpoint("pf", "rp0")
            .Endpoint("vf", "rp0", f => f.Address(null, 1).VirtualFunctionOf("pf"))
            .Build();

        string text = t.Describe();
        PciTopology back = PciTopology.Parse(text);

        Assert.Contains(" physfn=pf\n", text, StringComparison.Ordinal);
        Assert.Equal(text, back.Describe());
        Assert.Same(back.Device("pf"), back.Device("vf").PhysFn);
    }
}
