using System;
using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PDma.Mapping;

/// <summary>
/// A pool of small coherent DMA blocks of one size (<c>struct dma_pool</c>, mm/dmapool.c): pages come from
/// <see cref="Dma.AllocCoherent"/> and are cut into blocks that never cross the pool's boundary. With DMA debugging on,
/// the checks of <c>DMAPOOL_DEBUG</c> report a free of a foreign or mismatched address, a double free, and a pool
/// destroyed while blocks are still out (whose pages then stay mapped, as the kernel leaks them).
/// </summary>
public sealed class DmaPool
{
    private readonly object _gate = new();
    private readonly List<PoolPage> _pages = new();
    private bool _destroyed;

    private DmaPool(string name, PciDevice device, ulong blockSize, ulong allocation, ulong boundary)
    {
        Name = name;
        Device = device;
        BlockSize = blockSize;
        Allocation = allocation;
        Boundary = boundary;
    }

    /// <summary>The pool's name, for diagnostics.</summary>
    public string Name { get; }

    /// <summary>The device the blocks are mapped for.</summary>
    public PciDevice Device { get; }

    /// <summary>The size of each block: the size asked for, at least 16 bytes (a free block holds the free list), rounded up to the alignment.</summary>
    public ulong BlockSize { get; }

    /// <summary>The size of each coherent page the blocks are cut from: the block size, at least a page.</summary>
    public ulong Allocation { get; }

    /// <summary>No block crosses a multiple of this (a power of two, at most <see cref="Allocation"/>).</summary>
    public ulong Boundary { get; }

    /// <summary>
    /// Creates a pool (<c>dma_pool_create</c>), or null when the arguments cannot make one, as the kernel returns NULL:
    /// a size of 0, an alignment that is not a power of two, or a boundary that is not a power of two or is smaller than
    /// the block. An alignment of 0 means 1; a boundary of 0 means none (the page).
    /// </summary>
    public static DmaPool? Create(string name, PciDevice dev, ulong size, ulong align = 0, ulong boundary = 0)
    {
        Check.NotNull(name, nameof(name));
        Check.NotNull(dev, nameof(dev));
        align = align == 0 ? 1 : align;
        if ((align & (align - 1)) != 0 || size == 0)
        {
            return null;
        }

        // The free list lives in the free blocks (struct dma_block: a pointer and an address).
        size = Math.Max(size, MinimumBlock);
        size = (size + align - 1) & ~(align - 1);
        ulong allocation = Math.Max(size, Paging.PageSize);
        if (boundary == 0)
        {
            boundary = allocation;
        }
        else if (boundary < size || (boundary & (boundary - 1)) != 0)
        {
            return null;
        }

        return new DmaPool(name, dev, size, allocation, Math.Min(boundary, allocation));
    }

    /// <summary>
    /// Takes a free block (<c>dma_pool_alloc</c>): its memory, and its DMA address in <paramref name="handle"/>; null, and
    /// <see cref="DmaAddr.MappingError"/>, when no new page can be allocated.
    /// </summary>
    /// <exception cref="InvalidOperationException">The pool was destroyed.</exception>
    public KernelBuffer? Alloc(out DmaAddr handle)
    {
        lock (_gate)
        {
            ThrowIfDestroyed();
            PoolPage? page = _pages.FirstOrDefault(p => p.Free.Count > 0);
            if (page is null)
            {
                KernelBuffer? memory = Dma.AllocCoherent(Device, Allocation, out DmaAddr dma);
                if (memory is null)
                {
                    handle = DmaAddr.MappingError;
                    return null;
                }

                _pages.Add(page = new PoolPage(memory, dma, Offsets()));
            }

            ulong offset = page.Free.Min;
            page.Free.Remove(offset);
            handle = page.Dma + offset;
            return new KernelBuffer(Device.Topology.Memory, page.Memory.Phys + offset, BlockSize);
        }
    }

    /// <summary>Gives a block back (<c>dma_pool_free</c>): <paramref name="block"/> and <paramref name="handle"/> as <see cref="Alloc"/> returned them.</summary>
    /// <exception cref="InvalidOperationException">The pool was destroyed.</exception>
    public void Free(KernelBuffer block, DmaAddr handle)
    {
        Check.NotNull(block, nameof(block));
        DmaDebug debug = Device.Topology.DmaDebug;
        lock (_gate)
        {
            ThrowIfDestroyed();
            PoolPage? page = _pages.FirstOrDefault(p => handle >= p.Dma && handle.Raw - p.Dma.Raw < Allocation);
            if (page is null)
            {
                Report(debug, DmaDebugFindingKind.PoolFreeBadDma, handle, $"dma_pool_free {Name}, {block.Phys}/{handle} (bad dma)");
                return;
            }

            ulong offset = handle.Raw - page.Dma.Raw;
            if (block.Phys != page.Memory.Phys + offset)
            {
                Report(debug, DmaDebugFindingKind.PoolFreeBadVaddr, handle, $"dma_pool_free {Name}, {block.Phys} (bad vaddr)/{handle}");
                return;
            }

            if (!page.Free.Add(offset))
            {
                Report(debug, DmaDebugFindingKind.PoolFreeAlreadyFree, handle, $"dma_pool_free {Name}, dma {handle} already free");
            }
        }
    }

    /// <summary>
    /// Destroys the pool (<c>dma_pool_destroy</c>): pages with no block out are freed; a page with blocks still out is
    /// reported ("busy") and leaked, its coherent mapping left live.
    /// </summary>
    public void Destroy()
    {
        lock (_gate)
        {
            if (_destroyed)
            {
                return;
            }

            _destroyed = true;
            foreach (PoolPage page in _pages)
            {
                if (page.Free.Count < page.Blocks)
                {
                    Report(Device.Topology.DmaDebug, DmaDebugFindingKind.PoolDestroyBusy, page.Dma, $"dma_pool_destroy {Name} busy");
                    continue;
                }

                Dma.FreeCoherent(Device, Allocation, page.Memory, page.Dma);
            }

            _pages.Clear();
        }
    }

    /// <summary>The offsets of the blocks of one page: consecutive blocks, none crossing a boundary (<c>pool_initialise_page</c>).</summary>
    private SortedSet<ulong> Offsets()
    {
        var offsets = new SortedSet<ulong>();
        ulong nextBoundary = Boundary;
        for (ulong offset = 0; offset + BlockSize <= Allocation;)
        {
            if (offset + BlockSize > nextBoundary)
            {
                offset = nextBoundary;
                nextBoundary += Boundary;
                continue;
            }

            offsets.Add(offset);
            offset += BlockSize;
        }

        return offsets;
    }

    private void Report(DmaDebug debug, DmaDebugFindingKind kind, DmaAddr address, string message)
    {
        if (debug.Enabled)
        {
            debug.Report(kind, Device, address, message);
        }
    }

    private void ThrowIfDestroyed()
    {
        if (_destroyed)
        {
            throw new InvalidOperationException($"dma pool {Name} was destroyed.");
        }
    }

    /// <summary>The smallest block: a free block holds the free list's link and its own DMA address.</summary>
    private const ulong MinimumBlock = 16;

    private sealed class PoolPage
    {
        public PoolPage(KernelBuffer memory, DmaAddr dma, SortedSet<ulong> free)
        {
            Memory = memory;
            Dma = dma;
            Free = free;
            Blocks = free.Count;
        }

        public KernelBuffer Memory { get; }

        public DmaAddr Dma { get; }

        public SortedSet<ulong> Free { get; }

        public int Blocks { get; }
    }
}
