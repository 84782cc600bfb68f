using System;
using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.DmaBuf;

/// <summary>
/// The proper exporter helpers of drivers/dma-buf/dma-buf-mapping.c: build a DMA-only table from CPU-physical ranges
/// and a provider, choosing by map type, and free it without unmapping bus addresses.
/// </summary>
public static class DmaBufMapping
{
    /// <summary>The largest DMA length one entry holds (<c>UINT_MAX</c>).</summary>
    private const ulong MaxEntryLength = uint.MaxValue;

    /// <summary>
    /// Maps <paramref name="ranges"/> of <paramref name="provider"/> for the attached device and returns a DMA-only
    /// table (pages null, <see cref="SgTable.OrigNents"/> 0) (<c>dma_buf_phys_vec_to_sgt</c>): bus addresses for
    /// <see cref="P2PMapType.BusAddr"/>; an IOVA range linked as MMIO, or <see cref="Dma.MapPhys"/> with
    /// <see cref="DmaAttrs.Mmio"/> under dma-direct, for <see cref="P2PMapType.ThruHostBridge"/>;
    /// <see cref="DmaError.Invalid"/> otherwise. A range <c>dma_map_phys</c> cannot map is <see cref="DmaError.NoMemory"/>
    /// (the kernel returns <c>dma_mapping_error()</c>, which is <c>-ENOMEM</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A range is not the provider's memory, or the ranges do not add up to <paramref name="size"/>.</exception>
    public static DmaResult<SgTable> PhysVecToSgt(DmaBufAttachment attach, P2PProvider provider, IReadOnlyList<PhysRange> ranges,
        ulong size, DmaDirection direction)
    {
        Check.NotNull(attach, nameof(attach));
        Check.NotNull(provider, nameof(provider));
        Check.NotNull(ranges, nameof(ranges));
        CheckRanges(provider, ranges, size);
        PciDevice dev = attach.Device;
        var exported = new ExportedTable(provider, direction, size);
        switch (PciP2PDma.MapType(provider, dev))
        {
            case P2PMapType.BusAddr:
                return Fill(exported, ranges.Select(r => (PciP2PDma.BusAddrMap(provider, r.Start), r.Size)).ToList());
            case P2PMapType.ThruHostBridge:
                var state = new DmaIovaState();
                return Dma.IovaTryAlloc(dev, state, PhysAddr.FromRaw(0), size)
                    ? MapThroughIova(dev, exported, state, ranges, direction)
                    : MapEachRange(dev, exported, ranges, direction);
            default:
                return DmaError.Invalid;
        }
    }

    /// <summary>Undoes <see cref="PhysVecToSgt"/> (<c>dma_buf_free_sgt</c>): unmaps MMIO mappings, never bus addresses.</summary>
    /// <exception cref="ArgumentException">The table was not made by <see cref="PhysVecToSgt"/>.</exception>
    public static void FreeSgt(DmaBufAttachment attach, SgTable table, DmaDirection direction)
    {
        Check.NotNull(attach, nameof(attach));
        Check.NotNull(table, nameof(table));
        if (table.ExporterState is not ExportedTable exported)
        {
            throw new ArgumentException("The table was not made by PhysVecToSgt.", nameof(table));
        }

        table.ExporterState = null;
        if (exported.Iova is DmaIovaState state)
        {
            Dma.IovaDestroy(attach.Device, state, exported.Size, direction, DmaAttrs.Mmio);
            return;
        }

        foreach ((DmaAddr address, ulong length) in exported.DirectMappings)
        {
            Dma.UnmapPhys(attach.Device, address, length, direction, DmaAttrs.Mmio);
        }
    }

    private static void CheckRanges(P2PProvider provider, IReadOnlyList<PhysRange> ranges, ulong size)
    {
        ulong total = 0;
        foreach (PhysRange r in ranges)
        {
            if (r.Size == 0 || !provider.Contains(r.Start, r.Size))
            {
                throw new ArgumentOutOfRangeException(nameof(ranges), $"{r} is empty or not inside {provider.Bar}.");
            }

            total += r.Size;
        }

        if (ranges.Count == 0 || total != size)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"the {ranges.Count} ranges add up to 0x{total:x} bytes, not 0x{size:x}.");
        }
    }

    private static DmaResult<SgTable> MapThroughIova(PciDevice dev, ExportedTable exported, DmaIovaState state,
        IReadOnlyList<PhysRange> ranges, DmaDirection direction)
    {
        ulong mapped = 0;
        foreach (PhysRange r in ranges)
        {
            DmaError error = Dma.IovaLink(dev, state, r.Start, mapped, r.Size, direction, DmaAttrs.Mmio);
            if (error != DmaError.None)
            {
                Dma.IovaDestroy(dev, state, mapped, direction, DmaAttrs.Mmio);
                return error;
            }

            mapped += r.Size;
        }

        DmaError synced = Dma.IovaSync(dev, state, 0, mapped);
        if (synced != DmaError.None)
        {
            Dma.IovaDestroy(dev, state, mapped, direction, DmaAttrs.Mmio);
            return synced;
        }

        exported.Iova = state;
        return Fill(exported, new List<(DmaAddr, ulong)> { (state.Addr, mapped) });
    }

    private static DmaResult<SgTable> MapEachRange(PciDevice dev, ExportedTable exported, IReadOnlyList<PhysRange> ranges, DmaDirection direction)
    {
        foreach (PhysRange r in ranges)
        {
            DmaAddr address = Dma.MapPhys(dev, r.Start, r.Size, direction, DmaAttrs.Mmio);
            if (Dma.MappingError(dev, address))
            {
                foreach ((DmaAddr done, ulong length) in exported.DirectMappings)
                {
                    Dma.UnmapPhys(dev, done, length, direction, DmaAttrs.Mmio);
                }

                return DmaError.NoMemory; // ret = dma_mapping_error(), which is -ENOMEM
            }

            exported.DirectMappings.Add((address, r.Size));
        }

        return Fill(exported, exported.DirectMappings);
    }

    /// <summary>Builds the DMA-only table, splitting segments longer than an entry can hold (<c>fill_sg_entry</c>).</summary>
    private static SgTable Fill(ExportedTable exported, IReadOnlyList<(DmaAddr Address, ulong Length)> segments)
    {
        var pieces = new List<(DmaAddr, ulong)>();
        foreach ((DmaAddr address, ulong length) in segments)
        {
            for (ulong done = 0; done < length; done += MaxEntryLength)
            {
                pieces.Add((address + done, Math.Min(MaxEntryLength, length - done)));
            }
        }

        SgTable table = SgTable.Alloc(pieces.Count);
        for (int i = 0; i < pieces.Count; i++)
        {
            table[i].SetPage(null, 0, 0);
            table[i].DmaAddress = pieces[i].Item1;
            table[i].DmaLength = pieces[i].Item2;
        }

        table.OrigNents = 0; // a DMA-only table has no CPU entries; Alloc already set Nents to the piece count
        table.ExporterState = exported;
        return table;
    }

    /// <summary>What the helper remembers about a table it made (<c>struct dma_buf_dma</c>).</summary>
    private sealed class ExportedTable
    {
        public ExportedTable(P2PProvider provider, DmaDirection direction, ulong size)
        {
            Provider = provider;
            Direction = direction;
            Size = size;
        }

        public P2PProvider Provider { get; }

        public DmaDirection Direction { get; }

        public ulong Size { get; }

        public DmaIovaState? Iova { get; set; }

        public List<(DmaAddr Address, ulong Length)> DirectMappings { get; } = new();
    }
}
