using System;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.Memory;

namespace P2PDma.Mapping;

/// <summary>Per-entry DMA flags (<c>sg-&gt;dma_flags</c>).</summary>
[Flags]
public enum SgDmaFlags
{
    /// <summary>An ordinary mapped entry.</summary>
    None = 0,

    /// <summary>The DMA address is a PCI bus address: nothing was mapped, nothing may be unmapped (<c>SG_DMA_BUS_ADDRESS</c>).</summary>
    BusAddress = 1,
}

/// <summary>
/// One scatterlist entry (<c>struct scatterlist</c>): the CPU side (page, offset, length) and, once mapped, the device
/// side (DMA address and length) with its flags.
/// </summary>
public sealed class Scatterlist
{
    private readonly SgTable _table;
    private Page? _page;

    internal Scatterlist(SgTable table, int index)
    {
        _table = table;
        Index = index;
    }

    /// <summary>The entry's position in its table.</summary>
    public int Index { get; }

    /// <summary>
    /// The next entry of the table, null after the last (<c>sg_next</c>). A walk with it visits every entry, not only the
    /// DMA segments a mapping returned: iterate <c>for_each_sg</c>-style over the mapped count to read DMA addresses.
    /// </summary>
    public Scatterlist? Next() => Index + 1 < _table.Count ? _table[Index + 1] : null;

    /// <summary>
    /// The page (<c>sg_page</c>); null in a DMA-only table. An importer must not read it from an imported dma-buf table:
    /// with dma-buf debugging on, doing so is reported.
    /// </summary>
    public Page? Page
    {
        get
        {
            _table.CheckPageAccess(this);
            return _table.IsMangled ? null : _page;
        }
    }

    /// <summary>Offset of the data within <see cref="Page"/> (<c>sg-&gt;offset</c>).</summary>
    public ulong Offset { get; private set; }

    /// <summary>Bytes of data (<c>sg-&gt;length</c>).</summary>
    public ulong Length { get; private set; }

    /// <summary>The address the device is programmed with (<c>sg_dma_address</c>).</summary>
    public DmaAddr DmaAddress { get; set; }

    /// <summary>The length the device is programmed with (<c>sg_dma_len</c>).</summary>
    public ulong DmaLength { get; set; }

    /// <summary>The entry's DMA flags.</summary>
    public SgDmaFlags DmaFlags { get; private set; }

    /// <summary>True when <see cref="DmaAddress"/> is a PCI bus address (<c>sg_dma_is_bus_address</c>).</summary>
    public bool IsDmaBusAddress => (DmaFlags & SgDmaFlags.BusAddress) != 0;

    /// <summary>The CPU physical address of the data (<c>sg_phys</c>). Not a DMA address.</summary>
    /// <exception cref="InvalidOperationException">The entry has no page (a DMA-only table).</exception>
    public PhysAddr Phys => (Page ?? throw new InvalidOperationException(
        $"Scatterlist entry {Index} has no page: a DMA-only table carries DMA addresses, not CPU physical ones.")).Phys + Offset;

    /// <summary>Points the entry at <paramref name="length"/> bytes of <paramref name="page"/> from <paramref name="offset"/> (<c>sg_set_page</c>).</summary>
    public void SetPage(Page? page, ulong length, ulong offset)
    {
        _page = page;
        Length = length;
        Offset = offset;
    }

    /// <summary>Marks the DMA address as a PCI bus address (<c>sg_dma_mark_bus_address</c>).</summary>
    public void MarkBusAddress() => DmaFlags |= SgDmaFlags.BusAddress;

    /// <summary>Clears the bus-address mark (<c>sg_dma_unmark_bus_address</c>).</summary>
    public void UnmarkBusAddress() => DmaFlags &= ~SgDmaFlags.BusAddress;

    /// <summary>The page as the exporter set it, bypassing the importer checks.</summary>
    internal Page? RawPage => _page;

    /// <summary>E.g. <c>sg[0] page pfn 0x100 off 0x0 len 0x1000 -> dma 0x1000 len 0x1000</c>.</summary>
    public override string ToString() =>
        $"sg[{Index}] {(_page is null ? "no page" : _page.ToString())} off 0x{Offset:x} len 0x{Length:x} -> {DmaAddress} len 0x{DmaLength:x}{(IsDmaBusAddress ? " (bus address)" : "")}";

    internal static void ReportPageAccess(DmaDebug debug, Pci.PciDevice importer, Scatterlist entry) =>
        debug.Report(DmaDebugFindingKind.DmaBufPageAccess, importer, entry.DmaAddress,
            $"importer {importer.Name} read the page of entry {entry.Index} of an imported dma-buf table; pages are not valid there (only DMA addresses are)");
}
