using System;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>dma_pool (mm/dmapool.c): creation rules, blocks and boundaries, and the DMAPOOL_DEBUG checks of frees and destroy.</summary>
public sealed class DmaPoolTests
{
    private static (PciTopology T, PciDevice Nic) Debugged(bool iommu = false)
    {
        PciTopology t = Topologies.SingleDevice(iommu);
        t.DmaDebug.Enabled = true;
        return (t, t.Device("nic"));
    }

    [Theory]
    [InlineData(0UL, 0UL, 0UL)]      // no size
    [InlineData(64UL, 3UL, 0UL)]     // alignment not a power of two
    [InlineData(64UL, 8UL, 100UL)]   // boundary not a power of two
    [InlineData(64UL, 8UL, 32UL)]    // boundary smaller than a block
    public void Create_WithArgumentsTheKernelRefuses_IsNull(ulong size, ulong align, ulong boundary)
    {
        (_, PciDevice nic) = Debugged();
        Assert.Null(DmaPool.Create("descs", nic, size, align, boundary));
    }

    [Fact]
    public void Create_RoundsTheBlockUpToTheMinimumAndTheAlignment()
    {
        (_, PciDevice nic) = Debugged();
        Assert.Equal(16UL, DmaPool.Create("tiny", nic, 4)!.BlockSize);
        Assert.Equal(64UL, DmaPool.Create("aligned", nic, 40, 64)!.BlockSize);
        DmaPool big = DmaPool.Create("big", nic, 3 * 4096)!;
        Assert.Equal(3UL * 4096, big.Allocation);
        Assert.Equal(big.Allocation, big.Boundary);
    }

    // The device reads a block at its handle: the coherent page's mapping, offset by the block's place in it.
    [Fact]
    public void Blocks_AreDistinct_AndTheDeviceReachesEachAtItsHandle()
    {
        (PciTopology t, PciDevice nic) = Debugged(iommu: true);
        DmaPool pool = DmaPool.Create("descs", nic, 64, 64)!;

        KernelBuffer a = pool.Alloc(out DmaAddr ha)!;
        KernelBuffer b = pool.Alloc(out DmaAddr hb)!;
        a.Write(0, new byte[] { 1, 2, 3 });
        b.Write(0, new byte[] { 7, 8, 9 });

        Assert.Equal(64UL, hb.Raw - ha.Raw);
        Assert.Equal(new byte[] { 1, 2, 3 }, t.Fabric.Read(nic, ha, 3).Data);
        Assert.Equal(new byte[] { 7, 8, 9 }, t.Fabric.Read(nic, hb, 3).Data);
        Assert.Equal(1, t.DmaDebug.LiveMappings(nic));
    }

    // pool_initialise_page: a block that would cross the boundary starts at the boundary instead.
    [Fact]
    public void Blocks_NeverCrossTheBoundary()
    {
        (_, PciDevice nic) = Debugged();
        DmaPool pool = DmaPool.Create("crossing", nic, 48, 16, 64)!;

        ulong[] offsets = Enumerable.Range(0, 3).Select(_ => { pool.Alloc(out DmaAddr h); return h.Raw; }).ToArray();

        Assert.Equal(new ulong[] { 0, 64, 128 }, offsets.Select(o => o - offsets[0]).ToArray());
    }

    [Fact]
    public void FreedBlock_IsTakenAgain_AndACleanDestroyFreesThePages()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaPool pool = DmaPool.Create("descs", nic, 64)!;
        KernelBuffer a = pool.Alloc(out DmaAddr ha)!;
        pool.Free(a, ha);

        KernelBuffer again = pool.Alloc(out DmaAddr hagain)!;
        Assert.Equal(ha, hagain);
        pool.Free(again, hagain);
        pool.Destroy();

        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(nic));
        Assert.Throws<InvalidOperationException>(() => pool.Alloc(out _));
    }

    [Fact]
    public void DoubleFree_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaPool pool = DmaPool.Create("descs", nic, 64)!;
        KernelBuffer a = pool.Alloc(out DmaAddr ha)!;
        pool.Free(a, ha);

        pool.Free(a, ha);

        DmaDebugFinding f = Assert.Single(t.DmaDebug.Findings);
        Assert.Equal(DmaDebugFindingKind.PoolFreeAlreadyFree, f.Kind);
        Assert.Contains("already free", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FreeOfAnAddressOfNoPage_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaPool pool = DmaPool.Create("descs", nic, 64)!;
        KernelBuffer a = pool.Alloc(out DmaAddr ha)!;

        pool.Free(a, ha + 0x10_0000);

        Assert.Equal(DmaDebugFindingKind.PoolFreeBadDma, Assert.Single(t.DmaDebug.Findings).Kind);
    }

    // The handle of one block with the memory of another: the kernel's "bad vaddr".
    [Fact]
    public void FreeWithTheMemoryOfAnotherBlock_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaPool pool = DmaPool.Create("descs", nic, 64)!;
        KernelBuffer a = pool.Alloc(out DmaAddr ha)!;
        pool.Alloc(out DmaAddr hb);

        pool.Free(a, hb);

        Assert.Equal(DmaDebugFindingKind.PoolFreeBadVaddr, Assert.Single(t.DmaDebug.Findings).Kind);
    }

    // dma_pool_destroy with a block out: "busy", and the page stays mapped (the kernel leaks it), so unbind reports it too.
    [Fact]
    public void DestroyWithABlockOut_IsReported_AndThePageLeaks()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaPool pool = DmaPool.Create("descs", nic, 64)!;
        pool.Alloc(out _);

        pool.Destroy();

        Assert.Equal(DmaDebugFindingKind.PoolDestroyBusy, Assert.Single(t.DmaDebug.Findings).Kind);
        Assert.Equal(1, t.DmaDebug.LiveMappings(nic));
    }
}
