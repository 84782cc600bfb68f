using System;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PDma.Mapping;

public static partial class Dma
{
    /// <summary>
    /// Maps <paramref name="size"/> bytes of <paramref name="page"/> from <paramref name="offset"/> (<c>dma_map_page_attrs</c>).
    /// Legacy: treats the page as RAM, whatever it is. <see cref="DmaAttrs.Mmio"/> is refused (MMIO has no pages to
    /// stream), and with DMA debugging on so is a P2P (ZONE_DEVICE) page. Check the result with <see cref="MappingError"/>.
    /// </summary>
    public static DmaAddr MapPage(PciDevice dev, Page page, ulong offset, ulong size, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        Check.Mapping(dev, size, dir);
        Check.NotNull(page, nameof(page));
        if ((attrs & DmaAttrs.Mmio) != 0)
        {
            return DmaAddr.MappingError; // dma_map_page_attrs: unlikely(attrs & DMA_ATTR_MMIO)
        }

        if (RefusesZoneDevicePage(dev, page, "dma_map_page"))
        {
            return DmaAddr.MappingError;
        }

        return MapTracked(dev, page.Phys + offset, size, dir, attrs, mmio: false, DmaMapFamily.Phys);
    }

    /// <summary>Unmaps a <see cref="MapPage"/> mapping (<c>dma_unmap_page_attrs</c>).</summary>
    public static void UnmapPage(PciDevice dev, DmaAddr address, ulong size, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None) =>
        UnmapTracked(dev, address, size, dir, DmaMapFamily.Phys);

    /// <summary>
    /// Maps <paramref name="size"/> bytes of a kernel buffer from <paramref name="offset"/> (<c>dma_map_single_attrs</c>;
    /// <c>dma_map_single</c> without attributes). With DMA debugging on, P2P memory (a buffer from
    /// <see cref="P2P.PciP2PDma.AllocMem"/>) is refused, as <see cref="MapPage"/> refuses a P2P page.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not lie inside the buffer.</exception>
    public static DmaAddr MapSingle(PciDevice dev, KernelBuffer buffer, ulong offset, ulong size, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        Check.Mapping(dev, size, dir);
        Check.NotNull(buffer, nameof(buffer));
        PhysAddr phys = buffer.VirtToPhys(offset);

        // The kernel would map whatever follows the buffer; a range that overruns it is a caller bug.
        if (size > buffer.Size - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(size),
                $"0x{size:x} bytes at offset 0x{offset:x} do not fit a buffer of 0x{buffer.Size:x} bytes.");
        }

        // dma_map_single_attrs is dma_map_page_attrs of virt_to_page(ptr): P2P memory (pci_alloc_p2pmem) is refused alike.
        if (dev.Topology.Memory.TryPhysToPage(phys, out Page page) && RefusesZoneDevicePage(dev, page, "dma_map_single"))
        {
            return DmaAddr.MappingError;
        }

        return MapTracked(dev, phys, size, dir, attrs, mmio: false, DmaMapFamily.Phys);
    }

    // dma_map_page_attrs: IS_ENABLED(CONFIG_DMA_API_DEBUG) && WARN_ON_ONCE(is_zone_device_page(page)).
    private static bool RefusesZoneDevicePage(PciDevice dev, Page page, string call)
    {
        if (!dev.Topology.DmaDebug.Enabled || !page.IsP2P)
        {
            return false;
        }

        dev.Topology.DmaDebug.Report(DmaDebugFindingKind.MapPageOfZoneDevicePage, dev, DmaAddr.MappingError,
            $"{call} of {page}, a ZONE_DEVICE page (WARN_ON_ONCE(is_zone_device_page(page))): map P2P pages with the P2P-aware sg calls");
        return true;
    }

    /// <summary>Unmaps a <see cref="MapSingle"/> mapping (<c>dma_unmap_single_attrs</c>).</summary>
    public static void UnmapSingle(PciDevice dev, DmaAddr address, ulong size, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None) =>
        UnmapTracked(dev, address, size, dir, DmaMapFamily.Phys);

    /// <summary>
    /// Maps a CPU physical range (<c>dma_map_phys</c>). With <see cref="DmaAttrs.Mmio"/> the range is MMIO (a BAR reached
    /// through the host bridge): the proper call for <see cref="P2P.P2PMapType.ThruHostBridge"/>. It does not decide
    /// the map type: a bus-address peer must not be mapped at all.
    /// </summary>
    public static DmaAddr MapPhys(PciDevice dev, PhysAddr phys, ulong size, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        Check.Mapping(dev, size, dir);
        return MapTracked(dev, phys, size, dir, attrs, mmio: (attrs & DmaAttrs.Mmio) != 0, DmaMapFamily.Phys);
    }

    /// <summary>Unmaps a <see cref="MapPhys"/> mapping (<c>dma_unmap_phys</c>).</summary>
    public static void UnmapPhys(PciDevice dev, DmaAddr address, ulong size, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None) =>
        UnmapTracked(dev, address, size, dir, DmaMapFamily.Phys);

    /// <summary>
    /// Maps MMIO for a device (<c>dma_map_resource</c>). Legacy: knows nothing of P2P or bus offsets. Under dma-direct
    /// it returns the CPU physical address unchanged; behind an IOMMU it maps an IOVA, which a switch between two
    /// peers never sends to the IOMMU. With DMA debugging on, memory that has struct pages (RAM, or P2P memory
    /// published with pages) is refused (<c>WARN_ON_ONCE(pfn_valid(...))</c>).
    /// </summary>
    public static DmaAddr MapResource(PciDevice dev, PhysAddr phys, ulong size, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        Check.Mapping(dev, size, dir);
        if (dev.Topology.DmaDebug.Enabled && dev.Topology.Memory.TryPhysToPage(phys, out Page page))
        {
            dev.Topology.DmaDebug.Report(DmaDebugFindingKind.MapResourceOfPageMemory, dev, DmaAddr.MappingError,
                $"dma_map_resource of {phys}, which has a struct page ({(page.IsP2P ? "P2P memory published with pages" : "RAM")}): pfn_valid memory must be mapped with the page calls");
            return DmaAddr.MappingError;
        }

        return MapTracked(dev, phys, size, dir, attrs, mmio: true, DmaMapFamily.Phys);
    }

    /// <summary>Unmaps a <see cref="MapResource"/> mapping (<c>dma_unmap_resource</c>).</summary>
    public static void UnmapResource(PciDevice dev, DmaAddr address, ulong size, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None) =>
        UnmapTracked(dev, address, size, dir, DmaMapFamily.Phys);

    private static DmaAddr MapTracked(PciDevice dev, PhysAddr phys, ulong size, DmaDirection dir, DmaAttrs attrs, bool mmio, DmaMapFamily family)
    {
        DmaAddr address = MapRange(dev, phys, size, dir, attrs, mmio);
        if (address != DmaAddr.MappingError)
        {
            Track(dev, address, size, dir, family);
        }

        return address;
    }

    private static void UnmapTracked(PciDevice dev, DmaAddr address, ulong size, DmaDirection dir, DmaMapFamily family)
    {
        Check.NotNull(dev, nameof(dev));
        dev.Topology.DmaDebug.OnUnmap(dev, address, size, dir, family);
        UnmapRange(dev, address, size);
    }
}
