using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PDma.Mapping;

/// <summary>
/// A scatterlist table (<c>struct sg_table</c>): <see cref="OrigNents"/> CPU entries and, once mapped,
/// <see cref="Nents"/> DMA segments. Iterate the DMA side with <see cref="DmaSegments"/>.
/// </summary>
public sealed class SgTable : IReadOnlyList<Scatterlist>
{
    private readonly Scatterlist[] _entries;

    private SgTable(int nents)
    {
        _entries = Enumerable.Range(0, nents).Select(i => new Scatterlist(this, i)).ToArray();
        OrigNents = nents;
        Nents = nents;
    }

    /// <summary>CPU entries (<c>orig_nents</c>); zero in a DMA-only table.</summary>
    public int OrigNents { get; set; }

    /// <summary>
    /// DMA segments (<c>nents</c>): <see cref="Alloc"/> sets it to the entry count, as <c>sg_alloc_table</c> does, and
    /// <see cref="Dma.MapSgTable"/> to the mapped count, so an exporter that fills one DMA segment per allocated entry
    /// (amdgpu's <c>amdgpu_vram_mgr_alloc_sgt</c>) need not set it.
    /// </summary>
    public int Nents { get; set; }

    /// <summary>Allocated entries.</summary>
    public int Count => _entries.Length;

    /// <summary>The first <see cref="Nents"/> entries: the DMA segments (<c>for_each_sgtable_dma_sg</c>).</summary>
    public IEnumerable<Scatterlist> DmaSegments => _entries.Take(Nents);

    /// <summary>The one IOVA range an sg mapping behind an IOMMU allocated for the whole table, if any (<c>iommu_dma_map_sg</c>).</summary>
    internal (ulong Iova, ulong Size)? SgIova { get; set; }

    /// <summary>Exporter-private state (what <c>struct dma_buf_dma</c> holds around the table).</summary>
    internal object? ExporterState { get; set; }

    /// <summary>Set while an importer holds the table under dma-buf debugging (<c>mangle_sg_table</c>).</summary>
    internal bool IsMangled => MangledFor is not null;

    internal PciDevice? MangledFor { get; set; }

    /// <summary>The entry at <paramref name="index"/>.</summary>
    public Scatterlist this[int index] => _entries[index];

    /// <summary>
    /// Allocates a table of <paramref name="nents"/> empty entries (<c>sg_alloc_table</c>), with
    /// <see cref="Nents"/> = <see cref="OrigNents"/> = <paramref name="nents"/>.
    /// </summary>
    public static SgTable Alloc(int nents) =>
        nents > 0 ? new SgTable(nents) : throw new ArgumentOutOfRangeException(nameof(nents), $"a table needs at least one entry, not {nents}.");

    /// <summary>Builds a table with one entry per page (<c>sg_alloc_table_from_pages</c>, without merging).</summary>
    public static SgTable FromPages(IReadOnlyList<Page> pages)
    {
        if (pages is null || pages.Count == 0 || pages.Any(p => p is null))
        {
            throw new ArgumentException("need at least one page, and no null pages.", nameof(pages));
        }

        SgTable table = Alloc(pages.Count);
        for (int i = 0; i < pages.Count; i++)
        {
            table[i].SetPage(pages[i], Addresses.Paging.PageSize, 0);
        }

        return table;
    }

    /// <inheritdoc/>
    public IEnumerator<Scatterlist> GetEnumerator() => ((IEnumerable<Scatterlist>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal void CheckPageAccess(Scatterlist entry)
    {
        if (MangledFor is PciDevice importer)
        {
            Scatterlist.ReportPageAccess(importer.Topology.DmaDebug, importer, entry);
        }
    }
}
