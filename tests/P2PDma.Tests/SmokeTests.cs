using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void SwitchSiblings_AreBusAddrAtDistanceFour()
    {
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0")
            .RootPort("rp0", "hb0")
            .SwitchUpstreamPort("sw0", "rp0")
            .SwitchDownstreamPort("dp0", "sw0")
            .SwitchDownstreamPort("dp1", "sw0")
            .Endpoint("gpu", "dp0", f => f.Bar(0, 0x8000_0000, 0x100_0000))
            .Endpoint("nic", "dp1")
            .Build();
        P2PPath path = PciP2PDma.Describe(t.Device("gpu"), t.Device("nic"));
        Assert.Equal(P2PMapType.BusAddr, path.MapType);
        Assert.Equal(4, path.Distance);
    }
}
