namespace P2PDma.Mapping;

/// <summary>Which way data moves (<c>enum dma_data_direction</c>, values as in the kernel).</summary>
public enum DmaDirection
{
    /// <summary>Both ways (<c>DMA_BIDIRECTIONAL</c>).</summary>
    Bidirectional = 0,

    /// <summary>The device reads memory (<c>DMA_TO_DEVICE</c>).</summary>
    ToDevice = 1,

    /// <summary>The device writes memory (<c>DMA_FROM_DEVICE</c>).</summary>
    FromDevice = 2,

    /// <summary>No transfer; not valid for mapping (<c>DMA_NONE</c>).</summary>
    None = 3,
}
