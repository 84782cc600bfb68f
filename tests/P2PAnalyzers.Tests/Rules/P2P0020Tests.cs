using Microsoft.CodeAnalysis.Testing;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0020MappingErrorNotCheckedAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0020: a streaming mapping reaches a use (its unmap, a sync, the device, a scatterlist entry, a declared DMA sink)
/// on a path where Dma.MappingError was not asked. Reported once per map call, at the call, with the first use as the
/// additional location. Positives are kernel functions that were fixed by adding the check.
/// </summary>
public sealed class P2P0020Tests
{
    private const string Usings = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Fabric;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    private static DiagnosticResult Unchecked(string map, string operand, string use) =>
        Verifier.Diagnostic("P2P0020").WithLocation(0).WithLocation(1).WithArguments(map, operand, use);

    // xilinx_axienet after 71791dc8bdea (AxienetTests has the driver): the mapping stored into the descriptor's u32 and
    // checked as that u32 made a DmaAddr again.
    private const string AxiDescriptor = """
        sealed class AxidmaBd
        {
            [DmaAddress] public uint Phys;
            public uint Cntrl;
        }

        """;

    [Fact]
    public Task StoredRawCopyCheckedAfterFromRaw_NoDiagnostic() => Verifier.Analyzer(Usings + AxiDescriptor + """
        static class Axienet
        {
            static int Xmit(PciDevice dev, KernelBuffer head, ulong len, AxidmaBd curP)
            {
                curP.Phys = (uint)Dma.MapSingle(dev, head, 0, len, DmaDirection.ToDevice).Raw;
                if (Dma.MappingError(dev, DmaAddr.FromRaw(curP.Phys)))
                {
                    return -12;
                }

                curP.Cntrl = (uint)len;
                return 0;
            }
        }
        """);

    // A check of another descriptor's copy checks nothing of this mapping.
    [Fact]
    public Task AnotherDescriptorsRawCopyChecked_Reports() => Verifier.Analyzer(Usings + AxiDescriptor + """
        static class Axienet
        {
            static int Xmit(PciDevice dev, KernelBuffer head, ulong len, AxidmaBd curP, AxidmaBd prev)
            {
                curP.Phys = {|#1:(uint){|#0:Dma.MapSingle(dev, head, 0, len, DmaDirection.ToDevice)|}.Raw|};
                if (Dma.MappingError(dev, DmaAddr.FromRaw(prev.Phys)))
                {
                    return -12;
                }

                curP.Cntrl = (uint)len;
                return 0;
            }
        }
        """, Unchecked("Dma.MapSingle", "(uint)Dma.MapSingle(dev, head, 0, len, DmaDirection.ToDev...", "field 'Phys' is [DmaAddress]"));

    // ---------------------------------------------------------------- the kernel's fixes

    [Fact]
    public Task SoloP2mDma_MapsHandsToTheEngineAndUnmaps_Reports() => Verifier.Analyzer(Usings + """
        class SoloDev
        {
            public PciDevice Pdev = null!;
            public DmaFabric Fabric = null!;
        }

        static class SoloP2m
        {
            // solo_p2m_dma (drivers/staging/media/solo6x10/p2m.c) before "solo6x10: add call to pci_dma_mapping_error"
            public static int SoloP2mDma(SoloDev soloDev, bool wr, KernelBuffer sysAddr, uint extAddr, uint size)
            {
                DmaAddr dmaAddr = {|#0:Dma.MapSingle(soloDev.Pdev, sysAddr, 0, size, wr ? DmaDirection.ToDevice : DmaDirection.FromDevice)|};
                int ret = SoloP2mDmaT(soloDev, wr, dmaAddr, extAddr, size);
                Dma.UnmapSingle(soloDev.Pdev, {|#1:dmaAddr|}, size, wr ? DmaDirection.ToDevice : DmaDirection.FromDevice);
                return ret;
            }

            // solo_p2m_dma_t: programs the P2M engine with the address and waits; it checks nothing
            static int SoloP2mDmaT(SoloDev soloDev, bool wr, DmaAddr dmaAddr, uint extAddr, uint size) =>
                soloDev.Fabric.Read(soloDev.Pdev, dmaAddr, (int)size).Data.Length == (int)size ? 0 : -5;
        }
        """,
        Unchecked("Dma.MapSingle", "dmaAddr", "Dma.UnmapSingle, which frees it"));

    [Fact]
    public Task QlaNvmeLsReq_MapsIntoTheRequestAndSyncs_Reports() => Verifier.Analyzer(Usings + """
        class NvmeCtx
        {
            public DmaAddr CmdDma;
            public uint TimeoutSec;
        }

        class LsReq
        {
            public KernelBuffer RqstAddr = null!;
            public uint RqstLen;
            public uint Timeout;
        }

        static class QlaNvme
        {
            // qla_nvme_ls_req before "scsi: qla2xxx: Add missing check for dma_map_single"
            public static int QlaNvmeLsReq(PciDevice pdev, LsReq fd, NvmeCtx nvme)
            {
                int rval = -5;
                nvme.TimeoutSec = fd.Timeout;
                nvme.CmdDma = {|#0:Dma.MapSingle(pdev, fd.RqstAddr, 0, fd.RqstLen, DmaDirection.ToDevice)|};
                Dma.SyncSingleForDevice(pdev, {|#1:nvme.CmdDma|}, fd.RqstLen, DmaDirection.ToDevice);
                rval = 0;
                return rval;
            }
        }
        """,
        Unchecked("Dma.MapSingle", "nvme.CmdDma", "Dma.SyncSingleForDevice"));

