using System;

namespace P2PDma.Mapping;

/// <summary>A mapping failed where the code chose to throw rather than return an error code.</summary>
public sealed class DmaMappingException : Exception
{
    /// <summary>Creates the exception for <paramref name="error"/>.</summary>
    public DmaMappingException(DmaError error)
        : base($"DMA mapping failed: {error}.")
    {
        Error = error;
    }

    /// <summary>Why the mapping failed.</summary>
    public DmaError Error { get; }
}
