using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0010PeerMemoryMappedWithoutMapTypeAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0010 for P2P memory (<c>pci_alloc_p2pmem</c>, <c>pci_p2pmem_alloc_sgl</c>): handed to <c>dma_map_single</c>,
/// <c>dma_map_page</c> or the pre-6.2 <c>dma_map_sg</c>, it is mapped as RAM (and refused with DMA debugging since the
/// dma_map_phys rework). The calls that know P2P memory: <c>pci_p2pmem_virt_to_bus</c> for a peer below the same switch
/// (nvme-pci's CMB submission queues), the P2P-aware <c>dma_map_sg</c> since 6.2 (<c>Dma.MapSg</c>), or a map-type
/// decision first (<c>pci_p2pdma_map_sg</c> before 6.2 asked it).
/// </summary>
public sealed class P2P0010P2PMemoryTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    [Fact]
    public Task P2PBufferMappedWithMapSingle_Reports() => Verifier.Analyzer(Usings + """
        static class Queue
        {
            public static DmaAddr Map(PciDevice cmbDev, PciDevice nic)
            {
                KernelBuffer? buf = PciP2PDma.AllocMem(cmbDev, 4096);
                if (buf is null)
                {
                    return DmaAddr.MappingError;
                }

                return {|#0:Dma.MapSingle(nic, buf, 0, 4096, DmaDirection.ToDevice)|};
            }
        }
        """,
        Verifier.Diagnostic("P2P0010").WithLocation(0).WithArguments("Dma.MapSingle", "PciP2PDma.AllocMem", "nic"));

    [Fact]
    public Task PageOfAP2PBufferMappedWithMapPage_Reports() => Verifier.Analyzer(Usings + """
        static class Queue
        {
            public static DmaAddr Map(PciDevice cmbDev, PciDevice nic)
            {
                KernelBuffer buf = PciP2PDma.AllocMem(cmbDev, 4096)!;
                return {|#0:Dma.MapPage(nic, buf.Page, 0, 4096, DmaDirection.ToDevice)|};
            }
        }
        """,
        Verifier.Diagnostic("P2P0010").WithLocation(0).WithArguments("Dma.MapPage", "PciP2PDma.AllocMem", "nic"));

    [Fact]
    public Task P2PListMappedWithTheLegacyMapSg_Reports() => Verifier.Analyzer(Usings + """
        static class Req
        {
            public static int Map(PciDevice p2pDev, PciDevice hca, ulong len)
            {
                SgTable? sgl = PciP2PDma.AllocSgl(p2pDev, len, out int nents);
                if (sgl is null)
                {
                    return -12;
                }

                return {|#0:Dma.LegacyMapSg(hca, sgl, nents, DmaDirection.FromDevice)|};
            }
        }
        """,
        Verifier.Diagnostic("P2P0010").WithLocation(0).WithArguments("Dma.LegacyMapSg", "PciP2PDma.AllocSgl", "hca"));

    // nvmet's P2P data buffers kept in the request at allocation and mapped by the transport in another class.
    [Fact]
    public Task P2PListKeptInARequestAndMappedElsewhere_Reports() => Verifier.Analyzer(Usings + """
        sealed class NvmetReq
        {
            public SgTable? Sg;
            public int SgCnt;
            public PciDevice P2PDev = null!;
        }

        static class NvmetCore
        {
            public static int AllocP2PSgls(NvmetReq req, ulong len)
            {
                {|#2:req.Sg = {|#1:PciP2PDma.AllocSgl(req.P2PDev, len, out req.SgCnt)|}|};
                return req.Sg is null ? -12 : 0;
            }
        }

        static class NvmetTransport
        {
            public static int MapData(NvmetReq req, PciDevice hca) =>
                {|#0:Dma.LegacyMapSg(hca, req.Sg!, req.SgCnt, DmaDirection.ToDevice)|};
        }
        """,
        Verifier.Diagnostic("P2P0010").WithLocation(0).WithLocation(1).WithLocation(2)
            .WithArguments("Dma.LegacyMapSg", "PciP2PDma.AllocSgl, stored into NvmetReq.Sg in AllocP2PSgls", "hca"));

    // The request's list is P2P memory on one path and RAM on the other (nvmet_req_alloc_sgls), and the transport maps
    // it with the legacy call whatever it holds: on the P2P path that is the bug "RDMA/rw: map P2P memory correctly for
    // signature operations" fixed in rdma_rw_ctx_signature_init (which mapped nvmet's req->sg with ib_dma_map_sg).
    [Fact]
    public Task ListKeptFromP2POrRam_MappedWithTheLegacyCall_Reports() => Verifier.Analyzer(Usings + """
        sealed class NvmetReq
        {
            public SgTable? Sg;
            public int SgCnt;
            public PciDevice? P2PDev;
        }

        static class NvmetCore
        {
            public static int AllocSgls(NvmetReq req, ulong len)
            {
                if (req.P2PDev is not null)
                {
                    {|#2:req.Sg = {|#1:PciP2PDma.AllocSgl(req.P2PDev, len, out req.SgCnt)|}|};
                    if (req.Sg is not null)
                    {
                        return 0;
                    }
                }

                req.Sg = SgTable.Alloc(1);
                req.SgCnt = 1;
                return 0;
            }
        }

        static class NvmetTransport
        {
            public static int MapData(NvmetReq req, PciDevice hca) =>
                {|#0:Dma.LegacyMapSg(hca, req.Sg!, req.SgCnt, DmaDirection.ToDevice)|};
        }
        """,
        Verifier.Diagnostic("P2P0010").WithLocation(0).WithLocation(1).WithLocation(2)
            .WithArguments("Dma.LegacyMapSg", "PciP2PDma.AllocSgl, stored into NvmetReq.Sg in AllocSgls", "hca"));

    [Fact]
    public Task P2PListMappedP2PAware_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Req
        {
            public static int Map(PciDevice p2pDev, PciDevice hca, ulong len)
            {
                SgTable? sgl = PciP2PDma.AllocSgl(p2pDev, len, out int nents);
                return sgl is null ? -12 : Dma.MapSg(hca, sgl, nents, DmaDirection.FromDevice);
            }
        }
        """);

    // nvme-pci's CMB submission queue: the controller owns the memory and reaches it by bus address.
    [Fact]
    public Task P2PBufferGivenItsBusAddress_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class NvmeQueue
        {
            public KernelBuffer? SqCmds;
            public PciBusAddr SqDmaAddr;
        }

        static class Nvme
        {
            public static bool AllocSqCmds(PciDevice pdev, NvmeQueue nvmeq)
            {
                nvmeq.SqCmds = PciP2PDma.AllocMem(pdev, 4096);
                if (nvmeq.SqCmds is null)
                {
                    return false;
                }

                nvmeq.SqDmaAddr = PciP2PDma.VirtToBus(pdev, nvmeq.SqCmds);
                return true;
            }
        }
        """);

    [Fact]
    public Task RamBufferMappedWithMapSingle_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Queue
        {
            public static DmaAddr Map(SystemMemory mem, PciDevice nic)
            {
                KernelBuffer buf = mem.Kmalloc(4096);
                return Dma.MapSingle(nic, buf, 0, 4096, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task P2PBufferMappedAfterAMapTypeDecision_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Queue
        {
            public static DmaAddr Map(PciDevice cmbDev, PciDevice nic)
            {
                KernelBuffer buf = PciP2PDma.AllocMem(cmbDev, 4096)!;
                P2PProvider provider = PciP2PDma.Provider(cmbDev, 0)!;
                if (PciP2PDma.MapType(provider, nic) != P2PMapType.ThruHostBridge)
                {
                    return DmaAddr.MappingError;
                }

                return Dma.MapSingle(nic, buf, 0, 4096, DmaDirection.ToDevice);
            }
        }
        """);

    // The fix: the same call through the P2P-aware MapSg, and the method's legacy unmap of the list through UnmapSg.
    [Fact]
    public Task LegacyMapSgOfP2PMemory_FixedToMapSg() => Verifier.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0010PeerMemoryMappedWithoutMapTypeCodeFix>(Usings + """
        static class Req
        {
            public static int Run(PciDevice p2pDev, PciDevice hca, ulong len)
            {
                SgTable? sgl = PciP2PDma.AllocSgl(p2pDev, len, out int nents);
                if (sgl is null)
                {
                    return -12;
                }

                int count = {|#0:Dma.LegacyMapSg(hca, sgl, nents, DmaDirection.FromDevice)|};
                if (count == 0)
                {
                    return -5;
                }

                Dma.LegacyUnmapSg(hca, sgl, nents, DmaDirection.FromDevice);
                return 0;
            }
        }
        """, Usings + """
        static class Req
        {
            public static int Run(PciDevice p2pDev, PciDevice hca, ulong len)
            {
                SgTable? sgl = PciP2PDma.AllocSgl(p2pDev, len, out int nents);
                if (sgl is null)
                {
                    return -12;
                }

                int count = Dma.MapSg(hca, sgl, nents, DmaDirection.FromDevice);
                if (count == 0)
                {
                    return -5;
                }

                Dma.UnmapSg(hca, sgl, nents, DmaDirection.FromDevice);
                return 0;
            }
        }
        """,
        Verifier.Diagnostic("P2P0010").WithLocation(0).WithArguments("Dma.LegacyMapSg", "PciP2PDma.AllocSgl", "hca"));

    // A P2P buffer given to MapSingle: whether the device should get its bus address (VirtToBus) or an sg mapping is
    // the driver's choice; no fix is offered.
    [Fact]
    public Task P2PBufferMappedWithMapSingle_NoFix() => Verifier.NoCodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0010PeerMemoryMappedWithoutMapTypeCodeFix>(Usings + """
        static class Queue
        {
            public static DmaAddr Map(PciDevice cmbDev, PciDevice nic)
            {
                KernelBuffer buf = PciP2PDma.AllocMem(cmbDev, 4096)!;
                return {|#0:Dma.MapSingle(nic, buf, 0, 4096, DmaDirection.ToDevice)|};
            }
        }
        """,
        Verifier.Diagnostic("P2P0010").WithLocation(0).WithArguments("Dma.MapSingle", "PciP2PDma.AllocMem", "nic"));

    // The legacy map reached through include/rdma/ib_verbs.h's ib_dma_map_sg (v4.11..v5.9, one call of dma_map_sg):
    // reported where the wrapper is called with P2P memory, not inside the header.
    [Fact]
    public Task P2PListMappedThroughAWrapperOfTheLegacyMapSg_ReportedAtTheCall() => Verifier.Analyzer(Usings + """
        sealed class IbDevice { public PciDevice DmaDevice = null!; }

        static class IbVerbs
        {
            public static int IbDmaMapSg(IbDevice dev, SgTable sg, int nents, DmaDirection direction) =>
                Dma.LegacyMapSg(dev.DmaDevice, sg, nents, direction);
        }

        static class Req
        {
            public static int Map(PciDevice p2pDev, IbDevice hca, ulong len)
            {
                SgTable? sgl = PciP2PDma.AllocSgl(p2pDev, len, out int nents);
                return sgl is null ? -12 : {|#0:IbVerbs.IbDmaMapSg(hca, sgl, nents, DmaDirection.FromDevice)|};
            }

            public static int MapRam(IbDevice hca) => IbVerbs.IbDmaMapSg(hca, SgTable.Alloc(1), 1, DmaDirection.FromDevice);
        }
        """,
        Verifier.Diagnostic("P2P0010").WithLocation(0).WithArguments("IbVerbs.IbDmaMapSg", "PciP2PDma.AllocSgl", "hca"));

    // At a wrapper's call no fix is offered: the legacy call to change is inside the header, which other callers share.
    [Fact]
    public Task P2PListMappedThroughAWrapper_NoFix() => Verifier.NoCodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0010PeerMemoryMappedWithoutMapTypeCodeFix>(Usings + """
        sealed class IbDevice { public PciDevice DmaDevice = null!; }

        static class IbVerbs
        {
            public static int IbDmaMapSg(IbDevice dev, SgTable sg, int nents, DmaDirection direction) =>
                Dma.LegacyMapSg(dev.DmaDevice, sg, nents, direction);
        }

        static class Req
        {
            public static int Map(PciDevice p2pDev, IbDevice hca, ulong len)
            {
                SgTable? sgl = PciP2PDma.AllocSgl(p2pDev, len, out int nents);
                return sgl is null ? -12 : {|#0:IbVerbs.IbDmaMapSg(hca, sgl, nents, DmaDirection.FromDevice)|};
            }
        }
        """,
        Verifier.Diagnostic("P2P0010").WithLocation(0).WithArguments("IbVerbs.IbDmaMapSg", "PciP2PDma.AllocSgl", "hca"));

    // rw.c (v4.20..v6.1) and nvme-pci's nvme_map_data before 6.2 pick the mapping by page type:
    // `if (is_pci_p2pdma_page(sg_page(sg))) pci_p2pdma_map_sg(..) else dma_map_sg(..)`. The legacy arm never sees P2P
    // memory, whatever the callers hand in.
    [Fact]
    public Task LegacyMapInTheArmWherePagesAreNotP2P_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Rw
        {
            public static int CtxInit(PciDevice hca, SgTable sg, int sgCnt)
            {
                int ret;
                if (sg[0].Page!.IsP2P)
                {
                    ret = Dma.MapSg(hca, sg, sgCnt, DmaDirection.ToDevice);
                }
                else
                {
                    ret = Dma.LegacyMapSg(hca, sg, sgCnt, DmaDirection.ToDevice);
                }

                return ret;
            }
        }

        static class Nvmet
        {
            public static int Read(PciDevice p2pDev, PciDevice hca)
            {
                SgTable? sgl = PciP2PDma.AllocSgl(p2pDev, 4096, out int nents);
                return sgl is null ? -12 : Rw.CtxInit(hca, sgl, nents);
            }
        }
        """);

    // The other arm, or no test at all: the callers' P2P memory reaches the legacy call.
    [Fact]
    public Task LegacyMapOfAParameterTheCallersFillWithP2PMemory_Reports() => Verifier.Analyzer(Usings + """
        static class Rw
        {
            public static int CtxSignatureInit(PciDevice hca, SgTable sg, int sgCnt)
            {
                int ret = {|#0:Dma.LegacyMapSg(hca, sg, sgCnt, DmaDirection.ToDevice)|};
                if (ret == 0)
                {
                    return -12;
                }

                return ret;
            }
        }

        static class Nvmet
        {
            public static int Read(PciDevice p2pDev, PciDevice hca)
            {
                SgTable? sgl = {|#1:PciP2PDma.AllocSgl(p2pDev, 4096, out int nents)|};
                return sgl is null ? -12 : Rw.CtxSignatureInit(hca, {|#2:sgl|}, nents);
            }
        }
        """,
        Verifier.Diagnostic("P2P0010").WithLocation(0).WithLocation(1).WithLocation(2)
            .WithArguments("Dma.LegacyMapSg", "PciP2PDma.AllocSgl, passed as 'sg' to Rw.CtxSignatureInit in Read", "hca"));
}
