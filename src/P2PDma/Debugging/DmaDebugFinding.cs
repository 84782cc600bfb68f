using System;
using P2PDma.Addresses;
using P2PDma.Pci;

namespace P2PDma.Debugging;

/// <summary>What a DMA debug check found (the messages of kernel/dma/debug.c and CONFIG_DMABUF_DEBUG).</summary>
public enum DmaDebugFindingKind
{
    /// <summary>A mapping was unmapped or left live without its result ever going through <c>dma_mapping_error</c>.</summary>
    MappingErrorNotChecked,

    /// <summary>Unmap of an address that was never mapped (or already unmapped).</summary>
    UnmapNotMapped,

    /// <summary>Unmap of <c>DMA_MAPPING_ERROR</c> itself.</summary>
    UnmapOfMappingError,

    /// <summary>Unmap with a size other than the map's.</summary>
    UnmapSizeMismatch,

    /// <summary>Unmap with a direction other than the map's.</summary>
    UnmapDirectionMismatch,

    /// <summary>Unmap through another call family than the map (single, phys, resource, sg, coherent, p2p, iova).</summary>
    UnmapFamilyMismatch,

    /// <summary><c>dma_unmap_sg</c> given another entry count than the one passed to <c>dma_map_sg</c>.</summary>
    UnmapNentsMismatch,

    /// <summary>Unmap of a PCI bus address: bus addresses are never mapped, so never unmapped.</summary>
    UnmapBusAddress,

    /// <summary>Sync of memory that is not mapped (never, or no longer: sync after unmap).</summary>
    SyncNotMapped,

    /// <summary>Sync of a range that reaches outside the mapping.</summary>
    SyncOutOfRange,

    /// <summary>Sync in a direction the mapping was not made for.</summary>
    SyncDirectionMismatch,

    /// <summary><c>dma_sync_sg_*</c> given another entry count than the one passed to <c>dma_map_sg</c> (the returned count, say).</summary>
    SyncNentsMismatch,

    /// <summary>Mappings still live when the driver unbinds ("pending DMA allocations while released from device").</summary>
    LeakedAtUnbind,

    /// <summary>An importer read the pages of an imported dma-buf table, where pages are not valid.</summary>
    DmaBufPageAccess,

    /// <summary>An exporter handed out DMA addresses or lengths that are not page aligned.</summary>
    DmaBufUnaligned,

    /// <summary>
    /// <c>dma_map_resource</c> of memory that has struct pages (RAM, or P2P memory published with pages): refused
    /// under <c>CONFIG_DMA_API_DEBUG</c> (<c>WARN_ON_ONCE(pfn_valid(...))</c>); map pages with the page calls.
    /// </summary>
    MapResourceOfPageMemory,

    /// <summary>
    /// <c>dma_map_page</c> of a ZONE_DEVICE page (P2P memory): refused under <c>CONFIG_DMA_API_DEBUG</c>
    /// (<c>WARN_ON_ONCE(is_zone_device_page(page))</c>); P2P pages go through the P2P-aware sg calls.
    /// </summary>
    MapPageOfZoneDevicePage,

    /// <summary><c>dma_pool_free</c> of a DMA address that lies in none of the pool's pages ("bad dma").</summary>
    PoolFreeBadDma,

    /// <summary><c>dma_pool_free</c> whose CPU address is not the block of its DMA address ("bad vaddr").</summary>
    PoolFreeBadVaddr,

    /// <summary><c>dma_pool_free</c> of a block already free (a double free).</summary>
    PoolFreeAlreadyFree,

    /// <summary><c>dma_pool_destroy</c> of a pool with blocks still allocated: their pages are leaked ("busy").</summary>
    PoolDestroyBusy,
}

/// <summary>One finding of the DMA debug checks.</summary>
/// <param name="Kind">Which check fired.</param>
/// <param name="Device">The device whose mapping is concerned.</param>
/// <param name="Address">The DMA address concerned (zero when none applies).</param>
/// <param name="Message">The finding in words, like the kernel's warning.</param>
public sealed record DmaDebugFinding(DmaDebugFindingKind Kind, PciDevice Device, DmaAddr Address, string Message)
{
    /// <summary>E.g. <c>UnmapSizeMismatch on gpu0 (0000:03:00.0) at dma 0x1000: ...</c>.</summary>
    public override string ToString() => $"{Kind} on {Device} at {Address}: {Message}";
}

/// <summary>Thrown for a finding when <see cref="DmaDebug.ThrowOnFinding"/> is set.</summary>
public sealed class DmaDebugException : Exception
{
    /// <summary>Creates the exception for <paramref name="finding"/>.</summary>
    public DmaDebugException(DmaDebugFinding finding)
        : base(finding?.ToString())
    {
        Finding = finding ?? throw new ArgumentNullException(nameof(finding));
    }

    /// <summary>The finding that was raised.</summary>
    public DmaDebugFinding Finding { get; }
}
