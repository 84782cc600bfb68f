using System;

namespace P2PDma.Mapping;

/// <summary>Mapping attributes (<c>DMA_ATTR_*</c> in include/linux/dma-mapping.h).</summary>
[Flags]
public enum DmaAttrs
{
    /// <summary>No attributes.</summary>
    None = 0,

    /// <summary>Weak ordering allowed (<c>DMA_ATTR_WEAK_ORDERING</c>).</summary>
    WeakOrdering = 1 << 1,

    /// <summary>
    /// Skip CPU cache maintenance (<c>DMA_ATTR_SKIP_CPU_SYNC</c>). Meaningless for MMIO: peer BAR memory is said
    /// with <see cref="Mmio"/>.
    /// </summary>
    SkipCpuSync = 1 << 5,

    /// <summary>The physical address is MMIO (a BAR), not RAM: no cache maintenance, no bounce buffering (<c>DMA_ATTR_MMIO</c>).</summary>
    Mmio = 1 << 10,
}
