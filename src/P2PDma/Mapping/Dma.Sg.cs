using System;
using System.Collections.Generic;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Mapping;

public static partial class Dma
{
    /// <summary>
    /// Maps the first <paramref name="nents"/> entries of <paramref name="table"/> (<c>dma_map_sg_attrs</c>) and returns
    /// the number of DMA segments, or 0 on failure. Legacy: every page is mapped as RAM, P2P pages included (the
    /// behaviour before P2P-aware mapping); behind an IOMMU the entries share one IOVA range and are merged, and the
    /// entries past the returned count (up to <paramref name="nents"/>) get <see cref="DmaAddr.MappingError"/> and
    /// length 0 (<c>__finalise_sg</c>). Does not set <see cref="SgTable.Nents"/>. Unmap with the same
    /// <paramref name="nents"/>, not the returned count.
    /// </summary>
    public static int MapSg(PciDevice dev, SgTable table, int nents, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        CheckTable(dev, table, nents, dir);
        int count = dev.IommuDomain is null ? MapSgDirect(dev, table, nents, dir, attrs) : MapSgIommu(dev, table, nents, dir, attrs);
        if (count > 0)
        {
            dev.Topology.DmaDebug.OnMap(new DmaDebugEntry(dev, table[0].DmaAddress, 0, dir, DmaMapFamily.Sg) { Table = table, Nents = nents, ErrorChecked = true });
        }

        return count;
    }

    /// <summary>
    /// Unmaps a <see cref="MapSg"/> mapping (<c>dma_unmap_sg_attrs</c>); <paramref name="nents"/> must be the count given
    /// to the map call. Legacy: it does not know bus-address entries and unmaps them too.
    /// </summary>
    public static void UnmapSg(PciDevice dev, SgTable table, int nents, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        Check.NotNull(dev, nameof(dev));
        Check.NotNull(table, nameof(table));
        dev.Topology.DmaDebug.OnUnmapSg(dev, table, nents, dir);
        UnmapTable(dev, table, nents, skipBusAddresses: false);
    }