    [Fact]
    public Task MapResourceIntoScatterlistEntry_Reports() => Verifier.Analyzer(Usings + """
        static class Exporter
        {
            static void Fill(PciDevice dev, SgTable sgt, PhysAddr phys, ulong size)
            {
                DmaAddr addr = {|#0:Dma.MapResource(dev, phys, size, DmaDirection.Bidirectional, DmaAttrs.Mmio)|};
                sgt[0].DmaAddress = {|#1:addr|};
                sgt[0].DmaLength = size;
            }
        }
        """,
        Unchecked("Dma.MapResource", "addr", "a scatterlist entry's DMA address"));

    // ---------------------------------------------------------------- flow

    [Fact]
    public Task CheckedOnOneBranchOnly_Reports() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            static int Io(PciDevice dev, KernelBuffer buf, bool paranoid)
            {
                DmaAddr addr = {|#0:Dma.MapSingle(dev, buf, 0, 4096, DmaDirection.FromDevice)|};
                if (paranoid && Dma.MappingError(dev, addr))
                {
                    return -12;
                }

                Dma.UnmapSingle(dev, {|#1:addr|}, 4096, DmaDirection.FromDevice);
                return 0;
            }
        }
        """,
        Unchecked("Dma.MapSingle", "addr", "Dma.UnmapSingle, which frees it"));

    [Fact]
    public Task MappedInALoop_CheckedAfterTheLoop_Reports() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            static void Io(PciDevice dev, KernelBuffer[] bufs, DmaAddr[] handles)
            {
                for (int i = 0; i < bufs.Length; i++)
                {
                    handles[i] = {|#0:Dma.MapSingle(dev, bufs[i], 0, bufs[i].Size, DmaDirection.ToDevice)|};
                    Dma.SyncSingleForDevice(dev, {|#1:handles[i]|}, bufs[i].Size, DmaDirection.ToDevice);
                }
            }
        }
        """,
        Unchecked("Dma.MapSingle", "handles[i]", "Dma.SyncSingleForDevice"));

    [Fact]
    public Task ComparedWithMappingErrorInsteadOfTheCall_Reports() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            // As kernel/dma/debug.c: only dma_mapping_error() marks the mapping checked (mtip32xx compared with 0).
            static int Io(PciDevice dev, KernelBuffer buf)
            {
                DmaAddr addr = {|#0:Dma.MapSingle(dev, buf, 0, 512, DmaDirection.ToDevice)|};
                if (addr == DmaAddr.MappingError)
                {
                    return -12;
                }

                Dma.UnmapSingle(dev, {|#1:addr|}, 512, DmaDirection.ToDevice);
                return 0;
            }
        }
        """,
        Unchecked("Dma.MapSingle", "addr", "Dma.UnmapSingle, which frees it"));

    // ---------------------------------------------------------------- correct code

    [Fact]
    public Task DmaApiHowto_MapCheckUseUnmap_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Howto
        {
            // dma-api-howto.rst: dma_handle = dma_map_single(dev, addr, size, direction);
            // if (dma_mapping_error(dev, dma_handle)) { goto map_error_handling; }
            static int Io(PciDevice dev, DmaFabric fabric, KernelBuffer buf)
            {
                DmaAddr handle = Dma.MapSingle(dev, buf, 0, buf.Size, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, handle))
                {
                    return -12;
                }

                fabric.Read(dev, handle, (int)buf.Size);
                Dma.UnmapSingle(dev, handle, buf.Size, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    [Fact]
    public Task QlaNvmeLsReq_AsFixed_CheckedThroughTheRequestField_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class NvmeCtx
        {
            public DmaAddr CmdDma;
        }

        static class QlaNvme
        {
            public static int QlaNvmeLsReq(PciDevice pdev, KernelBuffer rqst, uint len, NvmeCtx nvme)
            {
                nvme.CmdDma = Dma.MapSingle(pdev, rqst, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(pdev, nvme.CmdDma))
                {
                    return -5;
                }

                Dma.SyncSingleForDevice(pdev, nvme.CmdDma, len, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    [Fact]
    public Task StoredIntoAnEntryThenCheckedThroughIt_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Exporter
        {
            // dma_direct_map_sg's order: sg->dma_address = dma_direct_map_phys(..); if (sg->dma_address == DMA_MAPPING_ERROR)
            static int Fill(PciDevice dev, SgTable sgt, PhysAddr phys, ulong size)
            {
                for (int i = 0; i < sgt.Count; i++)
                {
                    sgt[i].DmaAddress = Dma.MapResource(dev, phys + (ulong)i * size, size, DmaDirection.Bidirectional);
                    if (Dma.MappingError(dev, sgt[i].DmaAddress))
                    {
                        return -5;
                    }
                }

                return sgt.Count;
            }
        }
        """);

    [Fact]
    public Task CheckedThroughAHelper_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            static bool MapFailed(PciDevice dev, DmaAddr handle) => Dma.MappingError(dev, handle);

            static int Io(PciDevice dev, KernelBuffer buf)
            {
                DmaAddr addr = Dma.MapSingle(dev, buf, 0, 4096, DmaDirection.ToDevice);
                if (MapFailed(dev, addr))
                {
                    return -12;
                }

                Dma.UnmapSingle(dev, addr, 4096, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    [Fact]
    public Task ReturnedToTheCallerThatChecks_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            static DmaAddr MapRing(PciDevice dev, KernelBuffer ring) => Dma.MapSingle(dev, ring, 0, ring.Size, DmaDirection.Bidirectional);

            static int Start(PciDevice dev, KernelBuffer ring, Action<ulong> writeBase)
            {
                DmaAddr addr = MapRing(dev, ring);
                if (Dma.MappingError(dev, addr))
                {
                    return -12;
                }

                writeBase(addr.Raw);
                return 0;
            }
        }
        """);

    [Fact]
    public Task StoredForTheCompletionWithoutAUseHere_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Request
        {
            public DmaAddr Dma;
        }

        static class Driver
        {
            // A store into the request is a hand-off: the check may come later (the rule only reports uses).
            static void Prepare(PciDevice dev, KernelBuffer buf, Request rq) =>
                rq.Dma = P2PDma.Mapping.Dma.MapSingle(dev, buf, 0, buf.Size, DmaDirection.ToDevice);
        }
        """);

    [Fact]
    public Task EveryMappingOfALoopChecked_UnwoundOnFailure_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            // The NIC ring of the driver corpus: map each buffer, check each, unwind what was mapped on failure.
            static int Start(PciDevice dev, KernelBuffer[] bufs, DmaAddr[] handles)
            {
                for (int i = 0; i < bufs.Length; i++)
                {
                    handles[i] = Dma.MapSingle(dev, bufs[i], 0, bufs[i].Size, DmaDirection.FromDevice);
                    if (Dma.MappingError(dev, handles[i]))
                    {
                        for (int j = i - 1; j >= 0; j--)
                        {
                            Dma.UnmapSingle(dev, handles[j], bufs[j].Size, DmaDirection.FromDevice);
                        }

                        return -12;
                    }
                }

                return 0;
            }
        }
        """);

    [Fact]
    public Task CheckedInsideTryThenUnmappedInFinally_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            static int Io(PciDevice dev, DmaFabric fabric, KernelBuffer buf)
            {
                DmaAddr addr = Dma.MapSingle(dev, buf, 0, buf.Size, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, addr))
                {
                    return -12;
                }

                try
                {
                    return fabric.Read(dev, addr, (int)buf.Size).Data.Length;
                }
                finally
                {
                    Dma.UnmapSingle(dev, addr, buf.Size, DmaDirection.ToDevice);
                }
            }
        }
        """);

