using System;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.Pci;

namespace P2PDma.Mapping;

public static partial class Dma
{
    /// <summary>
    /// Maps the first <paramref name="nents"/> entries of <paramref name="table"/> (<c>dma_map_sg_attrs</c>) and returns
    /// the number of DMA segments, or 0 on failure. Since Linux 6.2 this is the same P2P-aware path as
    /// <see cref="MapSgTable"/>: RAM and pages reached through the host bridge map normally, a peer reached by bus
    /// address gets its PCI bus address and the bus-address mark (nothing mapped), an unsupported peer fails the call.
    /// Behind an IOMMU the entries share one IOVA range and are merged (<c>__finalise_sg</c>): the entries past the
    /// returned count (up to <paramref name="nents"/>) get <see cref="DmaAddr.MappingError"/> and length 0. Does not set
    /// <see cref="SgTable.Nents"/>. Unmap with <see cref="UnmapSg"/> and the same <paramref name="nents"/>, not the
    /// returned count.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nents"/> is outside 1..the table's entry count.</exception>
    /// <exception cref="InvalidOperationException">An entry has no page (a DMA-only table cannot be mapped).</exception>
    public static int MapSg(PciDevice dev, SgTable table, int nents, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        CheckTable(dev, table, nents, dir);
        int count = MapSgCore(dev, table, nents, dir, attrs, p2pAware: true);
        TrackSg(dev, table, nents, dir, count);
        return Math.Max(count, 0); // dma_map_sg_attrs turns every negative errno into 0
    }

    /// <summary>
    /// Unmaps a <see cref="MapSg"/> mapping (<c>dma_unmap_sg_attrs</c>); <paramref name="nents"/> must be the count given
    /// to the map call. Bus-address entries are skipped and unmarked, never unmapped.
    /// </summary>
    public static void UnmapSg(PciDevice dev, SgTable table, int nents, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        Check.NotNull(dev, nameof(dev));
        Check.NotNull(table, nameof(table));
        dev.Topology.DmaDebug.OnUnmapSg(dev, table, nents, dir);
        UnmapTable(dev, table, nents, skipBusAddresses: true);
    }

    /// <summary>
    /// The scatterlist mapping as it was before Linux 6.2 made <c>dma_map_sg</c> P2P-aware: every page is mapped as RAM,
    /// P2P pages included (no map type is asked, no bus address given). Kept so that old driver code stays
    /// expressible and the analyzers can report it; new code calls <see cref="MapSg"/> or <see cref="MapSgTable"/>.
    /// Returns the number of DMA segments, or 0 on failure; merging behind an IOMMU is as in <see cref="MapSg"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nents"/> is outside 1..the table's entry count.</exception>
    /// <exception cref="InvalidOperationException">An entry has no page.</exception>
    public static int LegacyMapSg(PciDevice dev, SgTable table, int nents, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        CheckTable(dev, table, nents, dir);
        int count = MapSgCore(dev, table, nents, dir, attrs, p2pAware: false);
        TrackSg(dev, table, nents, dir, count);
        return Math.Max(count, 0);
    }

    /// <summary>
    /// The scatterlist unmap as it was before Linux 6.2: it does not know bus-address entries and unmaps them too
    /// (with DMA debugging on, each is reported). Kept for old code; new code calls <see cref="UnmapSg"/>.
    /// </summary>
    public static void LegacyUnmapSg(PciDevice dev, SgTable table, int nents, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        Check.NotNull(dev, nameof(dev));
        Check.NotNull(table, nameof(table));
        dev.Topology.DmaDebug.OnUnmapSg(dev, table, nents, dir);
        UnmapTable(dev, table, nents, skipBusAddresses: false);
    }

    /// <summary>
    /// Maps a whole table, P2P-aware (<c>dma_map_sgtable</c>): RAM maps normally; a P2P page whose provider the device
    /// reaches by bus address gets <c>pci_p2pdma_bus_addr_map</c> and the bus-address mark; a page reached through the
    /// host bridge maps like RAM with the caller's attributes (an IOVA behind an IOMMU, <c>phys_to_dma</c> under
    /// dma-direct); an unsupported peer fails the whole call with <see cref="DmaError.RemoteIo"/>. Running out of IOVA
    /// space is <see cref="DmaError.NoMemory"/>, a page dma-direct cannot reach <see cref="DmaError.Io"/>. Sets
    /// <see cref="SgTable.Nents"/> to the number of DMA segments on success; on failure undoes what it mapped and
    /// leaves it alone.
    /// </summary>
    /// <exception cref="InvalidOperationException">An entry has no page.</exception>
    public static DmaError MapSgTable(PciDevice dev, SgTable table, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        CheckTable(dev, table, table?.OrigNents ?? 0, dir);
        int count = MapSgCore(dev, table!, table!.OrigNents, dir, attrs, p2pAware: true);
        if (count < 0)
        {
            return (DmaError)count;
        }

        table.Nents = count;
        TrackSg(dev, table, table.OrigNents, dir, count);
        return DmaError.None;
    }

    /// <summary>
    /// Unmaps a <see cref="MapSgTable"/> mapping (<c>dma_unmap_sgtable</c>): bus-address entries are skipped and
    /// unmarked, never unmapped.
    /// </summary>
    public static void UnmapSgTable(PciDevice dev, SgTable table, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        Check.NotNull(dev, nameof(dev));
        Check.NotNull(table, nameof(table));
        dev.Topology.DmaDebug.OnUnmapSg(dev, table, table.OrigNents, dir);
        UnmapTable(dev, table, table.OrigNents, skipBusAddresses: true);
    }

    private static void CheckTable(PciDevice dev, SgTable? table, int nents, DmaDirection dir)
    {
        Check.Mapping(dev, 1, dir);
        Check.NotNull(table, nameof(table));
        if (nents < 1 || nents > table!.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(nents), $"nents {nents} is outside 1..{table!.Count} (a DMA-only table has no CPU entries to map).");
        }
    }

    private static void TrackSg(PciDevice dev, SgTable table, int nents, DmaDirection dir, int count)
    {
        if (count > 0)
        {
            dev.Topology.DmaDebug.OnMap(new DmaDebugEntry(dev, table[0].DmaAddress, 0, dir, DmaMapFamily.Sg) { Table = table, Nents = nents, ErrorChecked = true });
        }
    }
}
