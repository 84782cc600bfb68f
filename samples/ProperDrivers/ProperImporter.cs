using System.Collections.Generic;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace Samples.ProperDrivers;

/// <summary>
/// The importer done properly: a dynamic importer that accepts peer memory and programs its device with the DMA
/// segments only (sg_dma_address, sg_dma_len), never the pages.
/// </summary>
public static class ProperImporter
{
    /// <summary>The bytes the device reads through every DMA segment, or null when mapping or a transfer fails.</summary>
    public static byte[]? ReadAll(DmaBuffer buffer, PciDevice device)
    {
        DmaResult<DmaBufAttachment> attached = buffer.DynamicAttach(device, new DmaBufImportOps { AllowPeer2Peer = true });
        if (attached.Failed)
        {
            return null;
        }

        DmaBufAttachment attach = attached.Value;
        DmaResult<SgTable> mapped = attach.Map(DmaDirection.ToDevice);
        if (mapped.Failed)
        {
            attach.Detach();
            return null;
        }

        var data = new List<byte>();
        bool ok = true;
        foreach (Scatterlist sg in mapped.Value.DmaSegments)
        {
            var transfer = device.Topology.Fabric.Read(device, sg.DmaAddress, checked((int)sg.DmaLength));
            ok &= transfer.Succeeded;
            data.AddRange(transfer.Data);
        }

        attach.Unmap(mapped.Value, DmaDirection.ToDevice);
        attach.Detach();
        return ok ? data.ToArray() : null;
    }
}
