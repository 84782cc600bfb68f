using System;

namespace P2PDma.DmaBuf;

/// <summary>What a dynamic importer declares when it attaches (<c>struct dma_buf_attach_ops</c>).</summary>
public sealed class DmaBufImportOps
{
    /// <summary>The importer can take peer memory (<c>allow_peer2peer</c>); then it must never read pages of the table.</summary>
    public bool AllowPeer2Peer { get; init; }

    /// <summary>Called when the exporter moves or revokes the buffer (<c>move_notify</c>): drop mappings and remap later.</summary>
    public Action<DmaBufAttachment>? MoveNotify { get; init; }
}
