namespace P2PDma.Debugging;

/// <summary>The call family a mapping was made with; unmaps must use the same one.</summary>
public enum DmaMapFamily
{
    /// <summary><c>dma_map_single</c> / <c>dma_map_page</c>.</summary>
    Single,

    /// <summary><c>dma_map_phys</c>.</summary>
    Phys,

    /// <summary><c>dma_map_resource</c>.</summary>
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
