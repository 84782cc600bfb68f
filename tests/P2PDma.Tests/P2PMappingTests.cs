using System;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>
/// Dma.MapP2P, the one-call peer mapping: bus address and nothing mapped for BUS_ADDR, an MMIO IOVA for
/// THRU_HOST_BRIDGE, -EREMOTEIO for NOT_SUPPORTED.
/// </summary>
public sealed class P2PMappingTests
{
    [Fact]
    public void MapP2P_BusAddrPeer_GivesCpuPlusBusOffset_AndMapsNothingInTheIommu()
    {
        PciTopology t = Topologies.BusOffsetSwitch(iommu: true);
        PciDevice nic = t.Device("nic");
        P2PProvider provider = Topologies.GpuProvider(t);

        P2PDmaMapping m = Dma.MapP2P(nic, provider, PhysAddr.FromRaw(0x9000_4000), 0x2000, DmaDirection.Bidirectional);

        Assert.False(m.Failed);
        Assert.Equal(DmaError.None, m.Error);
        Assert.Equal(P2PMapType.BusAddr, m.MapType);
        Assert.True(m.IsBusAddress);
        Assert.Equal(0x5000_4000UL, m.Address.Raw);
        Assert.Equal(0, nic.IommuDomain!.MappedPages);
    }

    [Fact]
    public void MapP2P_ThruHostBridgeBehindIommu_GivesAnMmioIova()
    {
        PciTopology t = Topologies.AcrossRootPorts(Ids.SkylakeHost(iommu: true));
        PciDevice nic = t.Device("nic");
        P2PProvider provider = Topologies.GpuProvider(t);
        PhysAddr phys = PhysAddr.FromRaw(Topologies.GpuBar + 0x8000);

        P2PDmaMapping m = Dma.MapP2P(nic, provider, phys, 0x1000, DmaDirection.ToDevice);

        Assert.False(m.Failed);
        Assert.Equal(P2PMapType.ThruHostBridge, m.MapType);
        Assert.False(m.IsBusAddress);
        Assert.NotEqual(phys.Raw, m.Address.Raw);
        Assert.True(nic.IommuDomain!.TryTranslate(m.Address, out PhysAddr translated, out IommuProt prot));
        Assert.Equal(phys, translated);
        Assert.Equal(IommuProt.Read | IommuProt.Mmio, prot);
    }

    [Fact]
    public void MapP2P_ThruHostBridgeDmaDirect_GivesTheCpuPhysicalAddress()
    {
        PciTopology t = Topologies.AcrossRootPorts(Ids.SkylakeHost());
        P2PProvider provider = Topologies.GpuProvider(t);
        PhysAddr phys = PhysAddr.FromRaw(Topologies.GpuBar + 0x8000);

        P2PDmaMapping m = Dma.MapP2P(t.Device("nic"), provider, phys, 0x1000, DmaDirection.ToDevice);

        Assert.False(m.Failed);
        Assert.Equal(phys.Raw, m.Address.Raw);
    }

    [Fact]
    public void MapP2P_NotSupportedPeer_FailsWithRemoteIo_AndTheErrorAddress()
    {
        PciTopology t = Topologies.AcrossRootPorts(Ids.PlainHost(iommu: true));
        PciDevice nic = t.Device("nic");
        P2PProvider provider = Topologies.GpuProvider(t);

        P2PDmaMapping m = Dma.MapP2P(nic, provider, PhysAddr.FromRaw(Topologies.GpuBar), 0x1000, DmaDirection.ToDevice);

        Assert.True(m.Failed);
        Assert.Equal(DmaError.RemoteIo, m.Error);
        Assert.Equal(P2PMapType.NotSupported, m.MapType);
        Assert.Equal(DmaAddr.MappingError, m.Address);
        Assert.False(m.IsBusAddress);
        Assert.Equal(0, nic.IommuDomain!.MappedPages);
        Assert.Throws<InvalidOperationException>(() => m.Unmap());
    }

    [Fact]
    public void Unmap_ThruHostBridge_RemovesTheIovaMapping()
    {
        PciTopology t = Topologies.AcrossRootPorts(Ids.SkylakeHost(iommu: true));
        PciDevice nic = t.Device("nic");
        P2PProvider provider = Topologies.GpuProvider(t);
        P2PDmaMapping m = Dma.MapP2P(nic, provider, PhysAddr.FromRaw(Topologies.GpuBar), 0x3000, DmaDirection.ToDevice);
        Assert.Equal(3, nic.IommuDomain!.MappedPages);

        m.Unmap();

        Assert.Equal(0, nic.IommuDomain.MappedPages);
        Assert.False(nic.IommuDomain.TryTranslate(m.Address, out _, out _));
    }

    [Fact]
    public void Unmap_BusAddr_TouchesNoIommuMapping()
    {
        PciTopology t = Topologies.SwitchSiblings(Ids.PlainHost(iommu: true));
        PciDevice nic = t.Device("nic");
        P2PProvider provider = Topologies.GpuProvider(t);
        DmaAddr ram = Dma.MapPage(nic, t.Memory.AllocPages(1)[0], 0, 0x1000, DmaDirection.ToDevice);
        P2PDmaMapping m = Dma.MapP2P(nic, provider, PhysAddr.FromRaw(Topologies.GpuBar), 0x1000, DmaDirection.ToDevice);

        m.Unmap();

        Assert.Equal(1, nic.IommuDomain!.MappedPages);
        Assert.True(nic.IommuDomain.TryTranslate(ram, out _, out _));
    }

    [Fact]
    public void MapP2P_RangeOutsideTheProvider_Throws()
    {
        PciTopology t = Topologies.SwitchSiblings();
        P2PProvider provider = Topologies.GpuProvider(t);
        PciDevice nic = t.Device("nic");

        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Dma.MapP2P(nic, provider, PhysAddr.FromRaw(Topologies.GpuBar + Topologies.GpuBarSize - 0x800), 0x1000, DmaDirection.ToDevice));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Dma.MapP2P(nic, provider, PhysAddr.FromRaw(Topologies.NicBar), 0x1000, DmaDirection.ToDevice));
    }

    [Fact]
    public void MapP2P_InvalidArguments_Throw()
    {
        PciTopology t = Topologies.SwitchSiblings();
        P2PProvider provider = Topologies.GpuProvider(t);
        PciDevice nic = t.Device("nic");
        PhysAddr phys = PhysAddr.FromRaw(Topologies.GpuBar);

        Assert.Throws<ArgumentNullException>(() => Dma.MapP2P(null!, provider, phys, 0x1000, DmaDirection.ToDevice));
        Assert.Throws<ArgumentNullException>(() => Dma.MapP2P(nic, null!, phys, 0x1000, DmaDirection.ToDevice));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dma.MapP2P(nic, provider, phys, 0, DmaDirection.ToDevice));
        Assert.Throws<ArgumentException>(() => Dma.MapP2P(nic, provider, phys, 0x1000, DmaDirection.None));
    }
}
