using System;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>
/// Bus-offset arithmetic on a translating host bridge: bus_offset = pci_bus_address - pci_resource_start, and a bus
/// address is cpu + bus_offset (the sign fixed in v5.15, "PCI/P2PDMA: Apply bus offset correctly").
/// </summary>
public sealed class BusOffsetTests
{
    private static PciTopology PositiveOffset() =>
        new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Window(0x8000_0000, 0x2000_0000, 0xC000_0000))
            .RootPort("rp0", "hb0")
            .Endpoint("gpu", "rp0", f => f.Bar(0, 0x8100_0000, 0x100_0000))
            .Build();

    [Fact]
    public void TranslatingWindow_NegativeOffset_BarBusStartIsCpuMinus0x4000_0000()
    {
        PciBar bar = Topologies.BusOffsetSwitch().Device("gpu").Bar(0);

        Assert.Equal(PhysAddr.FromRaw(0x9000_0000), bar.CpuStart);
        Assert.Equal(PciBusAddr.FromRaw(0x5000_0000), bar.BusStart);
        Assert.Equal(-0x4000_0000L, bar.BusOffset);
    }

    [Fact]
    public void TranslatingWindow_PositiveOffset_BarBusStartIsCpuPlus0x4000_0000()
    {
        PciBar bar = PositiveOffset().Device("gpu").Bar(0);

        Assert.Equal(PciBusAddr.FromRaw(0xC100_0000), bar.BusStart);
        Assert.Equal(0x4000_0000L, bar.BusOffset);
        Assert.Equal(PciBusAddr.FromRaw(0xC100_0010), bar.BusAddressOf(PhysAddr.FromRaw(0x8100_0010)));
    }

    [Fact]
    public void NoWindows_BusAddressEqualsCpuAddress()
    {
        PciBar bar = Topologies.SwitchSiblings().Device("gpu").Bar(0);

        Assert.Equal(0L, bar.BusOffset);
        Assert.Equal(bar.CpuStart.Raw, bar.BusStart.Raw);
    }

    [Fact]
    public void SeveralWindows_EachBarUsesTheOffsetOfTheWindowHoldingIt()
    {
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Window(0x8000_0000, 0x1000_0000, 0x1000_0000).Window(0x40_0000_0000, 0x1_0000_0000, 0x2_0000_0000))
            .RootPort("rp0", "hb0")
            .RootPort("rp1", "hb0")
            .Endpoint("low", "rp0", f => f.Bar(0, 0x8000_0000, 0x10_0000))
            .Endpoint("high", "rp1", f => f.Bar(2, 0x40_1000_0000, 0x1000_0000))
            .Build();

        Assert.Equal(0x1000_0000UL, t.Device("low").Bar(0).BusStart.Raw);
        Assert.Equal(0x1000_0000L - 0x8000_0000L, t.Device("low").Bar(0).BusOffset);
        Assert.Equal(0x2_1000_0000UL, t.Device("high").Bar(2).BusStart.Raw);
        Assert.Equal(0x2_0000_0000L - 0x40_0000_0000L, t.Device("high").Bar(2).BusOffset);
    }

    [Fact]
    public void BusAddressOf_IsCpuPlusBusOffset_AcrossTheWholeBar()
    {
        PciBar bar = Topologies.BusOffsetSwitch().Device("gpu").Bar(0);

        Assert.Equal(PciBusAddr.FromRaw(0x5000_0000), bar.BusAddressOf(PhysAddr.FromRaw(0x9000_0000)));
        Assert.Equal(PciBusAddr.FromRaw(0x5123_4567), bar.BusAddressOf(PhysAddr.FromRaw(0x9123_4567)));
        Assert.Equal(PciBusAddr.FromRaw(0x5FFF_FFFF), bar.BusAddressOf(PhysAddr.FromRaw(0x9FFF_FFFF)));
    }

    [Fact]
    public void CpuAddressOf_InvertsBusAddressOf()
    {
        PciBar bar = Topologies.BusOffsetSwitch().Device("gpu").Bar(0);

        Assert.Equal(PhysAddr.FromRaw(0x9123_4567), bar.CpuAddressOf(PciBusAddr.FromRaw(0x5123_4567)));
        Assert.Equal(PhysAddr.FromRaw(0x9ABC_D000), bar.CpuAddressOf(bar.BusAddressOf(PhysAddr.FromRaw(0x9ABC_D000))));
    }

    [Fact]
    public void BusAddressOf_OutsideTheBar_Throws()
    {
        PciBar bar = Topologies.BusOffsetSwitch().Device("gpu").Bar(0);

        Assert.Throws<ArgumentOutOfRangeException>(() => bar.BusAddressOf(PhysAddr.FromRaw(0xA000_0000)));
        Assert.Throws<ArgumentOutOfRangeException>(() => bar.BusAddressOf(PhysAddr.FromRaw(0x8FFF_FFFF)));
    }

    [Fact]
    public void CpuAddressOf_CpuValueUsedAsBusAddress_IsOutsideTheBusRange_Throws()
    {
        PciBar bar = Topologies.BusOffsetSwitch().Device("gpu").Bar(0);

        // The CPU address read as a bus address is exactly the mistake the bus offset exists to prevent.
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => bar.CpuAddressOf(PciBusAddr.FromRaw(bar.CpuStart.Raw)));
        Assert.Equal("bus", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => bar.CpuAddressOf(PciBusAddr.FromRaw(0x6000_0000)));
    }

    [Fact]
    public void Provider_BusOffset_IsTheBarsBusOffset()
    {
        PciTopology t = Topologies.BusOffsetSwitch();
        P2PProvider provider = Topologies.GpuProvider(t);

        Assert.Equal(Topologies.OffsetWindowBusOffset, provider.BusOffset);
        Assert.Same(t.Device("gpu").Bar(0), provider.Bar);
        Assert.Same(t.Device("gpu"), provider.Owner);
        Assert.Contains("-0x40000000", provider.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void BusAddrMap_IsCpuPlusBusOffset_NotCpuMinusIt()
    {
        PciTopology t = Topologies.BusOffsetSwitch();
        P2PProvider provider = Topologies.GpuProvider(t);
        PhysAddr cpu = PhysAddr.FromRaw(0x9000_2000);

        DmaAddr dma = PciP2PDma.BusAddrMap(provider, cpu);

        Assert.Equal(0x5000_2000UL, dma.Raw);
        Assert.Equal(unchecked((ulong)((long)cpu.Raw + provider.BusOffset)), dma.Raw);
        Assert.NotEqual(unchecked((ulong)((long)cpu.Raw - provider.BusOffset)), dma.Raw); // the pre-5.15 sign
    }

    [Fact]
    public void BusAddrMap_PositiveOffset()
    {
        PciTopology t = PositiveOffset();
        Assert.Equal(DmaError.None, PciP2PDma.Init(t.Device("gpu")));
        P2PProvider provider = PciP2PDma.Provider(t.Device("gpu"), 0)!;

        Assert.Equal(0xC100_0FF0UL, PciP2PDma.BusAddrMap(provider, PhysAddr.FromRaw(0x8100_0FF0)).Raw);
    }

    [Fact]
    public void BusAddrMap_AddressOutsideProvider_JustAddsTheOffset_AsTheKernelDoes()
    {
        // pci_p2pdma_bus_addr_map is paddr + bus_offset, with no range check.
        PciTopology t = Topologies.BusOffsetSwitch();
        P2PProvider provider = Topologies.GpuProvider(t);

        DmaAddr outside = PciP2PDma.BusAddrMap(provider, PhysAddr.FromRaw(Topologies.OffsetVictimBarCpu));

        Assert.Equal(unchecked(Topologies.OffsetVictimBarCpu + (ulong)provider.BusOffset), outside.Raw);
        Assert.Throws<ArgumentNullException>(() => PciP2PDma.BusAddrMap(null!, PhysAddr.FromRaw(0x9000_0000)));
    }

    [Fact]
    public void HostBridge_TryCpuToBus_TranslatesInsideAWindowOnly()
    {
        PciHostBridge hb = Topologies.BusOffsetSwitch().HostBridge("hb0");

        Assert.True(hb.TryCpuToBus(PhysAddr.FromRaw(0x8000_1000), 0x1000, out PciBusAddr bus));
        Assert.Equal(0x4000_1000UL, bus.Raw);
        Assert.False(hb.TryCpuToBus(PhysAddr.FromRaw(0x7FFF_F000), 0x1000, out _));
        Assert.False(hb.TryCpuToBus(PhysAddr.FromRaw(0xFFFF_F000), 0x2000, out _)); // runs past the window's end
        Assert.Equal(Topologies.OffsetWindowBusOffset, hb.Windows[0].BusOffset);
        Assert.True(hb.Windows[0].ContainsBus(PciBusAddr.FromRaw(0x4000_0000)));
        Assert.False(hb.Windows[0].ContainsBus(PciBusAddr.FromRaw(0xC000_0000)));
    }

    [Fact]
    public void Provider_BeforeInitOrForMissingBar_IsNull()
    {
        PciTopology t = Topologies.BusOffsetSwitch();
        PciDevice gpu = t.Device("gpu");

        Assert.Null(PciP2PDma.Provider(gpu, 0));
        Assert.Equal(DmaError.None, PciP2PDma.Init(gpu));
        P2PProvider first = PciP2PDma.Provider(gpu, 0)!;
        Assert.Equal(DmaError.None, PciP2PDma.Init(gpu));
        Assert.Same(first, PciP2PDma.Provider(gpu, 0)); // idempotent
        Assert.Null(PciP2PDma.Provider(gpu, 2));
    }
    // nvme_map_cmb since "nvme-pci: Use PCI bus address for data/queues in CMB": the controller decodes its own BAR at
    // the bus address; the CPU address is not its BAR on the bus.
    [Fact]
    public void OwnBar_DeviceReadsItAtTheBusAddress_NotAtTheCpuAddress()
    {
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Window(0x40_0000_0000, 0x40_0000_0000, 0x8000_0000))
            .RootPort("rp0", "hb0")
            .Endpoint("nvme", "rp0", f => f.Bar(0, 0x40_0000_0000, 0x4000).DmaMaskBits(64))
            .Build();
        PciDevice nvme = t.Device("nvme");
        PciBar cmb = nvme.Bar(0);
        t.Memory.Write(cmb.CpuStart, new byte[] { 1, 2, 3, 4 });

        var atBus = t.Fabric.Read(nvme, DmaAddr.FromRaw(cmb.BusStart.Raw), 4);
        var atCpu = t.Fabric.Route(nvme, DmaAddr.FromRaw(cmb.CpuStart.Raw), 4);

        Assert.True(atBus.Succeeded, atBus.Route.ToString());
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, atBus.Data);
        Assert.Contains("its own BAR0", atBus.Route.ToString(), StringComparison.Ordinal);
        Assert.False(atCpu.Succeeded && atCpu.Segments[0].Landing.Bar == cmb, atCpu.ToString());
    }
}
