namespace P2PDma.Debugging;

/// <summary>
/// The call family a mapping was made with (<c>kernel/dma/debug.c</c>'s entry type); unmaps must use the same one. Since
/// Linux 6.17 <c>dma_map_page</c>, <c>dma_map_single</c> and <c>dma_map_resource</c> all go through <c>dma_map_phys</c>
/// (the resource with <c>DMA_ATTR_MMIO</c>) and debug.c records them all as "phy": unmapping one with another's unmap is
/// no longer "wrong function". Coherent, scatter-gather and this library's P2P and IOVA families stay apart.
/// </summary>
public enum DmaMapFamily
{
    /// <summary>Before Linux 6.17, <c>dma_map_single</c> / <c>dma_map_page</c>; no longer produced (see <see cref="Phys"/>).</summary>
    Single,

    /// <summary><c>dma_map_phys</c>, and through it <c>dma_map_page</c>, <c>dma_map_single</c> and <c>dma_map_resource</c> (debug.c's "phy").</summary>
    Phys,

    /// <summary>Before Linux 6.17, <c>dma_map_resource</c>; no longer produced (see <see cref="Phys"/>).</summary>
    Resource,

    /// <summary><c>dma_map_sg</c> / <c>dma_map_sgtable</c>.</summary>
    Sg,

    /// <summary><c>dma_alloc_coherent</c>.</summary>
    Coherent,

    /// <summary>The one-call peer-to-peer mapping (<c>Dma.MapP2P</c>).</summary>
    P2P,

    /// <summary>The two-step IOVA API (<c>dma_iova_link</c>).</summary>
    Iova,
}
