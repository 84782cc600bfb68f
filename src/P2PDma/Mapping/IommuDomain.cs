using System;
using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.Pci;

namespace P2PDma.Mapping;

/// <summary>Permissions of an IOMMU mapping (<c>IOMMU_READ</c>, <c>IOMMU_WRITE</c>, <c>IOMMU_MMIO</c>).</summary>
[Flags]
public enum IommuProt
{
    /// <summary>No access.</summary>
    None = 0,

    /// <summary>The device may read.</summary>
    Read = 1,

    /// <summary>The device may write.</summary>
    Write = 2,

    /// <summary>The target is MMIO, not RAM.</summary>
    Mmio = 4,
}

/// <summary>
/// The IOMMU DMA domain of one device (<c>struct iommu_domain</c> with its <c>iova_domain</c>): an IOVA allocator that
/// keeps clear of the device's own host bridge's PCI windows (<c>iova_reserve_pci_windows</c>), and page-granular
/// translations. IOVAs come from below 4 GiB first, then from the rest of the device's DMA mask, capped by the
/// IOMMU's 48-bit input address width (<c>iommu_dma_alloc_iova</c>). Thread-safe.
/// </summary>
public sealed class IommuDomain
{
    /// <summary>
    /// The last IOVA the IOMMU translates (<c>domain-&gt;geometry.aperture_end</c>): the common 48-bit input address
    /// width of 4-level page tables with 4 KiB pages.
    /// </summary>
    internal const ulong ApertureEnd = (1UL << 48) - 1;

    /// <summary><c>DMA_BIT_MASK(32)</c>: the space tried first for PCI devices.</summary>
    private const ulong Low4GiB = 0xFFFF_FFFF;

    private readonly object _gate = new();
    private readonly IovaAllocator _iova = new();
    private readonly Dictionary<ulong, (ulong PhysPfn, IommuProt Prot, bool Synced)> _ptes = new();

    /// <summary>
    /// <c>dev-&gt;iommu-&gt;pci_32bit_workaround</c>: set for every PCI device (no <c>iommu.forcedac</c>), cleared the
    /// first time the space below 4 GiB has no room, after which the device gets IOVAs from its whole mask.
    /// </summary>
    private bool _pci32BitWorkaround = true;

    internal IommuDomain(PciDevice device)
    {
        Device = device;
        _iova.Reserve(0, 1); // IOVA 0 is never handed out.
        PciHostBridge host = device.HostBridge;
        foreach (HostBridgeWindow w in host.Windows)
        {
            ReserveBus(w.BusStart.Raw, w.Size);
        }

        // A bridge without declared windows passes bus = CPU addresses; its BARs stand in for the windows the kernel
        // would reserve. Only this host bridge's hierarchy: another root complex's BARs are not on this device's bus,
        // even in the same PCI domain, so an IOVA with their address still goes up to this IOMMU.
        foreach (PciBar bar in host.Devices.SelectMany(d => d.Bars))
        {
            ReserveBus(bar.BusStart.Raw, bar.Size);
        }
    }

    /// <summary>The device whose DMA this domain translates.</summary>
    public PciDevice Device { get; }

    /// <summary>How many pages are mapped.</summary>
    public int MappedPages
    {
        get
        {
            lock (_gate)
            {
                return _ptes.Count;
            }
        }
    }

    /// <summary>
    /// Translates an IOVA as the IOMMU would for a DMA: the physical address and permissions, if a synced mapping
    /// covers it.
    /// </summary>
    public bool TryTranslate(DmaAddr iova, out PhysAddr phys, out IommuProt prot)
    {
        lock (_gate)
        {
            if (_ptes.TryGetValue(iova.Raw >> Paging.PageShift, out var pte) && pte.Synced)
            {
                phys = PhysAddr.FromRaw((pte.PhysPfn << Paging.PageShift) | iova.PageOffset);
                prot = pte.Prot;
                return true;
            }
        }

        phys = default;
        prot = IommuProt.None;
        return false;
    }

    /// <summary>True when a mapping covers the page of <paramref name="iova"/> but has not been synced yet.</summary>
    public bool IsPendingSync(DmaAddr iova)
    {
        lock (_gate)
        {
            return _ptes.TryGetValue(iova.Raw >> Paging.PageShift, out var pte) && !pte.Synced;
        }
    }

    internal static IommuProt ProtFor(DmaDirection direction, DmaAttrs attrs)
    {
        IommuProt prot = direction switch
        {
            DmaDirection.ToDevice => IommuProt.Read,
            DmaDirection.FromDevice => IommuProt.Write,
            _ => IommuProt.Read | IommuProt.Write,
        };
        return (attrs & DmaAttrs.Mmio) != 0 ? prot | IommuProt.Mmio : prot;
    }

