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
}
