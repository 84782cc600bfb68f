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

    /// <summary>Finds <paramref name="pages"/> free pages ending at or below <paramref name="limitPfn"/>; null when none.</summary>
    public ulong? Allocate(ulong pages, ulong limitPfn)
    {
        ulong end = limitPfn + 1;
        foreach (KeyValuePair<ulong, ulong> r in _ranges.Reverse())
        {
            if (r.Key >= end)
            {
                continue;
            }

            if (r.Value <= end && end - r.Value >= pages)
            {
                break;
            }

            end = r.Key;
        }

        if (end < pages)
        {
            return null;
        }

        _ranges[end - pages] = end;
        _allocated.Add(end - pages);
        return end - pages;
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
