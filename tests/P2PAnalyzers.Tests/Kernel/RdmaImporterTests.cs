namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// dma-buf importers. DRM's generic import (drm_gem_prime_import_dev, drivers/gpu/drm/drm_prime.c) maps the attachment
/// and hands the table to the driver's gem_prime_import_sg_table; etnaviv (etnaviv_gem_prime.c) then fills its page
/// array with drm_prime_sg_to_page_array, which walks sg_page() of the imported entries. RDMA's
/// ib_umem_dmabuf_map_pages (drivers/infiniband/core/umem_dmabuf.c) walks only the DMA side.
/// </summary>
public sealed class RdmaImporterTests
{
    private const string DrmPrime = """
        sealed class DrmGemObject
        {
            public DmaBufAttachment? ImportAttach;
            public SgTable? Sgt;
            public Page?[] Pages = Array.Empty<Page?>();
            public DmaAddr[] DmaAddrs = Array.Empty<DmaAddr>();
        }

        interface IDrmDriver
        {
            DrmGemObject? GemPrimeImportSgTable(DmaBufAttachment attach, SgTable sgt);
        }

        static class DrmPrime
        {
            // drm_prime_sg_to_page_array: for_each_sgtable_page(sgt, &page_iter, 0) *p++ = sg_page_iter_page(...)
            public static int SgToPageArray(SgTable sgt, Page?[] pages, int maxEntries)
            {
                int p = 0;
                foreach (Scatterlist sg in sgt)
                {
                    if (p >= maxEntries)
                    {
                        return -1;
                    }

                    pages[p++] = {|P2P0004:sg.Page|};
                }

                return 0;
            }

            // drm_prime_sg_to_dma_addr_array: the importer-safe walk of the DMA side
            public static int SgToDmaAddrArray(SgTable sgt, DmaAddr[] addrs, int maxEntries)
            {
                int a = 0;
                foreach (Scatterlist sg in sgt.DmaSegments)
                {
                    for (ulong off = 0; off < sg.DmaLength && a < maxEntries; off += 4096)
                    {
                        addrs[a++] = sg.DmaAddress + off;
                    }
                }

                return 0;
            }

            // drm_gem_prime_import_dev: dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL), then the driver
            public static DrmGemObject? GemPrimeImportDev(IDrmDriver driver, DmaBufAttachment attach)
            {
                DmaResult<SgTable> sgt = attach.Map(DmaDirection.Bidirectional);
                if (sgt.Failed)
                {
                    return null;
                }

                DrmGemObject? obj = driver.GemPrimeImportSgTable(attach, sgt.Value);
                if (obj is null)
                {
                    attach.Unmap(sgt.Value, DmaDirection.Bidirectional);
                    return null;
                }

                obj.ImportAttach = attach;
                return obj;
            }
        }
        """;

    [Fact]
    public Task DrmPrimeSgToPageArray_FromEtnavivGemPrimeImportSgTable_Reports() => KernelVerify.RunAsync(
        DrmPrime,
        """
        sealed class EtnavivDriver : IDrmDriver
        {
            // etnaviv_gem_prime_import_sg_table
            public DrmGemObject? GemPrimeImportSgTable(DmaBufAttachment attach, SgTable sgt)
            {
                int npages = (int)(attach.DmaBuf.Size / 4096);
                var obj = new DrmGemObject { Sgt = sgt, Pages = new Page?[npages] };
                return DrmPrime.SgToPageArray(sgt, obj.Pages, npages) == 0 ? obj : null;
            }
        }
        """);

    [Fact]
    public Task AmdgpuTtmTtPopulate_WithDrmPrimeSgToDmaAddrArray_NoDiagnostic() => KernelVerify.RunAsync(
        DrmPrime.Replace("{|P2P0004:sg.Page|}", "sg.Page"),
        """
        sealed class AmdgpuDriver : IDrmDriver
        {
            // amdgpu_gem_prime_import_sg_table + amdgpu_ttm_tt_populate of an imported BO: DMA addresses only
            public DrmGemObject? GemPrimeImportSgTable(DmaBufAttachment attach, SgTable sgt)
            {
                int npages = (int)(attach.DmaBuf.Size / 4096);
                var obj = new DrmGemObject { Sgt = sgt, DmaAddrs = new DmaAddr[npages] };
                return DrmPrime.SgToDmaAddrArray(sgt, obj.DmaAddrs, npages) == 0 ? obj : null;
            }
        }
        """);

