using System.Linq;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>
/// The single-range calls: dma-direct returns the physical address (plus the inbound offset for RAM, unchanged for
/// MMIO); behind an IOMMU an IOVA that keeps clear of the PCI windows and BARs; beyond the mask, DMA_MAPPING_ERROR.
/// </summary>
public sealed class DmaMappingTests
{
    private const long InboundOffset = 0x4000_0000;

    [Fact]
    public void MapPage_DmaDirect_RamGetsPhysPlusInboundOffset()
    {
        PciTopology t = Topologies.SingleDevice(dmaOffset: InboundOffset);
        PciDevice nic = t.Device("nic");
        Page page = t.Memory.AllocPages(1)[0];

        DmaAddr dma = Dma.MapPage(nic, page, 0x80, 0x100, DmaDirection.ToDevice);

        Assert.False(Dma.MappingError(nic, dma));
        Assert.Equal(page.Phys.Raw + 0x80 + InboundOffset, dma.Raw);
    }

    [Fact]
    public void MapSingle_DmaDirect_RamGetsPhysPlusInboundOffset()
    {
        PciTopology t = Topologies.SingleDevice(dmaOffset: InboundOffset);
        PciDevice nic = t.Device("nic");
        KernelBuffer buffer = t.Memory.Kmalloc(0x3000);

        DmaAddr dma = Dma.MapSingle(nic, buffer, 0x1000, 0x2000, DmaDirection.FromDevice);

        Assert.False(Dma.MappingError(nic, dma));
        Assert.Equal(buffer.Phys.Raw + 0x1000 + InboundOffset, dma.Raw);
    }

    [Fact]
    public void MapPhys_DmaDirect_RamWithoutMmioAttr_GetsInboundOffset_WithMmio_Unchanged()
    {
        PciTopology t = Topologies.SingleDevice(dmaOffset: InboundOffset);
        PciDevice nic = t.Device("nic");
        KernelBuffer buffer = t.Memory.Kmalloc(0x1000);
        PhysAddr bar = nic.Bar(0).CpuStart;

        DmaAddr ram = Dma.MapPhys(nic, buffer.Phys, 0x1000, DmaDirection.Bidirectional);
        DmaAddr mmio = Dma.MapPhys(nic, bar, 0x1000, DmaDirection.Bidirectional, DmaAttrs.Mmio);

        Assert.Equal(buffer.Phys.Raw + InboundOffset, ram.Raw);
        Assert.Equal(bar.Raw, mmio.Raw);
    }

    [Fact]
    public void MapResource_DmaDirect_ReturnsThePhysicalAddressUnchanged()
    {
        PciTopology t = Topologies.BusOffsetSwitch();
        PciDevice nic = t.Device("nic");
        PhysAddr gpuBar = t.Device("gpu").Bar(0).CpuStart;

        DmaAddr dma = Dma.MapResource(nic, gpuBar, 0x1000, DmaDirection.Bidirectional);

        // dma_map_resource knows no bus offset: the CPU address comes back, not the bus address 0x5000_0000.
        Assert.Equal(gpuBar.Raw, dma.Raw);
        Assert.NotEqual(t.Device("gpu").Bar(0).BusStart.Raw, dma.Raw);
    }

    [Fact]
    public void MapResource_DmaDirect_IgnoresTheInboundRamOffset()
    {
        PciTopology t = Topologies.SingleDevice(dmaOffset: InboundOffset);
        PciDevice nic = t.Device("nic");

        Assert.Equal(Topologies.NicBar, Dma.MapResource(nic, PhysAddr.FromRaw(Topologies.NicBar), 0x100, DmaDirection.ToDevice).Raw);
    }

    [Fact]
    public void MapSingle_BeyondDmaMask_ReturnsMappingError_UntilTheMaskIsRaised()
    {
        PciTopology t = new PciTopologyBuilder()
            .Ram(0x1_0000_0000, 0x1000_0000) // all RAM above 4 GiB
            .HostBridge("hb0")
            .RootPort("rp0", "hb0")
            .Endpoint("nic", "rp0")
            .Build();
        PciDevice nic = t.Device("nic");
        KernelBuffer buffer = t.Memory.Kmalloc(0x1000);
        Assert.True(buffer.Phys.Raw >= 0x1_0000_0000);

        DmaAddr failed = Dma.MapSingle(nic, buffer, 0, 0x1000, DmaDirection.ToDevice);

        Assert.Equal(DmaAddr.MappingError, failed);
        Assert.True(Dma.MappingError(nic, failed));

        Assert.Equal(DmaError.None, Dma.SetMaskAndCoherent(nic, Dma.BitMask(64)));
        DmaAddr ok = Dma.MapSingle(nic, buffer, 0, 0x1000, DmaDirection.ToDevice);
        Assert.False(Dma.MappingError(nic, ok));
        Assert.Equal(buffer.Phys.Raw, ok.Raw);
    }

