using System;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.Pci;

namespace P2PDma.Mapping;

/// <summary>
/// The DMA mapping API (include/linux/dma-mapping.h, kernel/dma/). The legacy calls are modelled as the drivers of
/// section 4 of the design used them: <see cref="MapResource"/>, <see cref="MapPage"/>, <see cref="MapPhys"/> and
/// <see cref="MapSg"/> know nothing of P2P or bus offsets. The proper calls are P2P-aware: <see cref="MapSgTable"/>,
/// <see cref="MapP2P"/>, <see cref="MapPhys"/> with <see cref="DmaAttrs.Mmio"/> after a map-type decision, and the
/// two-step IOVA API. Every mapping result must go through <see cref="MappingError"/>, as in the kernel.
/// </summary>
public static partial class Dma
{
    /// <summary>The default maximum DMA segment size of a PCI device (<c>dma_get_max_seg_size</c>: 64 KiB).</summary>
    public const ulong MaxSegmentSize = 64 * 1024;

    /// <summary>A mask of the low <paramref name="bits"/> bits (<c>DMA_BIT_MASK</c>).</summary>
    public static ulong BitMask(int bits) =>
        bits is < 1 or > 64 ? throw new ArgumentOutOfRangeException(nameof(bits), $"{bits} is outside 1..64.")
        : bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;

    /// <summary>
    /// Sets the streaming and coherent DMA mask (<c>dma_set_mask_and_coherent</c>); <see cref="DmaError.Io"/> when the
    /// mask is not of the form 2^n-1 with n of at least 24.
    /// </summary>
    public static DmaError SetMaskAndCoherent(PciDevice dev, ulong mask)
    {
        Check.NotNull(dev, nameof(dev));
        if (mask < BitMask(24) || (mask & (mask + 1)) != 0)
        {
            return DmaError.Io;
        }

        dev.DmaMask = mask;
        return DmaError.None;
    }

    /// <summary>
    /// True when <paramref name="address"/> is the result of a failed mapping (<c>dma_mapping_error</c>). Calling it is
    /// what the DMA debug checks count as "checked".
    /// </summary>
    public static bool MappingError(PciDevice dev, DmaAddr address)
    {
        Check.NotNull(dev, nameof(dev));
        dev.Topology.DmaDebug.OnMappingErrorCheck(dev, address);
        return address == DmaAddr.MappingError;
    }

    /// <summary>
    /// Maps [phys, phys+size) for <paramref name="dev"/>: an IOVA behind an IOMMU (<c>__iommu_dma_map</c>), else
    /// <c>dma_direct_map_phys</c>: the physical address for MMIO, <c>phys_to_dma</c> (plus the host bridge's inbound
    /// offset) for RAM, checked by <c>dma_capable</c>. Knows nothing of P2P. <see cref="DmaAddr.MappingError"/> on
    /// failure.
    /// </summary>
    internal static DmaAddr MapRange(PciDevice dev, PhysAddr phys, ulong size, DmaDirection dir, DmaAttrs attrs, bool mmio)
    {
        if (dev.IommuDomain is IommuDomain domain)
        {
            ulong offset = phys.PageOffset;
            ulong? iova = domain.AllocIova(offset + size, dev.DmaMask);
            if (iova is null)
            {
                return DmaAddr.MappingError;
            }

            domain.Map(iova.Value, phys.PageAlignDown(), offset + size, IommuDomain.ProtFor(dir, mmio ? attrs | DmaAttrs.Mmio : attrs), synced: true);
            return DmaAddr.FromRaw(iova.Value + offset);
        }

        ulong dma = mmio ? phys.Raw : PhysToDma(dev, phys, size);
        return IsCapable(dev, dma, size) ? DmaAddr.FromRaw(dma) : DmaAddr.MappingError;
    }

    /// <summary>
    /// <c>phys_to_dma</c>: the identity without an inbound offset (no <c>dma_range_map</c>). With one, the offset is the
    /// translation of the one range it describes, RAM; any other address, a BAR included, has no translation
    /// (<c>translate_phys_to_dma</c> returns <c>DMA_MAPPING_ERROR</c>, so <c>dma_capable</c> fails).
    /// </summary>
    internal static ulong PhysToDma(PciDevice dev, PhysAddr phys, ulong size)
    {
        long offset = dev.HostBridge.DmaOffset;
        if (offset == 0)
        {
            return phys.Raw;
        }

        return dev.Topology.IsRam(phys, Math.Max(size, 1)) ? unchecked(phys.Raw + (ulong)offset) : DmaAddr.MappingError.Raw;
    }

    internal static void UnmapRange(PciDevice dev, DmaAddr address, ulong size)
    {
        if (dev.IommuDomain is IommuDomain domain && address != DmaAddr.MappingError)
        {
            ulong iova = address.PageAlignDown().Raw;
            domain.Unmap(iova, address.PageOffset + size);
            domain.FreeIova(iova);
        }
    }

    /// <summary>
    /// <c>dma_capable</c>: the whole range lies at or below <c>min_not_zero(*dev-&gt;dma_mask, dev-&gt;bus_dma_limit)</c>
    /// (the bus limit is the host bridge's <see cref="PciHostBridge.DmaLimit"/>).
    /// </summary>
    internal static bool IsCapable(PciDevice dev, ulong dma, ulong size) =>
        size != 0 && dma != DmaAddr.MappingError.Raw && dma + (size - 1) >= dma && dma + (size - 1) <= EffectiveLimit(dev.DmaMask, dev.HostBridge.DmaLimit);

    /// <summary><c>min_not_zero(limit, bus_dma_limit)</c>.</summary>
    internal static ulong EffectiveLimit(ulong limit, ulong busDmaLimit) =>
        busDmaLimit == 0 ? limit : limit == 0 ? busDmaLimit : Math.Min(limit, busDmaLimit);

    internal static void Track(PciDevice dev, DmaAddr address, ulong size, DmaDirection dir, DmaMapFamily family,
        bool errorChecked = false, bool busAddress = false)
    {
        dev.Topology.DmaDebug.OnMap(new DmaDebugEntry(dev, address, size, dir, family) { ErrorChecked = errorChecked, BusAddress = busAddress });
    }
}

/// <summary>Argument checks shared by the API entry points (the kernel's BUG_ON/WARN_ON become exceptions).</summary>
internal static class Check
{
    public static void NotNull(object? value, string name)
    {
        if (value is null)
        {
            throw new ArgumentNullException(name);
        }
    }

    public static void Mapping(PciDevice dev, ulong size, DmaDirection dir)
    {
        NotNull(dev, nameof(dev));
        if (size == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "a mapping needs at least one byte.");
        }

        if (dir is not (DmaDirection.Bidirectional or DmaDirection.ToDevice or DmaDirection.FromDevice))
        {
            throw new ArgumentException($"{dir} is not a valid direction for a mapping (valid_dma_direction).", nameof(dir));
        }
    }
}