    /// <summary>
    /// <c>IOVA_RANGE_CACHE_MAX_SIZE</c>: allocations of fewer than 2^(6-1) pages are rounded up to a power of two
    /// (<c>alloc_iova_fast</c>), so that they can go back into the per-CPU caches.
    /// </summary>
    internal const ulong RangeCacheRoundingLimit = 1UL << (6 - 1);

    /// <summary>
    /// Allocates page-aligned IOVA space for <paramref name="size"/> bytes at or below <paramref name="limit"/> (the
    /// device's DMA mask), as <c>iommu_dma_alloc_iova</c> does: the limit is <c>min_not_zero</c> with the host bridge's
    /// <c>bus_dma_limit</c> and capped by the aperture, and a PCI device whose limit lies above 4 GiB is first given an
    /// address below 4 GiB. As <c>alloc_iova_fast</c> does, fewer than 32 pages are rounded up to a power of two, and
    /// the range is aligned to its size rounded up to a power of two. Null when no space is left (the caller's
    /// -ENOMEM).
    /// </summary>
    internal ulong? AllocIova(ulong size, ulong limit)
    {
        ulong pages = Paging.AlignUp(size) >> Paging.PageShift;
        if (pages < RangeCacheRoundingLimit)
        {
            pages = 1UL << IovaAllocator.FlsLong(pages - 1); // roundup_pow_of_two
        }

        limit = Math.Min(Dma.EffectiveLimit(limit, Device.HostBridge.DmaLimit), ApertureEnd);
        lock (_gate)
        {
            // The SAC trick: enough hardware mishandles addresses above 32 bits that 64-bit space is used only
            // once the 32-bit space is full.
            if (limit > Low4GiB && _pci32BitWorkaround)
            {
                if (_iova.Allocate(pages, Low4GiB >> Paging.PageShift) is ulong low)
                {
                    return low << Paging.PageShift;
                }

                _pci32BitWorkaround = false;
            }

            ulong? pfn = _iova.Allocate(pages, limit >> Paging.PageShift);
            return pfn << Paging.PageShift;
        }
    }

    internal void FreeIova(ulong iova)
    {
        lock (_gate)
        {
            _iova.Free(iova >> Paging.PageShift);
        }
    }

    /// <summary>Maps the pages of [iova, iova+size) to the pages of [phys, ...); both share the same page offset.</summary>
    internal void Map(ulong iova, PhysAddr phys, ulong size, IommuProt prot, bool synced)
    {
        ulong first = iova >> Paging.PageShift;
        ulong pages = PageSpan(iova, size);
        ulong physPfn = phys.Raw >> Paging.PageShift;
        lock (_gate)
        {
            for (ulong i = 0; i < pages; i++)
            {
                _ptes[first + i] = (physPfn + i, prot, synced);
            }
        }
    }

    internal void Sync(ulong iova, ulong size) => Update(iova, size, pte => (pte.PhysPfn, pte.Prot, true));

    internal void Unmap(ulong iova, ulong size)
    {
        ulong first = iova >> Paging.PageShift;
        ulong pages = PageSpan(iova, size);
        lock (_gate)
        {
            for (ulong i = 0; i < pages; i++)
            {
                _ptes.Remove(first + i);
            }
        }
    }

    internal static ulong PageSpan(ulong address, ulong size) =>
        (Paging.AlignUp((address & (Paging.PageSize - 1)) + size)) >> Paging.PageShift;

    private void Update(ulong iova, ulong size, Func<(ulong PhysPfn, IommuProt Prot, bool Synced), (ulong, IommuProt, bool)> change)
    {
        ulong first = iova >> Paging.PageShift;
        ulong pages = PageSpan(iova, size);
        lock (_gate)
        {
            for (ulong i = 0; i < pages; i++)
            {
                if (_ptes.TryGetValue(first + i, out var pte))
                {
                    _ptes[first + i] = change(pte);
                }
            }
        }
    }

    private void ReserveBus(ulong busStart, ulong size)
    {
        // Page frame numbers, rounded outwards; computed on the last byte so a range ending at 2^64 cannot overflow.
        if (size == 0)
        {
            return;
        }

        ulong lastByte = busStart + Math.Min(size - 1, ulong.MaxValue - busStart);
        _iova.Reserve(busStart >> Paging.PageShift, (lastByte >> Paging.PageShift) + 1);
    }
}