    /// <summary>
    /// Maps a whole table, P2P-aware (<c>dma_map_sgtable</c>): RAM maps normally; a P2P page whose provider the device
    /// reaches by bus address gets <c>pci_p2pdma_bus_addr_map</c> and the bus-address mark; through the host bridge it
    /// maps as MMIO; an unsupported peer fails the whole call with <see cref="DmaError.RemoteIo"/>. Running out of IOVA
    /// space is <see cref="DmaError.NoMemory"/> (<c>-ENOMEM</c>), a range dma-direct cannot reach <see cref="DmaError.Io"/>.
    /// Sets <see cref="SgTable.Nents"/> on success; on failure undoes what it mapped and leaves it alone.
    /// </summary>
    public static DmaError MapSgTable(PciDevice dev, SgTable table, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        CheckTable(dev, table, table?.OrigNents ?? 0, dir);
        var state = new P2PMapState();
        for (int i = 0; i < table!.OrigNents; i++)
        {
            Scatterlist sg = table[i];
            Memory.Page page = sg.RawPage ?? throw new InvalidOperationException($"entry {i} has no page; only CPU tables can be mapped.");
            PhysAddr phys = page.Phys + sg.Offset;
            DmaAddr address;
            DmaError error = DmaError.None;
            switch (PciP2PDma.State(state, dev, page))
            {
                case P2PMapType.BusAddr:
                    address = PciP2PDma.BusAddrMap(state.Provider!, phys);
                    sg.MarkBusAddress();
                    break;
                case P2PMapType.ThruHostBridge:
                    address = MapRange(dev, phys, sg.Length, dir, attrs | DmaAttrs.Mmio, mmio: true, out error);
                    break;
                case P2PMapType.None:
                    address = MapRange(dev, phys, sg.Length, dir, attrs, mmio: false, out error);
                    break;
                default:
                    UnmapTable(dev, table, i, skipBusAddresses: true);
                    return DmaError.RemoteIo;
            }

            if (address == DmaAddr.MappingError)
            {
                // dma_map_sgtable sets sgt->nents only on success: undo the first i entries and leave it alone.
                UnmapTable(dev, table, i, skipBusAddresses: true);
                return error;
            }

            sg.DmaAddress = address;
            sg.DmaLength = sg.Length;
        }

        table.Nents = table.OrigNents;
        dev.Topology.DmaDebug.OnMap(new DmaDebugEntry(dev, table[0].DmaAddress, 0, dir, DmaMapFamily.Sg) { Table = table, Nents = table.OrigNents, ErrorChecked = true });
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

    private static int MapSgDirect(PciDevice dev, SgTable table, int nents, DmaDirection dir, DmaAttrs attrs)
    {
        for (int i = 0; i < nents; i++)
        {
            Scatterlist sg = table[i];
            DmaAddr address = MapRange(dev, PhysOf(sg), sg.Length, dir, attrs, mmio: false);
            if (address == DmaAddr.MappingError)
            {
                return 0;
            }

            sg.DmaAddress = address;
            sg.DmaLength = sg.Length;
        }

        table.SgIova = null;
        return nents;
    }

    /// <summary>iommu_dma_map_sg: one IOVA range for all entries, each at its page offset; contiguous pieces merge.</summary>
    private static int MapSgIommu(PciDevice dev, SgTable table, int nents, DmaDirection dir, DmaAttrs attrs)
    {
        IommuDomain domain = dev.IommuDomain!;
        ulong total = 0;
        for (int i = 0; i < nents; i++)
        {
            total += Paging.AlignUp(table[i].Offset % Paging.PageSize + table[i].Length);
        }

        ulong? iova = domain.AllocIova(total, dev.DmaMask);
        if (iova is null)
        {
            return 0;
        }

        var segments = new List<(ulong Start, ulong Length)>();
        ulong cursor = iova.Value;
        for (int i = 0; i < nents; i++)
        {
            Scatterlist sg = table[i];
            PhysAddr phys = PhysOf(sg);
            domain.Map(cursor, phys.PageAlignDown(), phys.PageOffset + sg.Length, IommuDomain.ProtFor(dir, attrs), synced: true);
            ulong start = cursor + phys.PageOffset;
            int last = segments.Count - 1;
            if (last >= 0 && segments[last].Start + segments[last].Length == start && segments[last].Length + sg.Length <= MaxSegmentSize)
            {
                segments[last] = (segments[last].Start, segments[last].Length + sg.Length);
            }
            else
            {
                segments.Add((start, sg.Length));
            }

            cursor += Paging.AlignUp(phys.PageOffset + sg.Length);
        }

        // __finalise_sg: the entries past the merged segments say so (error address, length 0), which is where
        // iommu_dma_unmap_sg and for_each_sg walkers stop.
        for (int i = 0; i < nents; i++)
        {
            bool segment = i < segments.Count;
            table[i].DmaAddress = segment ? DmaAddr.FromRaw(segments[i].Start) : DmaAddr.MappingError;
            table[i].DmaLength = segment ? segments[i].Length : 0;
        }

        table.SgIova = (iova.Value, total);
        return segments.Count;
    }

    private static PhysAddr PhysOf(Scatterlist sg) =>
        (sg.RawPage ?? throw new InvalidOperationException($"entry {sg.Index} has no page; only CPU tables can be mapped.")).Phys + sg.Offset;

    /// <summary>Undoes the mapping of the first <paramref name="count"/> entries (the nents given to the map call).</summary>
    private static void UnmapTable(PciDevice dev, SgTable table, int count, bool skipBusAddresses)
    {
        if (table.SgIova is (ulong iova, ulong size) && dev.IommuDomain is IommuDomain domain)
        {
            domain.Unmap(iova, size);
            domain.FreeIova(iova);
            table.SgIova = null;
            return;
        }

        for (int i = 0; i < Math.Min(count, table.Count); i++)
        {
            Scatterlist sg = table[i];
            if (sg.IsDmaBusAddress)
            {
                if (!skipBusAddresses && dev.Topology.DmaDebug.Enabled)
                {
                    dev.Topology.DmaDebug.Report(DmaDebugFindingKind.UnmapBusAddress, dev, sg.DmaAddress,
                        $"dma_unmap_sg on entry {sg.Index}, a PCI bus address: bus addresses are never mapped, so never unmapped");
                }

                sg.UnmarkBusAddress();
                continue;
            }

            if (sg.DmaLength == 0)
            {
                continue; // nothing was mapped for this entry
            }

            UnmapRange(dev, sg.DmaAddress, sg.DmaLength);
        }
    }
}