    // ---------------------------------------------------------------- kept in a request, freed by the completion

    // isci's sci_request_build_sgl: a task without a scatterlist gets its buffer mapped into the request, never checked;
    // isci_request_io_request_complete unmaps it from there.
    private const string IsciRequest = """
        sealed class Request
        {
            public PciDevice Dev = null!;
            public KernelBuffer Buf = null!;
            public uint Len;
            public DmaAddr ZeroScatterDaddr;
        }

        static class Completion
        {
            public static void Complete(Request rq) => Dma.UnmapSingle(rq.Dev, {|#1:rq.ZeroScatterDaddr|}, rq.Len, DmaDirection.ToDevice);
        }

        """;

    [Fact]
    public Task MappingKeptInARequest_UnmappedByTheCompletion_NeverChecked_Reports() => Verifier.Analyzer(Usings + IsciRequest + """
        static class Build
        {
            public static void Sgl(Request rq)
            {
                DmaAddr dmaHandle = {|#0:Dma.MapSingle(rq.Dev, rq.Buf, 0, rq.Len, DmaDirection.ToDevice)|};
                rq.ZeroScatterDaddr = dmaHandle;
            }
        }
        """, Unchecked("Dma.MapSingle", "rq.ZeroScatterDaddr", "Dma.UnmapSingle in Completion.Complete, which frees it"));

    // The mapping is checked where the request is started, from the request: the completion unmaps a checked address.
    [Fact]
    public Task MappingKeptInARequest_CheckedByAnotherMethod_NoDiagnostic() => Verifier.Analyzer(Usings + IsciRequest.Replace("{|#1:", "").Replace("|}", "") + """
        static class Build
        {
            public static void Sgl(Request rq) => rq.ZeroScatterDaddr = Dma.MapSingle(rq.Dev, rq.Buf, 0, rq.Len, DmaDirection.ToDevice);

            public static int Start(Request rq)
            {
                DmaAddr a = rq.ZeroScatterDaddr;
                return Dma.MappingError(rq.Dev, a) ? -12 : 0;
            }
        }
        """);
}
