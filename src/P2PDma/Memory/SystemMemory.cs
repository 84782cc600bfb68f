using System;
using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Memory;

/// <summary>
/// The CPU physical address space of a topology: RAM and BAR memory holding real bytes (sparse, zero until written),
/// a page allocator for RAM, and struct pages for RAM and published P2P memory.
/// </summary>
public sealed class SystemMemory
{
    /// <summary>Allocation starts above the first MiB so that physical address 0 is never a buffer.</summary>
    private const ulong AllocationFloor = 1UL << 20;

    private readonly PciTopology _topology;
    private readonly Dictionary<ulong, byte[]> _frames = new();
    private readonly object _gate = new();
    private ulong _nextFree = AllocationFloor;

    internal SystemMemory(PciTopology topology) => _topology = topology;

    /// <summary>Allocates <paramref name="count"/> physically contiguous RAM pages (<c>alloc_pages</c>).</summary>
    /// <exception cref="OutOfMemoryException">RAM has no room for them.</exception>
    public Page[] AllocPages(int count)
    {
        if (count <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"page count must be positive, not {count}.");
        }

        PhysAddr start = Allocate((ulong)count * Paging.PageSize);
        return Enumerable.Range(0, count).Select(i => PhysToPage(start + ((ulong)i * Paging.PageSize))).ToArray();
    }

    /// <summary>Allocates a physically contiguous, page-aligned RAM buffer (<c>kmalloc</c>).</summary>
    /// <exception cref="OutOfMemoryException">RAM has no room for it.</exception>
    public KernelBuffer Kmalloc(ulong size)
    {
        if (size == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "size must be positive.");
        }

        return new KernelBuffer(this, Allocate(size), size);
    }

    /// <summary>The page at <paramref name="address"/> (<c>phys_to_page</c>): RAM, or published P2P memory.</summary>
    /// <exception cref="ArgumentException">No struct page exists there (unclaimed, or a BAR not published with pages).</exception>
    public Page PhysToPage(PhysAddr address) =>
        TryPhysToPage(address, out Page page)
            ? page
            : throw new ArgumentException($"{address} has no struct page: it is neither RAM nor P2P memory published with pci_p2pdma_add_resource.", nameof(address));

    /// <summary>Looks up the page at <paramref name="address"/>.</summary>
    public bool TryPhysToPage(PhysAddr address, out Page page)
    {
        ulong pfn = address.Raw >> Paging.PageShift;
        if (_topology.IsRam(address))
        {
            page = new Page(pfn, null);
            return true;
        }

        PciBar? bar = _topology.FindBar(address);
        if (bar is not null && bar.Device.P2P.IsPublished(address))
        {
            page = new Page(pfn, PciP2PDma.Provider(bar.Device, bar.Index));
            return true;
        }

        page = null!;
        return false;
    }

    /// <summary>Reads bytes at a CPU physical address (RAM or BAR MMIO), as the CPU would.</summary>
    /// <exception cref="ArgumentException">Part of the range is neither RAM nor a BAR.</exception>
    public byte[] Read(PhysAddr address, int length)
    {
        if (length < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "length must not be negative.");
        }

        CheckClaimed(address, (ulong)length);
        var data = new byte[length];
        lock (_gate)
        {
            Copy(address, (ulong)length, (frame, offset, done, count) => Array.Copy(frame, offset, data, done, count));
        }

        return data;
    }

    /// <summary>Writes bytes at a CPU physical address (RAM or BAR MMIO), as the CPU would.</summary>
    /// <exception cref="ArgumentException">Part of the range is neither RAM nor a BAR.</exception>
    public void Write(PhysAddr address, byte[] data)
    {
        if (data is null)
        {
            throw new ArgumentNullException(nameof(data));
        }

        CheckClaimed(address, (ulong)data.Length);
        lock (_gate)
        {
            Copy(address, (ulong)data.Length, (frame, offset, done, count) => Array.Copy(data, done, frame, offset, count));
        }
    }

    /// <summary>True when the whole range is RAM or lies within one BAR.</summary>
    public bool IsClaimed(PhysAddr address, ulong length) =>
        _topology.IsRam(address, Math.Max(length, 1)) || _topology.FindBar(address)?.Contains(address, Math.Max(length, 1)) == true;

    private void CheckClaimed(PhysAddr address, ulong length)
    {
        if (!IsClaimed(address, length))
        {
            throw new ArgumentException($"0x{length:x} bytes at {address} are not all RAM or one BAR.", nameof(address));
        }
    }

    private void Copy(PhysAddr address, ulong length, Action<byte[], int, int, int> move)
    {
        ulong done = 0;
        while (done < length)
        {
            ulong at = address.Raw + done;
            ulong pfn = at >> Paging.PageShift;
            int offset = (int)(at & (Paging.PageSize - 1));
            int count = (int)Math.Min(Paging.PageSize - (ulong)offset, length - done);
            if (!_frames.TryGetValue(pfn, out byte[]? frame))
            {
                frame = new byte[Paging.PageSize];
                _frames[pfn] = frame;
            }

            move(frame, offset, (int)done, count);
            done += (ulong)count;
        }
    }

    private PhysAddr Allocate(ulong size)
    {
        ulong bytes = Paging.AlignUp(size);
        lock (_gate)
        {
            foreach (PhysRange ram in _topology.Ram.OrderBy(r => r.Start))
            {
                ulong start = Math.Max(Paging.AlignUp(ram.Start.Raw), _nextFree);
                if (ram.Contains(PhysAddr.FromRaw(start), bytes))
                {
                    _nextFree = start + bytes;
                    return PhysAddr.FromRaw(start);
                }
            }
        }

        throw new OutOfMemoryException($"No room for 0x{bytes:x} contiguous bytes of RAM.");
    }
}
