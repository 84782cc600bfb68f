using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>An importer's view of a table: what each DMA segment reads on the fabric, concatenated.</summary>
internal static class DmaBufHarness
{
    /// <summary>An attachment of <paramref name="importer"/> to a buffer whose exporter the test does not exercise.</summary>
    public static DmaBufAttachment Attachment(PciDevice importer) =>
        DmaBuffer.Export(new NoExporter(), 4096).DynamicAttach(importer, new DmaBufImportOps { AllowPeer2Peer = true }).Value;

    /// <summary>
    /// An importer's whole round on an exporter's buffer: a dynamic attachment that allows peer-to-peer, the map, the
    /// reads through every DMA segment, the unmap. The bytes read; empty when the map fails or a segment faults.
    /// </summary>
    public static byte[] Import(DmaBufOps exporter, ulong size, PciTopology topology, PciDevice importer)
    {
        DmaBufAttachment attach = DmaBuffer.Export(exporter, size).DynamicAttach(importer, new DmaBufImportOps { AllowPeer2Peer = true }).Value;
        DmaResult<SgTable> mapped = attach.Map(DmaDirection.ToDevice);
        if (mapped.Failed)
        {
            return System.Array.Empty<byte>();
        }

        byte[] data = ReadSegments(topology, importer, mapped.Value);
        attach.Unmap(mapped.Value, DmaDirection.ToDevice);
        return data;
    }

    /// <summary>The bytes the importer's device reads through every DMA segment; empty when any segment faults.</summary>
    public static byte[] ReadSegments(PciTopology topology, PciDevice importer, SgTable table)
    {
        var data = new List<byte>();
        foreach (Scatterlist sg in table.DmaSegments)
        {
            var transfer = topology.Fabric.Read(importer, sg.DmaAddress, (int)sg.DmaLength);
            if (!transfer.Succeeded)
            {
                return System.Array.Empty<byte>();
            }

            data.AddRange(transfer.Data);
        }

        return data.ToArray();
    }

    private sealed class NoExporter : DmaBufOps
    {
        public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction) => DmaError.NotSupported;

        public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction)
        {
        }
    }
}
