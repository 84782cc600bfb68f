using P2PDma.Mapping;

namespace P2PDma.DmaBuf;

/// <summary>
/// What an exporter implements (<c>struct dma_buf_ops</c>). A proper map callback keeps CPU-physical ranges and a
/// provider and returns <see cref="DmaBufMapping.PhysVecToSgt"/>; it does not fill entries with DMA addresses by hand.
/// </summary>
public abstract class DmaBufOps
{
    /// <summary>
    /// An importer attaches (<c>attach</c>). The exporter may clear <see cref="DmaBufAttachment.Peer2Peer"/> or refuse.
    /// </summary>
    public virtual DmaError Attach(DmaBufAttachment attach) => DmaError.None;

    /// <summary>An importer detaches (<c>detach</c>).</summary>
    public virtual void Detach(DmaBufAttachment attach)
    {
    }

    /// <summary>Maps the buffer for the attached device (<c>map_dma_buf</c>): a DMA-only table for the importer.</summary>
    public abstract DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction);

    /// <summary>Undoes <see cref="MapDmaBuf"/> (<c>unmap_dma_buf</c>).</summary>
    public abstract void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction);

    /// <summary>
    /// Offers the buffer as a list of CPU-physical ranges and a provider instead of a scatterlist (the non-scatterlist
    /// mapping type importer and exporter can agree on). Default: not supported.
    /// </summary>
    public virtual DmaResult<DmaBufPhysList> MapPhysList(DmaBufAttachment attach) => DmaError.NotSupported;

    /// <summary>Ends the use of a list from <see cref="MapPhysList"/>.</summary>
    public virtual void UnmapPhysList(DmaBufAttachment attach, DmaBufPhysList list)
    {
    }
}
