using System;
using P2PDma.Addresses;
using P2PDma.Fabric;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>
/// The two-step IOVA API (dma_iova_try_alloc / link / sync / unlink / destroy): nothing without an IOMMU; linked
/// mappings stay invisible to the device until synced.
/// </summary>
public sealed class IovaApiTests
{
    [Fact]
    public void IovaTryAlloc_DmaDirect_ReturnsFalse_AndTheStateHoldsNoIova()
    {
        PciTopology t = Topologies.SingleDevice();
        var state = new DmaIovaState();

        Assert.False(Dma.IovaTryAlloc(t.Device("nic"), state, PhysAddr.FromRaw(0), 0x4000));
        Assert.False(Dma.UseIova(state));
        Assert.Equal(0UL, state.Size);
    }

    [Fact]
    public void IovaTryAlloc_BehindIommu_ReservesARange_StartingAtThePhysPageOffset()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        var state = new DmaIovaState();

        Assert.True(Dma.IovaTryAlloc(t.Device("nic"), state, PhysAddr.FromRaw(0x12_3456), 0x4000));

        Assert.True(Dma.UseIova(state));
        Assert.Equal(0x4000UL, state.Size);
        Assert.Equal(0x456UL, state.Addr.PageOffset);
        Assert.Equal(0, t.Device("nic").IommuDomain!.MappedPages); // reserved, nothing mapped yet
    }

    [Fact]
    public void LinkedButUnsyncedIova_FaultsInTheFabric_UntilSynced()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        KernelBuffer buffer = t.Memory.Kmalloc(0x2000);
        byte[] data = Topologies.Pattern(0x2000, 0x11);
        buffer.Write(0, data);
        var state = new DmaIovaState();
        Assert.True(Dma.IovaTryAlloc(nic, state, buffer.Phys, 0x2000));

        Assert.Equal(DmaError.None, Dma.IovaLink(nic, state, buffer.Phys, 0, 0x2000, DmaDirection.ToDevice));
        Assert.True(nic.IommuDomain!.IsPendingSync(state.Addr));
        DmaTransfer early = t.Fabric.Read(nic, state.Addr, 0x2000);

        Assert.False(early.Succeeded);
        Assert.Equal(DmaFaultKind.IommuFault, early.Route.Fault!.Fault);
        Assert.Contains("not yet synced", early.Route.Fault.Hops, StringComparison.Ordinal);

        Assert.Equal(DmaError.None, Dma.IovaSync(nic, state, 0, 0x2000));
        DmaTransfer late = t.Fabric.Read(nic, state.Addr, 0x2000);

        Assert.True(late.Succeeded, late.Route.ToString());
        Assert.True(late.Route.LandsInRam(buffer.Phys));
        Assert.Equal(data, late.Data);
    }

    [Fact]
    public void IovaLink_TwoRanges_AtConsecutiveOffsets_FormOneContiguousDmaRange()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        Page a = t.Memory.AllocPages(1)[0];
        t.Memory.AllocPages(3);
        Page b = t.Memory.AllocPages(1)[0];
        t.Memory.Write(a.Phys, Topologies.Pattern(0x1000, 1));
        t.Memory.Write(b.Phys, Topologies.Pattern(0x1000, 2));
        var state = new DmaIovaState();
        Assert.True(Dma.IovaTryAlloc(nic, state, a.Phys, 0x2000));

        Assert.Equal(DmaError.None, Dma.IovaLink(nic, state, a.Phys, 0, 0x1000, DmaDirection.ToDevice));
        Assert.Equal(DmaError.None, Dma.IovaLink(nic, state, b.Phys, 0x1000, 0x1000, DmaDirection.ToDevice));
        Assert.Equal(DmaError.None, Dma.IovaSync(nic, state, 0, 0x2000));

        DmaTransfer read = t.Fabric.Read(nic, state.Addr, 0x2000);
        Assert.True(read.Succeeded);
        Assert.Equal(Topologies.Pattern(0x1000, 1), read.Data[..0x1000]);
        Assert.Equal(Topologies.Pattern(0x1000, 2), read.Data[0x1000..]);
    }

    [Fact]
    public void IovaLink_InvalidRequests_ReturnInvalid()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        Page page = t.Memory.AllocPages(1)[0];
        var state = new DmaIovaState();

        Assert.Equal(DmaError.Invalid, Dma.IovaLink(nic, state, page.Phys, 0, 0x1000, DmaDirection.ToDevice)); // no IOVA yet
        Assert.True(Dma.IovaTryAlloc(nic, state, page.Phys, 0x2000));
        Assert.Equal(DmaError.Invalid, Dma.IovaLink(nic, state, page.Phys, 0x1000, 0x2000, DmaDirection.ToDevice)); // past the end
        Assert.Equal(DmaError.Invalid, Dma.IovaLink(nic, state, page.Phys + 0x10, 0, 0x100, DmaDirection.ToDevice)); // page offset differs
        Assert.Equal(DmaError.Invalid, Dma.IovaSync(nic, state, 0x1000, 0x2000));
        Assert.Equal(DmaError.Invalid, Dma.IovaSync(nic, new DmaIovaState(), 0, 0x1000));
    }

    [Fact]
    public void IovaUnlink_RemovesTheTranslation_KeepingTheRange()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        Page page = t.Memory.AllocPages(1)[0];
        var state = new DmaIovaState();
        Assert.True(Dma.IovaTryAlloc(nic, state, page.Phys, 0x1000));
        Dma.IovaLink(nic, state, page.Phys, 0, 0x1000, DmaDirection.Bidirectional);
        Dma.IovaSync(nic, state, 0, 0x1000);
        Assert.True(t.Fabric.Route(nic, state.Addr, 0x1000).Succeeded);

        Dma.IovaUnlink(nic, state, 0, 0x1000, DmaDirection.Bidirectional);

        DmaRoute after = t.Fabric.Route(nic, state.Addr, 0x1000);
        Assert.Equal(DmaFaultKind.IommuFault, after.Fault!.Fault);
        Assert.True(Dma.UseIova(state));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dma.IovaUnlink(nic, state, 0x1000, 0x1000, DmaDirection.Bidirectional));
    }

    [Fact]
    public void IovaDestroy_UnlinksAndFreesTheRange()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        Page[] pages = t.Memory.AllocPages(2);
        var state = new DmaIovaState();
        Assert.True(Dma.IovaTryAlloc(nic, state, pages[0].Phys, 0x2000));
        DmaAddr first = state.Addr;
        Dma.IovaLink(nic, state, pages[0].Phys, 0, 0x2000, DmaDirection.ToDevice);
        Dma.IovaSync(nic, state, 0, 0x2000);

        Dma.IovaDestroy(nic, state, 0x2000, DmaDirection.ToDevice);

        Assert.False(Dma.UseIova(state));
        Assert.Equal(0, nic.IommuDomain!.MappedPages);

        // The freed range is handed out again: the allocator is top-down and nothing else is allocated.
        var again = new DmaIovaState();
        Assert.True(Dma.IovaTryAlloc(nic, again, pages[0].Phys, 0x2000));
        Assert.Equal(first, again.Addr);
    }

    [Fact]
    public void IovaLink_MmioAttr_MapsAsMmio()
    {
        PciTopology t = Topologies.SwitchSiblings(Ids.PlainHost(iommu: true));
        PciDevice nic = t.Device("nic");
        PhysAddr bar = t.Device("gpu").Bar(0).CpuStart;
        var state = new DmaIovaState();
        Assert.True(Dma.IovaTryAlloc(nic, state, bar, 0x1000));

        Assert.Equal(DmaError.None, Dma.IovaLink(nic, state, bar, 0, 0x1000, DmaDirection.FromDevice, DmaAttrs.Mmio));
        Dma.IovaSync(nic, state, 0, 0x1000);

        Assert.True(nic.IommuDomain!.TryTranslate(state.Addr, out PhysAddr phys, out IommuProt prot));
        Assert.Equal(bar, phys);
        Assert.Equal(IommuProt.Write | IommuProt.Mmio, prot);
    }
}
