using System.Collections.Generic;
using System.Linq;

namespace P2PDma.Mapping;

/// <summary>
/// Allocates I/O virtual page ranges top-down below a limit, as drivers/iommu/iova.c does, skipping reserved ranges.
/// Works in page frame numbers; not thread-safe (the domain locks).
/// </summary>
internal sealed class IovaAllocator
{
    private readonly SortedDictionary<ulong, ulong> _ranges = new(); // start pfn -> end pfn (exclusive)
    private readonly HashSet<ulong> _allocated = new();

    /// <summary>Marks [startPfn, endPfn) as never to be allocated, merging with reserved ranges it touches.</summary>
    public void Reserve(ulong startPfn, ulong endPfn)
    {
        if (endPfn <= startPfn)
        {
            return;
        }

        foreach (KeyValuePair<ulong, ulong> r in _ranges.Where(r => r.Key <= endPfn && r.Value >= startPfn).ToArray())
        {
            startPfn = System.Math.Min(startPfn, r.Key);
            endPfn = System.Math.Max(endPfn, r.Value);
            _ranges.Remove(r.Key);
        }

        _ranges[startPfn] = endPfn;
    }

    /// <summary>
    /// Finds <paramref name="pages"/> free pages ending at or below <paramref name="limitPfn"/>, the highest such range
    /// whose start is a multiple of <paramref name="pages"/> rounded up to a power of two
    /// (<c>__alloc_and_insert_iova_range</c> with <c>size_aligned</c>: <c>align_mask &lt;&lt;= fls_long(size - 1)</c>);
    /// null when none.
    /// </summary>
    public ulong? Allocate(ulong pages, ulong limitPfn)
    {
        ulong alignMask = ~0UL << FlsLong(pages - 1);
        ulong high = limitPfn + 1;
        ulong? found = null;
        foreach (KeyValuePair<ulong, ulong> r in _ranges.Reverse())
        {
            if (r.Key >= high)
            {
                continue;
            }

            if (r.Value <= high && high >= pages && ((high - pages) & alignMask) >= r.Value)
            {
                found = (high - pages) & alignMask;
                break;
            }

            high = r.Key;
        }

        if (found is null && high >= pages)
        {
            found = (high - pages) & alignMask;
        }

        if (found is not ulong start)
        {
            return null;
        }

        _ranges[start] = start + pages;
        _allocated.Add(start);
        return start;
    }

    /// <summary>The position of the highest set bit, 1-based; 0 for 0 (<c>fls_long</c>).</summary>
    internal static int FlsLong(ulong value)
    {
        int bits = 0;
        while (value != 0)
        {
            bits++;
            value >>= 1;
        }

        return bits;
    }

    /// <summary>Frees an allocation by its first page; reserved ranges and unknown pages are left alone.</summary>
    public void Free(ulong startPfn)
    {
        if (_allocated.Remove(startPfn))
        {
            _ranges.Remove(startPfn);
        }
    }
}
