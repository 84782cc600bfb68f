using System;
using P2PDma.Addresses;
using P2PDma.Pci;

namespace P2PDma.Mapping;

public static partial class Dma
{
    // The simulated system is cache coherent, so syncs move no data; they exist for the debug checks
    // (sync of unmapped memory, outside the mapping, or in the wrong direction).

    /// <summary>Hands a single mapping back to the CPU (<c>dma_sync_single_for_cpu</c>).</summary>
    public static void SyncSingleForCpu(PciDevice dev, DmaAddr address, ulong size, DmaDirection dir)
    {
        Check.Mapping(dev, size, dir);
        dev.Topology.DmaDebug.OnSync(dev, address, size, dir);
    }

    /// <summary>Hands a single mapping back to the device (<c>dma_sync_single_for_device</c>).</summary>
    public static void SyncSingleForDevice(PciDevice dev, DmaAddr address, ulong size, DmaDirection dir)
    {
        Check.Mapping(dev, size, dir);
        dev.Topology.DmaDebug.OnSync(dev, address, size, dir);
    }

    /// <summary>Hands an sg mapping back to the CPU (<c>dma_sync_sgtable_for_cpu</c>).</summary>
    public static void SyncSgTableForCpu(PciDevice dev, SgTable table, DmaDirection dir)
    {
        Check.Mapping(dev, 1, dir);
        Check.NotNull(table, nameof(table));
        dev.Topology.DmaDebug.OnSyncSg(dev, table, dir);
    }

    /// <summary>Hands an sg mapping back to the device (<c>dma_sync_sgtable_for_device</c>).</summary>
    public static void SyncSgTableForDevice(PciDevice dev, SgTable table, DmaDirection dir)
    {
        Check.Mapping(dev, 1, dir);
        Check.NotNull(table, nameof(table));
        dev.Topology.DmaDebug.OnSyncSg(dev, table, dir);
    }

    /// <summary>
    /// Hands part of a single mapping back to the CPU (<c>dma_sync_single_range_for_cpu</c>): <paramref name="size"/> bytes
    /// from <paramref name="offset"/> into the mapping at <paramref name="address"/>.
    /// </summary>
    public static void SyncSingleRangeForCpu(PciDevice dev, DmaAddr address, ulong offset, ulong size, DmaDirection dir) =>
        SyncSingleForCpu(dev, address + offset, size, dir);

    /// <summary>Hands part of a single mapping back to the device (<c>dma_sync_single_range_for_device</c>).</summary>
    public static void SyncSingleRangeForDevice(PciDevice dev, DmaAddr address, ulong offset, ulong size, DmaDirection dir) =>
        SyncSingleForDevice(dev, address + offset, size, dir);

    /// <summary>
    /// Hands the first <paramref name="nents"/> entries of a <see cref="MapSg"/> mapping back to the CPU
    /// (<c>dma_sync_sg_for_cpu</c>); <paramref name="nents"/> must be the count given to the map call, not the count it
    /// returned.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nents"/> is outside 1..the table's entry count.</exception>
    public static void SyncSgForCpu(PciDevice dev, SgTable table, int nents, DmaDirection dir) => SyncSg(dev, table, nents, dir);

    /// <summary>Hands the first <paramref name="nents"/> entries of a <see cref="MapSg"/> mapping back to the device (<c>dma_sync_sg_for_device</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nents"/> is outside 1..the table's entry count.</exception>
    public static void SyncSgForDevice(PciDevice dev, SgTable table, int nents, DmaDirection dir) => SyncSg(dev, table, nents, dir);

    private static void SyncSg(PciDevice dev, SgTable table, int nents, DmaDirection dir)
    {
        Check.Mapping(dev, 1, dir);
        Check.NotNull(table, nameof(table));
        if (nents < 1 || nents > table.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(nents), $"nents {nents} is outside 1..{table.Count}, the table's entry count.");
        }

        dev.Topology.DmaDebug.OnSyncSg(dev, table, dir, nents);
    }
}
