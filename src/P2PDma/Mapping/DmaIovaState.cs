using P2PDma.Addresses;

namespace P2PDma.Mapping;

/// <summary>
/// The IOVA range of the two-step mapping API (<c>struct dma_iova_state</c>): allocated once with
/// <see cref="Dma.IovaTryAlloc"/>, filled with <see cref="Dma.IovaLink"/>, made visible with <see cref="Dma.IovaSync"/>.
/// </summary>
public sealed class DmaIovaState
{
    /// <summary>The DMA address of the start of the range (<c>state-&gt;addr</c>).</summary>
    public DmaAddr Addr { get; internal set; }

    /// <summary>Bytes in the range (<c>state-&gt;size</c>); zero when no IOVA is in use.</summary>
    public ulong Size { get; internal set; }

    /// <summary>The page-aligned start of the allocation.</summary>
    internal ulong IovaBase { get; set; }
}
