using System;
using System.Collections.Generic;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace P2PDma.DmaBuf;

/// <summary>A shared buffer (<c>struct dma_buf</c>) made by an exporter and attached by importers.</summary>
public sealed class DmaBuffer
{
    private readonly List<DmaBufAttachment> _attachments = new();
    private readonly object _gate = new();

    private DmaBuffer(DmaBufOps ops, ulong size, object? priv)
    {
        Ops = ops;
        Size = size;
        Priv = priv;
    }

    /// <summary>The exporter's callbacks.</summary>
    public DmaBufOps Ops { get; }

    /// <summary>Bytes in the buffer.</summary>
    public ulong Size { get; }

    /// <summary>The exporter's private data (<c>dmabuf-&gt;priv</c>).</summary>
    public object? Priv { get; }

    /// <summary>The live attachments.</summary>
    public IReadOnlyList<DmaBufAttachment> Attachments
    {
        get
        {
            lock (_gate)
            {
                return _attachments.ToArray();
            }
        }
    }

    /// <summary>Exports a buffer (<c>dma_buf_export</c>).</summary>
    public static DmaBuffer Export(DmaBufOps ops, ulong size, object? priv = null)
    {
        Check.NotNull(ops, nameof(ops));
        if (size == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "a dma-buf needs at least one byte.");
        }

        return new DmaBuffer(ops, size, priv);
    }

    /// <summary>Attaches a static importer, which cannot take peer memory (<c>dma_buf_attach</c>).</summary>
    public DmaResult<DmaBufAttachment> Attach(PciDevice importer) => AttachCore(importer, null, null);

    /// <summary>Attaches a dynamic importer (<c>dma_buf_dynamic_attach</c>); P2P if it allows it and the exporter agrees.</summary>
    public DmaResult<DmaBufAttachment> DynamicAttach(PciDevice importer, DmaBufImportOps importOps, object? importerPriv = null)
    {
        Check.NotNull(importOps, nameof(importOps));
        return AttachCore(importer, importOps, importerPriv);
    }

    /// <summary>Tells every dynamic importer that the buffer moved or was revoked (<c>dma_buf_move_notify</c>).</summary>
    public void MoveNotify()
    {
        foreach (DmaBufAttachment attach in Attachments)
        {
            attach.ImportOps?.MoveNotify?.Invoke(attach);
        }
    }

    internal void Remove(DmaBufAttachment attach)
    {
        lock (_gate)
        {
            _attachments.Remove(attach);
        }
    }

    private DmaResult<DmaBufAttachment> AttachCore(PciDevice importer, DmaBufImportOps? importOps, object? importerPriv)
    {
        Check.NotNull(importer, nameof(importer));
        var attach = new DmaBufAttachment(this, importer, importOps, importerPriv);
        DmaError error = Ops.Attach(attach);
        if (error != DmaError.None)
        {
            return error;
        }

        lock (_gate)
        {
            _attachments.Add(attach);
        }

        return attach;
    }
}
