using System.Collections.Generic;
using P2PDma.DmaBuf;
using P2PDma.Mapping;

namespace Samples.RdmaImporter;

/// <summary>
/// An importer that treats an imported table like one of its own: it walks the entries' pages, as RDMA's
/// umem_dmabuf and older GPU importers did. An exporter of peer memory gives no valid pages.
/// </summary>
public static class UmemDmabufImporter
{
    /// <summary>The CPU physical addresses of the imported buffer, "for the page list" of a memory region.</summary>
    public static IReadOnlyList<ulong> PageList(DmaBufAttachment attach)
    {
        DmaResult<SgTable> mapped = attach.Map(DmaDirection.Bidirectional);
        if (mapped.Failed)
        {
            return new List<ulong>();
        }

        var pages = new List<ulong>();
        foreach (Scatterlist sg in mapped.Value.DmaSegments)
        {
            pages.Add(sg.Phys.Raw);
        }

        return pages;
    }
}