    [Fact]
    public void MapResource_RangeStraddlingTheMask_ReturnsMappingError()
    {
        PciTopology t = Topologies.SingleDevice();
        PciDevice nic = t.Device("nic");

        DmaAddr inside = Dma.MapResource(nic, PhysAddr.FromRaw(0xFFFF_F000), 0x1000, DmaDirection.ToDevice);
        DmaAddr straddling = Dma.MapResource(nic, PhysAddr.FromRaw(0xFFFF_F800), 0x1000, DmaDirection.ToDevice);

        Assert.False(Dma.MappingError(nic, inside));
        Assert.True(Dma.MappingError(nic, straddling));
    }

    [Fact]
    public void SetMaskAndCoherent_RejectsMasksBelow24BitsOrNotAllOnes()
    {
        PciTopology t = Topologies.SingleDevice();
        PciDevice nic = t.Device("nic");

        Assert.Equal(Dma.BitMask(32), nic.DmaMask);
        Assert.Equal(DmaError.Io, Dma.SetMaskAndCoherent(nic, Dma.BitMask(20)));
        Assert.Equal(DmaError.Io, Dma.SetMaskAndCoherent(nic, 0xFFFF_0FFF));
        Assert.Equal(Dma.BitMask(32), nic.DmaMask);
        Assert.Equal(DmaError.None, Dma.SetMaskAndCoherent(nic, Dma.BitMask(48)));
        Assert.Equal(0xFFFF_FFFF_FFFFUL, nic.DmaMask);
    }

    [Theory]
    [InlineData(1, 0x1UL)]
    [InlineData(24, 0xFF_FFFFUL)]
    [InlineData(32, 0xFFFF_FFFFUL)]
    [InlineData(63, 0x7FFF_FFFF_FFFF_FFFFUL)]
    [InlineData(64, ulong.MaxValue)]
    public void BitMask_IsTheLowBitsSet(int bits, ulong expected) => Assert.Equal(expected, Dma.BitMask(bits));

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void BitMask_OutOfRange_Throws(int bits) =>
        Assert.Throws<System.ArgumentOutOfRangeException>(() => Dma.BitMask(bits));

    [Fact]
    public void MapSingle_BehindIommu_GivesAnIovaTranslatingToTheBuffer_KeepingThePageOffset()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        KernelBuffer buffer = t.Memory.Kmalloc(0x2000);

        DmaAddr dma = Dma.MapSingle(nic, buffer, 0x10, 0x20, DmaDirection.ToDevice);

