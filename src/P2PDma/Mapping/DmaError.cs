namespace P2PDma.Mapping;

/// <summary>Errors of the DMA and P2PDMA calls, with the kernel's negative errno values.</summary>
public enum DmaError
{
    /// <summary>Success.</summary>
    None = 0,

    /// <summary>I/O error (<c>-EIO</c>): the mapping could not be made.</summary>
    Io = -5,

    /// <summary>No such device (<c>-ENODEV</c>): e.g. a revoked dma-buf.</summary>
    NoDevice = -19,

    /// <summary>Out of memory or address space (<c>-ENOMEM</c>): e.g. no IOVA space left, or beyond the DMA mask.</summary>
    NoMemory = -12,

    /// <summary>Invalid argument (<c>-EINVAL</c>).</summary>
    Invalid = -22,

    /// <summary>Operation not supported (<c>-EOPNOTSUPP</c>): e.g. an exporter without a physical-address list.</summary>
    NotSupported = -95,

    /// <summary>Peer-to-peer between these devices is not supported (<c>-EREMOTEIO</c>).</summary>
    RemoteIo = -121,
}
