using System;
using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Fabric;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace FabricDemo;

/// <summary>One DMA segment of the imported table and what the importer's read of it did on the fabric.</summary>
internal sealed record SegmentRead(DmaAddr Address, ulong Length, DmaTransfer Transfer);

/// <summary>What the importer got: the map error, or one read per DMA segment.</summary>
internal sealed record ImportResult(DmaError MapError, IReadOnlyList<SegmentRead> Segments)
{
    public bool Mapped => MapError == DmaError.None;

    /// <summary>Every byte the device read, in buffer order (nothing from a segment that faulted).</summary>
    public byte[] BytesRead => Segments.SelectMany(s => s.Transfer.Data).ToArray();
}

/// <summary>
/// A NIC-like dynamic importer, as RDMA imports a dma-buf (<c>ib_umem_dmabuf_get</c>,
/// drivers/infiniband/core/umem_dmabuf.c): attach with <c>allow_peer2peer</c>, map, and program the device with each
/// DMA segment. It reads only DMA addresses and lengths; the pages of an imported table are not valid.
/// </summary>
internal static class Importer
{
    /// <summary>The NIC reads the whole buffer by DMA (as when it sends it on the wire: DMA_TO_DEVICE).</summary>
    public static ImportResult ReadWholeBuffer(DmaBuffer buffer, PciDevice nic)
    {
        var importOps = new DmaBufImportOps { AllowPeer2Peer = true, MoveNotify = _ => { } };
        DmaResult<DmaBufAttachment> attached = buffer.DynamicAttach(nic, importOps);
        if (attached.Failed)
        {
            return new ImportResult(attached.Error, Array.Empty<SegmentRead>());
        }

        DmaBufAttachment attach = attached.Value;
        try
        {
            DmaResult<SgTable> mapped = attach.Map(DmaDirection.ToDevice); // dma_buf_map_attachment
            if (mapped.Failed)
            {
                return new ImportResult(mapped.Error, Array.Empty<SegmentRead>());
            }

            SgTable table = mapped.Value;
            var reads = new List<SegmentRead>();
            foreach (Scatterlist sg in table.DmaSegments) // for_each_sgtable_dma_sg
            {
                // The device issues the read on the PCIe fabric: the fabric decides where it really lands.
                DmaTransfer transfer = nic.Topology.Fabric.Read(nic, sg.DmaAddress, checked((int)sg.DmaLength));
                reads.Add(new SegmentRead(sg.DmaAddress, sg.DmaLength, transfer));
            }

            attach.Unmap(table, DmaDirection.ToDevice); // dma_buf_unmap_attachment
            return new ImportResult(DmaError.None, reads);
        }
        finally
        {
            attach.Detach(); // dma_buf_detach
        }
    }
}
