using System;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace P2PDma.DmaBuf;

/// <summary>
/// One importer's attachment to a dma-buf (<c>struct dma_buf_attachment</c>). Tables obtained with <see cref="Map"/>
/// carry DMA addresses only: their pages are not valid for the importer.
/// </summary>
public sealed class DmaBufAttachment
{
    internal DmaBufAttachment(DmaBuffer dmaBuf, PciDevice device, DmaBufImportOps? importOps, object? importerPriv)
    {
        DmaBuf = dmaBuf;
        Device = device;
        ImportOps = importOps;
        ImporterPriv = importerPriv;
        Peer2Peer = importOps?.AllowPeer2Peer ?? false;
    }

    /// <summary>The buffer.</summary>
    public DmaBuffer DmaBuf { get; }

    /// <summary>The importing device (<c>attach-&gt;dev</c>).</summary>
    public PciDevice Device { get; }

    /// <summary>True while the importer may receive peer memory (<c>attach-&gt;peer2peer</c>); the exporter may clear it.</summary>
    public bool Peer2Peer { get; set; }

    /// <summary>The importer's ops, or null for a static importer.</summary>
    public DmaBufImportOps? ImportOps { get; }

    /// <summary>The importer's private data.</summary>
    public object? ImporterPriv { get; }

    /// <summary>The exporter's private data for this attachment (<c>attach-&gt;priv</c>).</summary>
    public object? Priv { get; set; }

    /// <summary>True after <see cref="Detach"/>.</summary>
    public bool IsDetached { get; private set; }

    /// <summary>
    /// Maps the buffer for the importer (<c>dma_buf_map_attachment</c>). With dma-buf debugging on, the pages of the
    /// returned table are hidden, and reading them is reported, as <c>CONFIG_DMABUF_DEBUG</c> does.
    /// </summary>
    public DmaResult<SgTable> Map(DmaDirection direction)
    {
        ThrowIfDetached();
        DmaResult<SgTable> result = DmaBuf.Ops.MapDmaBuf(this, direction);
        if (result.Failed)
        {
            return result;
        }

        SgTable table = result.Value;
        DmaDebug debug = Device.Topology.DmaDebug;
        if (debug.DmaBufChecks)
        {
            foreach (Scatterlist sg in table.DmaSegments)
            {
                if (!Paging.IsAligned(sg.DmaAddress.Raw) || !Paging.IsAligned(sg.DmaLength))
                {
                    debug.Report(DmaDebugFindingKind.DmaBufUnaligned, Device, sg.DmaAddress,
                        $"exporter handed {Device.Name} a segment at {sg.DmaAddress} len 0x{sg.DmaLength:x} that is not page aligned");
                    break;
                }
            }

            table.MangledFor = Device;
        }

        return table;
    }

    /// <summary>Gives a table from <see cref="Map"/> back to the exporter (<c>dma_buf_unmap_attachment</c>).</summary>
    public void Unmap(SgTable table, DmaDirection direction)
    {
        Check.NotNull(table, nameof(table));
        ThrowIfDetached();
        table.MangledFor = null;
        DmaBuf.Ops.UnmapDmaBuf(this, table, direction);
    }

    /// <summary>Asks for the non-scatterlist mapping: ranges and provider, for the importer to map with <see cref="Dma.MapP2P"/>.</summary>
    public DmaResult<DmaBufPhysList> MapPhysList()
    {
        ThrowIfDetached();
        return DmaBuf.Ops.MapPhysList(this);
    }

    /// <summary>Ends the use of a list from <see cref="MapPhysList"/>.</summary>
    public void UnmapPhysList(DmaBufPhysList list)
    {
        Check.NotNull(list, nameof(list));
        DmaBuf.Ops.UnmapPhysList(this, list);
    }

    /// <summary>Detaches the importer (<c>dma_buf_detach</c>).</summary>
    public void Detach()
    {
        ThrowIfDetached();
        DmaBuf.Ops.Detach(this);
        DmaBuf.Remove(this);
        IsDetached = true;
    }

    private void ThrowIfDetached()
    {
        if (IsDetached)
        {
            throw new InvalidOperationException($"The attachment of {Device.Name} was detached.");
        }
    }
}