    // ib_umem_dmabuf_map_pages: only sg_dma_address/sg_dma_len of the imported table. (It also trims the first and
    // last entries in place, a habit no rule covers: see docs/rules/P2P0004.md "The fix".)
    [Fact]
    public Task IbUmemDmabufMapPages_WalksTheDmaSideOnly_NoDiagnostic() => KernelVerify.RunAsync(
        """
        sealed class IbUmemDmabuf
        {
            public DmaBufAttachment Attach = null!;
            public ulong Address;
            public ulong Length;
            public SgTable? Sgt;
            public Scatterlist? FirstSg;
            public ulong FirstSgOffset;
            public Scatterlist? LastSg;
            public ulong LastSgTrim;
            public int Nmap;

            // ib_umem_dmabuf_map_pages
            public int MapPages()
            {
                DmaResult<SgTable> sgt = Attach.Map(DmaDirection.Bidirectional);
                if (sgt.Failed)
                {
                    return (int)sgt.Error;
                }

                ulong start = Address & ~4095UL;
                ulong end = (Address + Length + 4095) & ~4095UL;
                ulong cur = 0;
                int nmap = 0;
                foreach (Scatterlist sg in sgt.Value.DmaSegments)
                {
                    if (start < cur + sg.DmaLength && cur < end)
                    {
                        nmap++;
                    }

                    if (cur <= start && start < cur + sg.DmaLength)
                    {
                        ulong offset = start - cur;
                        FirstSg = sg;
                        FirstSgOffset = offset;
                        sg.DmaAddress += offset;
                        sg.DmaLength -= offset;
                        cur += offset;
                    }

                    if (cur < end && end <= cur + sg.DmaLength)
                    {
                        ulong trim = sg.DmaLength - (end - cur);
                        LastSg = sg;
                        LastSgTrim = trim;
                        sg.DmaLength -= trim;
                        break;
                    }

                    cur += sg.DmaLength;
                }

                Nmap = nmap;
                Sgt = sgt.Value;
                return 0;
            }
        }
        """);

    // amdgpu before "drm/amdgpu: stop using pages with drm_prime_sg_to_page_addr_arrays": amdgpu_ttm_tt_populate maps
    // the import attachment once, keeps the table in ttm->sg, and fills the page and DMA-address arrays from it with
    // drm_prime_sg_to_page_addr_arrays, which reads sg_page() of every entry.
    [Fact]
    public Task DrmPrimeSgToPageAddrArrays_FromAmdgpuTtmTtPopulateOfImportedSg_Reports() => KernelVerify.RunAsync(
        """
        static class DrmPrimeArrays
        {
            // drm_prime_sg_to_page_addr_arrays (v5.10)
            public static int SgToPageAddrArrays(SgTable sgt, Page?[]? pages, DmaAddr[]? addrs, int maxEntries)
            {
                int index = 0;
                foreach (Scatterlist sg in sgt.DmaSegments)
                {
                    ulong len = sg.DmaLength;
                    Page? page = {|P2P0004:sg.Page|};
                    DmaAddr addr = sg.DmaAddress;
                    while (len > 0 && index < maxEntries)
                    {
                        if (pages is not null)
                        {
                            pages[index] = page; // the C code steps page++ (struct page pointer arithmetic), no Page API for it
                        }

                        if (addrs is not null)
                        {
                            addrs[index] = addr;
                        }

                        addr += 4096;
                        len -= Math.Min(len, 4096);
                        index++;
                    }
                }

                return 0;
            }
        }
        """,
        """
        // struct amdgpu_ttm_tt of an imported BO
        sealed class AmdgpuTtmTt
        {
            public DmaBufAttachment ImportAttach = null!;
            public SgTable? Sg;
            public Page?[] Pages = Array.Empty<Page?>();
            public DmaAddr[] DmaAddress = Array.Empty<DmaAddr>();
            public int NumPages;
            public bool Populated;
        }

        static class AmdgpuTtm
        {
            // amdgpu_ttm_tt_populate, TTM_PAGE_FLAG_SG
            public static int TtPopulate(AmdgpuTtmTt gtt)
            {
                if (gtt.Sg is null)
                {
                    DmaResult<SgTable> sgt = gtt.ImportAttach.Map(DmaDirection.Bidirectional);
                    if (sgt.Failed)
                    {
                        return (int)sgt.Error;
                    }

                    gtt.Sg = sgt.Value;
                }

                DrmPrimeArrays.SgToPageAddrArrays(gtt.Sg, gtt.Pages, gtt.DmaAddress, gtt.NumPages);
                gtt.Populated = true;
                return 0;
            }
        }
        """);
}
