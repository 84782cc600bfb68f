using System;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>
/// The sync calls real driver code uses beside the table-wide ones (dma_sync_sg_for_* with an entry count,
/// dma_sync_single_range_for_*) and dma_map_single_attrs, with the checks kernel/dma/debug.c makes of them.
/// </summary>
public sealed class DmaDebugSyncTests
{
    private static (PciTopology T, PciDevice Nic) Debugged(bool iommu = false)
    {
        PciTopology t = Topologies.SingleDevice(iommu);
        t.DmaDebug.Enabled = true;
        return (t, t.Device("nic"));
    }

    // check_sync: "device driver syncs DMA sg list with different entry count [map count=%d] [sync count=%d]". Behind
    // an IOMMU the four pages merge into fewer DMA segments; the count dma_map_sg returned is not the one to sync with.
    [Fact]
    public void SyncSgWithTheMappedCountInsteadOfNents_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged(iommu: true);
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(4));
        int count = Dma.MapSg(nic, table, 4, DmaDirection.FromDevice);
        Assert.InRange(count, 1, 3);

        Dma.SyncSgForCpu(nic, table, 4, DmaDirection.FromDevice);
        Assert.Empty(t.DmaDebug.Findings);
        Dma.SyncSgForDevice(nic, table, count, DmaDirection.FromDevice);

        DmaDebugFinding f = Assert.Single(t.DmaDebug.Findings);
        Assert.Equal(DmaDebugFindingKind.SyncNentsMismatch, f.Kind);
        Assert.Contains($"[map count=4] [sync count={count}]", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SyncSgOfATableNeverMapped_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(2));

        Dma.SyncSgForCpu(nic, table, 2, DmaDirection.FromDevice);

        Assert.Equal(DmaDebugFindingKind.SyncNotMapped, Assert.Single(t.DmaDebug.Findings).Kind);
    }

    [Fact]
    public void SyncSgWithAnEntryCountTheTableDoesNotHave_Throws()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(2));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Dma.SyncSgForCpu(nic, table, 3, DmaDirection.FromDevice));
        Assert.Equal("nents", e.ParamName);
    }

    // dma_sync_single_range_for_cpu(dev, addr, offset, size, dir) syncs [addr + offset, + size) of the mapping at addr.
    [Fact]
    public void SyncSingleRange_InsideTheMapping_IsSilent_ReachingPastItsEnd_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaAddr dma = Dma.MapSingle(nic, t.Memory.Kmalloc(0x2000), 0, 0x1000, DmaDirection.FromDevice);
        Assert.False(Dma.MappingError(nic, dma));

        Dma.SyncSingleRangeForCpu(nic, dma, 0xc00, 0x400, DmaDirection.FromDevice);
        Assert.Empty(t.DmaDebug.Findings);
        Dma.SyncSingleRangeForDevice(nic, dma, 0xc00, 0x800, DmaDirection.FromDevice);

        Assert.Equal(DmaDebugFindingKind.SyncOutOfRange, Assert.Single(t.DmaDebug.Findings).Kind);
    }

    [Fact]
    public void SyncSingleRange_AfterUnmap_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaAddr dma = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.FromDevice, DmaAttrs.SkipCpuSync);
        Assert.False(Dma.MappingError(nic, dma));
        Dma.UnmapSingle(nic, dma, 0x1000, DmaDirection.FromDevice, DmaAttrs.SkipCpuSync);

        Dma.SyncSingleRangeForCpu(nic, dma, 0x100, 0x100, DmaDirection.FromDevice);

        Assert.Equal(DmaDebugFindingKind.SyncNotMapped, Assert.Single(t.DmaDebug.Findings).Kind);
    }

    // dma_map_single_attrs: the attributes are the caller's business (DMA_ATTR_SKIP_CPU_SYNC on a buffer synced by
    // hand); the mapping and its checks are those of dma_map_single.
    [Fact]
    public void MapSingleWithAttrs_MapsAndUnmapsLikeMapSingle()
    {
        (PciTopology t, PciDevice nic) = Debugged(iommu: true);
        KernelBuffer buffer = t.Memory.Kmalloc(0x1000);

        DmaAddr dma = Dma.MapSingle(nic, buffer, 0, 0x1000, DmaDirection.ToDevice, DmaAttrs.SkipCpuSync);
        Assert.False(Dma.MappingError(nic, dma));
        Assert.Equal(1, t.DmaDebug.LiveMappings(nic));
        Dma.UnmapSingle(nic, dma, 0x1000, DmaDirection.ToDevice, DmaAttrs.SkipCpuSync);

        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(nic));
    }
}
