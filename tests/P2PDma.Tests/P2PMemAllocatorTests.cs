using System;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>
/// The P2P memory allocator (<c>pci_alloc_p2pmem</c>, <c>pci_free_p2pmem</c>, <c>pci_p2pmem_virt_to_bus</c>,
/// <c>pci_p2pmem_alloc_sgl</c>): whole pages of what <see cref="PciP2PDma.AddResource"/> published, handed out first fit,
/// addressed by a peer on the bus through the BAR's bus offset (nvme-pci puts its submission queues in the CMB this way
/// since 0f238ff5cc92, nvmet its data buffers).
/// </summary>
public sealed class P2PMemAllocatorTests
{
    private const ulong Page = Paging.PageSize;

    [Fact]
    public void WithoutAddedMemory_AllocReturnsNull()
    {
        PciTopology t = Topologies.SwitchSiblings();
        Assert.Null(PciP2PDma.AllocMem(t.Device("gpu"), 64));
        Assert.Null(PciP2PDma.AllocSgl(t.Device("gpu"), 64, out int nents));
        Assert.Equal(0, nents);
    }

    [Fact]
    public void Alloc_HandsOutWholePagesOfTheAddedRange_UntilFull_AndFreedPagesAgain()
    {
        PciTopology t = Topologies.SwitchSiblings();
        PciDevice gpu = t.Device("gpu");
        PciBar bar = gpu.Bar(0);
        Assert.Equal(DmaError.None, PciP2PDma.AddResource(gpu, 0, 3 * Page, Page));

        KernelBuffer a = PciP2PDma.AllocMem(gpu, 100)!;
        KernelBuffer b = PciP2PDma.AllocMem(gpu, Page + 1)!;
        Assert.Equal(bar.CpuStart + Page, a.Phys);
        Assert.Equal(bar.CpuStart + (2 * Page), b.Phys);
        Assert.True(a.Page.IsP2P);
        Assert.Null(PciP2PDma.AllocMem(gpu, 1));

        PciP2PDma.FreeMem(gpu, a);
        KernelBuffer c = PciP2PDma.AllocMem(gpu, Page)!;
        Assert.Equal(a.Phys, c.Phys);
    }

    // nvme-pci's CMB: the queue's address for the controller is pci_p2pmem_virt_to_bus; a peer's write to it lands in
    // the buffer, also where the host bridge translates (bus = cpu - offset).
    [Fact]
    public void VirtToBus_IsWhereAPeersWriteLandsInTheBuffer()
    {
        PciTopology t = Topologies.BusOffsetSwitch();
        PciDevice gpu = t.Device("gpu");
        Assert.Equal(DmaError.None, PciP2PDma.AddResource(gpu, 0, 4 * Page));
        KernelBuffer sq = PciP2PDma.AllocMem(gpu, Page)!;

        PciBusAddr bus = PciP2PDma.VirtToBus(gpu, sq);
        Assert.NotEqual(sq.Phys.Raw, bus.Raw);
        byte[] payload = Topologies.Pattern(64, 0x5a);
        Assert.True(t.Fabric.Write(t.Device("nic"), DmaAddr.FromRaw(bus.Raw), payload).Succeeded);
        Assert.Equal(payload, sq.Read(0, 64));
    }

    [Fact]
    public void AllocSgl_IsOneEntryOfP2PMemory_FreeSglGivesItBack()
    {
        PciTopology t = Topologies.SwitchSiblings();
        PciDevice gpu = t.Device("gpu");
        PciP2PDma.AddResource(gpu, 0, 2 * Page);
        SgTable sgl = PciP2PDma.AllocSgl(gpu, 2 * Page, out int nents)!;
        Assert.Equal(1, nents);
        Assert.True(sgl[0].Page!.IsP2P);
        Assert.Equal(2 * Page, sgl[0].Length);
        Assert.Null(PciP2PDma.AllocMem(gpu, 1));

        PciP2PDma.FreeSgl(gpu, sgl);
        Assert.NotNull(PciP2PDma.AllocMem(gpu, 2 * Page));
    }

    [Fact]
    public void InvalidArguments_SayWhat()
    {
        PciTopology t = Topologies.SwitchSiblings();
        PciDevice gpu = t.Device("gpu");
        PciP2PDma.AddResource(gpu, 0, 2 * Page);
        KernelBuffer p2p = PciP2PDma.AllocMem(gpu, Page)!;
        KernelBuffer ram = t.Memory.Kmalloc(Page);

        Assert.Throws<ArgumentOutOfRangeException>("size", () => PciP2PDma.AllocMem(gpu, 0));
        Assert.Contains("not P2P memory allocated from gpu", Assert.Throws<ArgumentException>("buffer", () => PciP2PDma.FreeMem(gpu, ram)).Message);
        Assert.Contains("not P2P memory of gpu", Assert.Throws<ArgumentException>("buffer", () => PciP2PDma.VirtToBus(gpu, ram)).Message);
        Assert.Throws<ArgumentException>("buffer", () => PciP2PDma.FreeMem(t.Device("nic"), p2p));
        PciP2PDma.FreeMem(gpu, p2p);
        Assert.Contains("freed already", Assert.Throws<ArgumentException>("buffer", () => PciP2PDma.FreeMem(gpu, p2p)).Message);
        Assert.Throws<ArgumentNullException>("pdev", () => PciP2PDma.AllocMem(null!, 1));
    }

    // dma_map_single of pci_alloc_p2pmem memory is dma_map_page_attrs of a ZONE_DEVICE page: refused (and warned about)
    // with CONFIG_DMA_API_DEBUG, mapped as if it were RAM without it. RAM still maps with debugging on.
    [Fact]
    public void MapSingle_OfP2PMemory_RefusedUnderDebug()
    {
        PciTopology t = Topologies.SwitchSiblings();
        PciDevice gpu = t.Device("gpu");
        PciDevice nic = t.Device("nic");
        PciP2PDma.AddResource(gpu, 0, 2 * Page);
        KernelBuffer p2p = PciP2PDma.AllocMem(gpu, Page)!;
        KernelBuffer ram = t.Memory.Kmalloc(Page);

        Assert.False(Dma.MappingError(nic, Dma.MapSingle(nic, p2p, 0, Page, DmaDirection.ToDevice)));
        t.DmaDebug.Enabled = true;
        Assert.True(Dma.MappingError(nic, Dma.MapSingle(nic, p2p, 0, Page, DmaDirection.ToDevice)));
        Assert.Contains(t.DmaDebug.Findings, f => f.Kind == Debugging.DmaDebugFindingKind.MapPageOfZoneDevicePage && f.Message.StartsWith("dma_map_single of", StringComparison.Ordinal));
        Assert.False(Dma.MappingError(nic, Dma.MapSingle(nic, ram, 0, Page, DmaDirection.ToDevice)));
    }
}