        Assert.False(Dma.MappingError(nic, dma));
        Assert.NotEqual(buffer.Phys.Raw + 0x10, dma.Raw); // an IOVA, not the physical address
        Assert.Equal(0x10UL, dma.PageOffset);
        Assert.True(nic.IommuDomain!.TryTranslate(dma, out PhysAddr phys, out IommuProt prot));
        Assert.Equal(buffer.Phys + 0x10, phys);
        Assert.Equal(IommuProt.Read, prot);
        Assert.True(dma.Raw + 0x1F <= nic.DmaMask);
    }

    [Fact]
    public void MapPage_BehindIommu_SeparateMappingsGetSeparateIovas_AndUnmapRemovesTheTranslation()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        Page[] pages = t.Memory.AllocPages(2);

        DmaAddr a = Dma.MapPage(nic, pages[0], 0, 0x1000, DmaDirection.Bidirectional);
        DmaAddr b = Dma.MapPage(nic, pages[1], 0, 0x1000, DmaDirection.Bidirectional);

        Assert.NotEqual(a.PageAlignDown(), b.PageAlignDown());
        Assert.Equal(2, nic.IommuDomain!.MappedPages);
        Dma.UnmapPage(nic, a, 0x1000, DmaDirection.Bidirectional);
        Assert.False(nic.IommuDomain.TryTranslate(a, out _, out _));
        Assert.True(nic.IommuDomain.TryTranslate(b, out PhysAddr pb, out _));
        Assert.Equal(pages[1].Phys, pb);
        Assert.Equal(1, nic.IommuDomain.MappedPages);
    }

    [Fact]
    public void MapResource_BehindIommu_IsAnMmioIova()
    {
        PciTopology t = Topologies.SwitchSiblings(Ids.PlainHost(iommu: true));
        PciDevice nic = t.Device("nic");
        PhysAddr gpuBar = t.Device("gpu").Bar(0).CpuStart;

        DmaAddr dma = Dma.MapResource(nic, gpuBar, 0x2000, DmaDirection.Bidirectional);

        Assert.NotEqual(gpuBar.Raw, dma.Raw);
        Assert.True(nic.IommuDomain!.TryTranslate(dma + 0x1000, out PhysAddr phys, out IommuProt prot));
        Assert.Equal(gpuBar + 0x1000, phys);
        Assert.Equal(IommuProt.Read | IommuProt.Write | IommuProt.Mmio, prot);
    }

    [Fact]
    public void Iova_BehindIommu_AvoidsBarBusRanges()
    {
        // A BAR occupies the top MiB below 4 GiB, where a top-down allocator would start.
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Iommu())
            .RootPort("rp0", "hb0")
            .Endpoint("nic", "rp0", f => f.Bar(0, 0xFFF0_0000, 0x10_0000))
            .Build();
        PciDevice nic = t.Device("nic");
        KernelBuffer buffer = t.Memory.Kmalloc(0x1000);

        DmaAddr dma = Dma.MapSingle(nic, buffer, 0, 0x1000, DmaDirection.ToDevice);

        Assert.False(Dma.MappingError(nic, dma));
        Assert.True(dma.Raw + 0xFFF < 0xFFF0_0000, $"IOVA {dma} overlaps the BAR's bus range");
    }

    [Fact]
    public void Iova_BehindIommu_AvoidsHostBridgeWindows()
    {
        // The window takes bus 0xC000_0000-0xFFFF_FFFF; its BAR lies inside.
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Iommu().Window(0x8_0000_0000, 0x4000_0000, 0xC000_0000))
            .RootPort("rp0", "hb0")
            .Endpoint("nic", "rp0", f => f.Bar(0, 0x8_0000_0000, 0x10_0000))
            .Build();
        PciDevice nic = t.Device("nic");
        Page[] pages = t.Memory.AllocPages(4);

        for (int i = 0; i < pages.Length; i++)
        {
            DmaAddr dma = Dma.MapPage(nic, pages[i], 0, 0x1000, DmaDirection.ToDevice);
            Assert.False(Dma.MappingError(nic, dma));
            Assert.True(dma.Raw + 0xFFF < 0xC000_0000, $"IOVA {dma} lies in the PCI window");
            Assert.True(nic.IommuDomain!.TryTranslate(dma, out PhysAddr phys, out _));
            Assert.Equal(pages[i].Phys, phys);
        }
    }

    [Fact]
    public void Iova_RespectsTheDmaMask()
    {
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Iommu())
            .RootPort("rp0", "hb0")
            .Endpoint("nic", "rp0", f => f.DmaMaskBits(28))
            .Build();
        PciDevice nic = t.Device("nic");

        DmaAddr dma = Dma.MapPage(nic, t.Memory.AllocPages(1)[0], 0, 0x1000, DmaDirection.ToDevice);

        Assert.True(dma.Raw + 0xFFF <= Dma.BitMask(28));
    }

    [Fact]
    public void AllocCoherent_GivesABufferAndAHandle_AndFreeCoherentUnmapsIt()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");

        KernelBuffer? buffer = Dma.AllocCoherent(nic, 0x2000, out DmaAddr handle);

        Assert.NotNull(buffer);
        Assert.True(nic.IommuDomain!.TryTranslate(handle, out PhysAddr phys, out _));
        Assert.Equal(buffer!.Phys, phys);
        Dma.FreeCoherent(nic, 0x2000, buffer, handle);
        Assert.Equal(0, nic.IommuDomain.MappedPages);
    }

    [Fact]
    public void ManyMappings_BehindIommu_NeverShareAPage()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        Page[] pages = t.Memory.AllocPages(32);

        var iovas = pages.Select(p => Dma.MapPage(nic, p, 0, 0x1000, DmaDirection.ToDevice).PageAlignDown()).ToList();

        Assert.Equal(iovas.Count, iovas.Distinct().Count());
        Assert.Equal(32, nic.IommuDomain!.MappedPages);
    }

    /// <summary>
    /// A host bridge whose window takes bus 0x10_0000-0xFFFF_FFFF, so that below 4 GiB only the first MiB (page 0
    /// excepted) is free IOVA space.
    /// </summary>
    private static PciTopology Low4GiBAlmostFull() =>
        new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Iommu().Window(0x10_0000_0000, 0xFFF0_0000, 0x10_0000))
            .RootPort("rp0", "hb0")
            .Endpoint("nic", "rp0")
            .Build();

    [Fact]
    public void Iova_64BitDevice_ComesFromBelow4GiBFirst_InEveryMappingCall()
    {
        // iommu_dma_alloc_iova tries DMA_BIT_MASK(32) first for a PCI device whose limit is larger.
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        Assert.Equal(DmaError.None, Dma.SetMaskAndCoherent(nic, Dma.BitMask(64)));

        DmaAddr single = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);
        var state = new DmaIovaState();
        Assert.True(Dma.IovaTryAlloc(nic, state, PhysAddr.FromRaw(0), 0x2000));
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(2));
        Assert.Equal(1, Dma.MapSg(nic, table, 2, DmaDirection.ToDevice));

        Assert.True(single.Raw + 0xFFF <= 0xFFFF_FFFF, $"MapSingle IOVA {single} is above 4 GiB");
        Assert.True(state.Addr.Raw + 0x1FFF <= 0xFFFF_FFFF, $"IovaTryAlloc IOVA {state.Addr} is above 4 GiB");
        Assert.True(table[0].DmaAddress.Raw + 0x1FFF <= 0xFFFF_FFFF, $"MapSg IOVA {table[0].DmaAddress} is above 4 GiB");
    }

    [Fact]
    public void Iova_WhenBelow4GiBIsFull_FallsBackToTheFullLimit_CappedByThe48BitAperture()
    {
        PciTopology t = Low4GiBAlmostFull();
        PciDevice nic = t.Device("nic");
        Assert.Equal(DmaError.None, Dma.SetMaskAndCoherent(nic, Dma.BitMask(64)));

        // 2 MiB does not fit in the free MiB below 4 GiB: the allocation comes from just below the aperture's end.
        DmaAddr big = Dma.MapPhys(nic, PhysAddr.FromRaw(0x1_0000_0000), 0x20_0000, DmaDirection.ToDevice, DmaAttrs.Mmio);

        Assert.False(Dma.MappingError(nic, big));
        Assert.Equal(0xFFFF_FFE0_0000UL, big.Raw); // 2^48 - 2 MiB

        // Like the kernel's pci_32bit_workaround, the first failure below 4 GiB ends the trick for the device.
        DmaAddr small = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);
        Assert.True(small.Raw > 0xFFFF_FFFF, $"IOVA {small} should come from above 4 GiB once the 32-bit space ran out");
        Assert.True(small.Raw <= 0xFFFF_FFFF_FFFFUL);
    }

    [Fact]
    public void Iova_32BitDevice_WhenItsSpaceIsFull_FailsWithMappingError()
    {
        PciTopology t = Low4GiBAlmostFull();
        PciDevice nic = t.Device("nic");

        DmaAddr big = Dma.MapPhys(nic, PhysAddr.FromRaw(0x1_0000_0000), 0x20_0000, DmaDirection.ToDevice, DmaAttrs.Mmio);
        DmaAddr small = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);

        Assert.True(Dma.MappingError(nic, big));
        Assert.False(Dma.MappingError(nic, small));
        Assert.True(small.Raw < 0x10_0000);
    }

    [Fact]
    public void Iova_IgnoresTheBarsOfAnotherHostBridgeInTheSamePciDomain()
    {
        // iova_reserve_pci_windows reserves the device's own host bridge's windows; hb1's BAR is not on hb0's bus.
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Iommu())
            .HostBridge("hb1")
            .RootPort("rp0", "hb0")
            .RootPort("rp1", "hb1")
            .Endpoint("nic", "rp0")
            .Endpoint("other", "rp1", f => f.Bar(0, 0xFFF0_0000, 0x10_0000))
            .Build();
        PciDevice nic = t.Device("nic");
        Assert.Equal(t.HostBridge("hb0").Domain, t.HostBridge("hb1").Domain);

        DmaAddr dma = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);

        Assert.Equal(0xFFFF_F000UL, dma.Raw);
    }

    [Fact]
    public void MapSingle_SizePastTheEndOfTheBuffer_Throws_NamingTheSizes()
    {
        PciTopology t = Topologies.SingleDevice();
        PciDevice nic = t.Device("nic");
        KernelBuffer buffer = t.Memory.Kmalloc(0x1000);

        var ex = Assert.Throws<System.ArgumentOutOfRangeException>(() => Dma.MapSingle(nic, buffer, 0x800, 0x1000, DmaDirection.ToDevice));

        Assert.Equal("size", ex.ParamName);
        Assert.Contains("0x1000 bytes at offset 0x800", ex.Message, System.StringComparison.Ordinal);
        Assert.Contains("buffer of 0x1000 bytes", ex.Message, System.StringComparison.Ordinal);
        Assert.Throws<System.ArgumentOutOfRangeException>(() => Dma.MapSingle(nic, buffer, 0x1000, 1, DmaDirection.ToDevice));
        Assert.False(Dma.MappingError(nic, Dma.MapSingle(nic, buffer, 0x800, 0x800, DmaDirection.ToDevice)));
    }
}
