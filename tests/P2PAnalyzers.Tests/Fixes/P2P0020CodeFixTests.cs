using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0020MappingErrorNotCheckedAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>P2P0020's fix adds <c>if (Dma.MappingError(dev, x))</c> right after the mapping, leaving through the function's error path.</summary>
public sealed class P2P0020CodeFixTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    [Fact]
    public Task SoloP2mDma_ReturnsTheErrorWhenTheMappingFails() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        static class SoloP2m
        {
            public static int SoloP2mDma(PciDevice pdev, KernelBuffer sysAddr, uint size)
            {
                DmaAddr dmaAddr = [|Dma.MapSingle(pdev, sysAddr, 0, size, DmaDirection.ToDevice)|];
                int ret = Program(dmaAddr, size);
                Dma.UnmapSingle(pdev, dmaAddr, size, DmaDirection.ToDevice);
                return ret;
            }

            static int Program(DmaAddr addr, uint size) => addr.Raw > 0 ? 0 : -5;
        }
        """, Usings + """
        static class SoloP2m
        {
            public static int SoloP2mDma(PciDevice pdev, KernelBuffer sysAddr, uint size)
            {
                DmaAddr dmaAddr = Dma.MapSingle(pdev, sysAddr, 0, size, DmaDirection.ToDevice);
                if (Dma.MappingError(pdev, dmaAddr))
                {
                    return (int)DmaError.NoMemory;
                }

                int ret = Program(dmaAddr, size);
                Dma.UnmapSingle(pdev, dmaAddr, size, DmaDirection.ToDevice);
                return ret;
            }

            static int Program(DmaAddr addr, uint size) => addr.Raw > 0 ? 0 : -5;
        }
        """);

    [Fact]
    public Task QlaNvmeLsReq_ChecksTheRequestFieldBeforeTheSync() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        class NvmeCtx
        {
            public DmaAddr CmdDma;
        }

        static class QlaNvme
        {
            public static void QlaNvmeLsReq(PciDevice pdev, KernelBuffer rqst, uint len, NvmeCtx nvme)
            {
                nvme.CmdDma = [|Dma.MapSingle(pdev, rqst, 0, len, DmaDirection.ToDevice)|];
                Dma.SyncSingleForDevice(pdev, nvme.CmdDma, len, DmaDirection.ToDevice);
            }
        }
        """, Usings + """
        class NvmeCtx
        {
            public DmaAddr CmdDma;
        }

        static class QlaNvme
        {
            public static void QlaNvmeLsReq(PciDevice pdev, KernelBuffer rqst, uint len, NvmeCtx nvme)
            {
                nvme.CmdDma = Dma.MapSingle(pdev, rqst, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(pdev, nvme.CmdDma))
                {
                    return;
                }

                Dma.SyncSingleForDevice(pdev, nvme.CmdDma, len, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task MappedStraightIntoAnEntry_IsCheckedThroughALocalFirst() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        static class Exporter
        {
            static bool Fill(PciDevice dev, SgTable sgt, PhysAddr phys, ulong size)
            {
                for (int i = 0; i < sgt.Count; i++)
                {
                    sgt[i].DmaAddress = [|Dma.MapResource(dev, phys + (ulong)i * size, size, DmaDirection.Bidirectional)|];
                    sgt[i].DmaLength = size;
                }

                return true;
            }
        }
        """, Usings + """
        static class Exporter
        {
            static bool Fill(PciDevice dev, SgTable sgt, PhysAddr phys, ulong size)
            {
                for (int i = 0; i < sgt.Count; i++)
                {
                    DmaAddr dmaAddress = Dma.MapResource(dev, phys + (ulong)i * size, size, DmaDirection.Bidirectional);
                    if (Dma.MappingError(dev, dmaAddress))
                    {
                        return false;
                    }

                    sgt[i].DmaAddress = dmaAddress;
                    sgt[i].DmaLength = size;
                }

                return true;
            }
        }
        """);

    [Fact]
    public Task MappingInsideTheUse_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        static class Driver
        {
            static void Io(PciDevice dev, KernelBuffer buf) =>
                Dma.UnmapSingle(dev, [|Dma.MapSingle(dev, buf, 0, buf.Size, DmaDirection.ToDevice)|], buf.Size, DmaDirection.ToDevice);
        }
        """);

    // ath10k before "Correct error handling of dma_map_single()" (2019): the mapping was tested against zero. The test
    // becomes the check; its branch (free the frame, go on with the queue) stays.
    [Fact]
    public Task Ath10kZeroTest_BecomesTheMappingErrorCheck() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        static class Ath10kMac
        {
            static void MgmtOverWmiTxWork(PciDevice dev, System.Collections.Generic.Queue<KernelBuffer> queue, ulong len, System.Action<DmaAddr> send)
            {
                while (queue.Count > 0)
                {
                    KernelBuffer skb = queue.Dequeue();
                    DmaAddr paddr = [|Dma.MapSingle(dev, skb, 0, len, DmaDirection.ToDevice)|];
                    if (paddr.Raw == 0)
                    {
                        continue;
                    }

                    send(paddr);
                    Dma.UnmapSingle(dev, paddr, len, DmaDirection.ToDevice);
                }
            }

        }
        """, Usings + """
        static class Ath10kMac
        {
            static void MgmtOverWmiTxWork(PciDevice dev, System.Collections.Generic.Queue<KernelBuffer> queue, ulong len, System.Action<DmaAddr> send)
            {
                while (queue.Count > 0)
                {
                    KernelBuffer skb = queue.Dequeue();
                    DmaAddr paddr = Dma.MapSingle(dev, skb, 0, len, DmaDirection.ToDevice);
                    if (Dma.MappingError(dev, paddr))
                    {
                        continue;
                    }

                    send(paddr);
                    Dma.UnmapSingle(dev, paddr, len, DmaDirection.ToDevice);
                }
            }

        }
        """);

    // mtip32xx's exec_drive_taskfile before 5173cb814b36 (Mtip32xxTests has the whole function): the zero test becomes
    // the check, and its branch still leaves the address zero, because abort: unmaps under `if (outbuf_dma)`. The
    // kernel's fix changed only the test, and so unmaps the failed address there.
    [Fact]
    public Task Mtip32xxZeroTestBeforeAZeroGuardedUnmap_BecomesTheCheckAndClearsTheAddress() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        static class Mtip
        {
            static int ExecDriveTaskfile(PciDevice dev, KernelBuffer outbuf, uint taskout, System.Func<DmaAddr, int> issue)
            {
                DmaAddr outbufDma = default;
                int err = 0;
                if (taskout != 0)
                {
                    outbufDma = [|Dma.MapSingle(dev, outbuf, 0, taskout, DmaDirection.ToDevice)|];
                    if (outbufDma.Raw == 0)
                    {
                        err = -12;
                        goto abort;
                    }
                }

                err = issue(outbufDma);
            abort:
                if (outbufDma.Raw != 0)
                    Dma.UnmapSingle(dev, outbufDma, taskout, DmaDirection.ToDevice);
                return err;
            }
        }
        """, Usings + """
        static class Mtip
        {
            static int ExecDriveTaskfile(PciDevice dev, KernelBuffer outbuf, uint taskout, System.Func<DmaAddr, int> issue)
            {
                DmaAddr outbufDma = default;
                int err = 0;
                if (taskout != 0)
                {
                    outbufDma = Dma.MapSingle(dev, outbuf, 0, taskout, DmaDirection.ToDevice);
                    if (Dma.MappingError(dev, outbufDma))
                    {
                        outbufDma = default;
                        err = -12;
                        goto abort;
                    }
                }

                err = issue(outbufDma);
            abort:
                if (outbufDma.Raw != 0)
                    Dma.UnmapSingle(dev, outbufDma, taskout, DmaDirection.ToDevice);
                return err;
            }
        }
        """);

    // 8139cp's cp_refill_rx: a failure earlier in the loop goes to err_out, which cleans the rings (unmapping what the
    // loop mapped so far); the kernel's check goes there too. A plain return would leak those mappings.
    [Fact]
    public Task Cp8139RefillRx_LeavesThroughTheFunctionsUnwindLabel() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class SkBuff { public KernelBuffer Head = null!; public uint Len; }

        sealed class RxDesc { [DmaAddress] public ulong Addr; public uint Opts1; }

        sealed class Cp
        {
            public PciDevice Pdev = null!;
            public RxDesc[] RxRing = new RxDesc[64];
            public SkBuff?[] RxSkb = new SkBuff?[64];
            public uint RxBufSz = 1536;
            public object Lock = new();
        }

        static class Rtl8139Cp
        {
            public static int RefillRx(Cp cp, System.Func<SkBuff?> alloc)
            {
                for (int i = 0; i < cp.RxRing.Length; i++)
                {
                    SkBuff? skb = alloc();
                    if (skb is null)
                    {
                        goto errOut;
                    }

                    DmaAddr mapping = [|Dma.MapSingle(cp.Pdev, skb.Head, 0, cp.RxBufSz, DmaDirection.FromDevice)|];
                    cp.RxSkb[i] = skb;
                    cp.RxRing[i].Addr = mapping.Raw;
                }

                return 0;

            errOut:
                CleanRings(cp);
                return -12;
            }

            static void CleanRings(Cp cp) { }
        }
        """, Usings + """
        sealed class SkBuff { public KernelBuffer Head = null!; public uint Len; }

        sealed class RxDesc { [DmaAddress] public ulong Addr; public uint Opts1; }

        sealed class Cp
        {
            public PciDevice Pdev = null!;
            public RxDesc[] RxRing = new RxDesc[64];
            public SkBuff?[] RxSkb = new SkBuff?[64];
            public uint RxBufSz = 1536;
            public object Lock = new();
        }

        static class Rtl8139Cp
        {
            public static int RefillRx(Cp cp, System.Func<SkBuff?> alloc)
            {
                for (int i = 0; i < cp.RxRing.Length; i++)
                {
                    SkBuff? skb = alloc();
                    if (skb is null)
                    {
                        goto errOut;
                    }

                    DmaAddr mapping = Dma.MapSingle(cp.Pdev, skb.Head, 0, cp.RxBufSz, DmaDirection.FromDevice);
                    if (Dma.MappingError(cp.Pdev, mapping))
                    {
                        goto errOut;
                    }

                    cp.RxSkb[i] = skb;
                    cp.RxRing[i].Addr = mapping.Raw;
                }

                return 0;

            errOut:
                CleanRings(cp);
                return -12;
            }

            static void CleanRings(Cp cp) { }
        }
        """);

    // The label returns a status the failures set before they jump (ret = -ENOMEM; goto out;): the check sets it too.
    [Fact]
    public Task UnwindLabelReturningTheStatus_SetsItBeforeTheJump() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class SkBuff { public KernelBuffer Head = null!; public uint Len; }

        sealed class RxDesc { [DmaAddress] public ulong Addr; public uint Opts1; }

        sealed class Cp
        {
            public PciDevice Pdev = null!;
            public RxDesc[] RxRing = new RxDesc[64];
            public SkBuff?[] RxSkb = new SkBuff?[64];
            public uint RxBufSz = 1536;
            public object Lock = new();
        }

        static class Rtl8139Cp
        {
            public static int Open(Cp cp, SkBuff? skb)
            {
                int ret = 0;
                if (skb is null)
                {
                    ret = -12;
                    goto out_;
                }

                DmaAddr mapping = [|Dma.MapSingle(cp.Pdev, skb.Head, 0, cp.RxBufSz, DmaDirection.FromDevice)|];
                cp.RxRing[0].Addr = mapping.Raw;
            out_:
                return ret;
            }
        }
        """, Usings + """
        sealed class SkBuff { public KernelBuffer Head = null!; public uint Len; }

        sealed class RxDesc { [DmaAddress] public ulong Addr; public uint Opts1; }

        sealed class Cp
        {
            public PciDevice Pdev = null!;
            public RxDesc[] RxRing = new RxDesc[64];
            public SkBuff?[] RxSkb = new SkBuff?[64];
            public uint RxBufSz = 1536;
            public object Lock = new();
        }

        static class Rtl8139Cp
        {
            public static int Open(Cp cp, SkBuff? skb)
            {
                int ret = 0;
                if (skb is null)
                {
                    ret = -12;
                    goto out_;
                }

                DmaAddr mapping = Dma.MapSingle(cp.Pdev, skb.Head, 0, cp.RxBufSz, DmaDirection.FromDevice);
                if (Dma.MappingError(cp.Pdev, mapping))
                {
                    ret = (int)DmaError.NoMemory;
                    goto out_;
                }

                cp.RxRing[0].Addr = mapping.Raw;
            out_:
                return ret;
            }
        }
        """);

    // A jump to the function's way out on success is not its error path: the check returns the error itself.
    [Fact]
    public Task JumpToASuccessLabel_IsNotTaken() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class SkBuff { public KernelBuffer Head = null!; public uint Len; }

        sealed class RxDesc { [DmaAddress] public ulong Addr; public uint Opts1; }

        sealed class Cp
        {
            public PciDevice Pdev = null!;
            public RxDesc[] RxRing = new RxDesc[64];
            public SkBuff?[] RxSkb = new SkBuff?[64];
            public uint RxBufSz = 1536;
            public object Lock = new();
        }

        static class Rtl8139Cp
        {
            public static int Fill(Cp cp, SkBuff skb, bool done)
            {
                if (done)
                {
                    goto out_;
                }

                DmaAddr mapping = [|Dma.MapSingle(cp.Pdev, skb.Head, 0, cp.RxBufSz, DmaDirection.FromDevice)|];
                cp.RxRing[0].Addr = mapping.Raw;
            out_:
                return 0;
            }
        }
        """, Usings + """
        sealed class SkBuff { public KernelBuffer Head = null!; public uint Len; }

        sealed class RxDesc { [DmaAddress] public ulong Addr; public uint Opts1; }

        sealed class Cp
        {
            public PciDevice Pdev = null!;
            public RxDesc[] RxRing = new RxDesc[64];
            public SkBuff?[] RxSkb = new SkBuff?[64];
            public uint RxBufSz = 1536;
            public object Lock = new();
        }

        static class Rtl8139Cp
        {
            public static int Fill(Cp cp, SkBuff skb, bool done)
            {
                if (done)
                {
                    goto out_;
                }

                DmaAddr mapping = Dma.MapSingle(cp.Pdev, skb.Head, 0, cp.RxBufSz, DmaDirection.FromDevice);
                if (Dma.MappingError(cp.Pdev, mapping))
                {
                    return (int)DmaError.NoMemory;
                }

                cp.RxRing[0].Addr = mapping.Raw;
            out_:
                return 0;
            }
        }
        """);

    // mxs-dcp's mxs_dcp_run_aes before df6313d707e5: the key is mapped, then the buffers, and all three are unmapped at
    // the end. A bare return at the buffer's check would leave the key mapped; the fix unmaps the key first, with the
    // function's own unmap of it, as the kernel's fix unwound it through its labels.
    [Fact]
    public Task EarlierMappingUnmappedOnlyAfter_UnmapsItFirst() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Dcp { public PciDevice Dev = null!; public KernelBuffer Key = null!; public KernelBuffer In = null!; }

        static class MxsDcp
        {
            static int RunAes(Dcp sdcp)
            {
                DmaAddr keyPhys = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                if (Dma.MappingError(sdcp.Dev, keyPhys))
                {
                    return -12;
                }

                DmaAddr srcPhys = [|Dma.MapSingle(sdcp.Dev, sdcp.In, 0, 512, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(sdcp.Dev, srcPhys, 512, DmaDirection.ToDevice);
                Dma.UnmapSingle(sdcp.Dev, keyPhys, 32, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, Usings + """
        sealed class Dcp { public PciDevice Dev = null!; public KernelBuffer Key = null!; public KernelBuffer In = null!; }

        static class MxsDcp
        {
            static int RunAes(Dcp sdcp)
            {
                DmaAddr keyPhys = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                if (Dma.MappingError(sdcp.Dev, keyPhys))
                {
                    return -12;
                }

                DmaAddr srcPhys = Dma.MapSingle(sdcp.Dev, sdcp.In, 0, 512, DmaDirection.ToDevice);
                if (Dma.MappingError(sdcp.Dev, srcPhys))
                {
                    Dma.UnmapSingle(sdcp.Dev, keyPhys, 32, DmaDirection.ToDevice);
                    return (int)DmaError.NoMemory;
                }

                Dma.UnmapSingle(sdcp.Dev, srcPhys, 512, DmaDirection.ToDevice);
                Dma.UnmapSingle(sdcp.Dev, keyPhys, 32, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // The same for a scatterlist mapped before (atmel-aes maps the source list, then the IV): dma_unmap_sg names the
    // list, not the count dma_map_sg returned, so the earlier mapping is the list's.
    [Fact]
    public Task EarlierScatterlistUnmappedOnlyAfter_UnmapsItFirst() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Dd { public PciDevice Dev = null!; public KernelBuffer Iv = null!; }

        static class AtmelAes
        {
            static int Crypt(Dd dd, SgTable src, int nents)
            {
                int count = Dma.MapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                DmaAddr iv = [|Dma.MapSingle(dd.Dev, dd.Iv, 0, 16, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(dd.Dev, iv, 16, DmaDirection.ToDevice);
                Dma.UnmapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, Usings + """
        sealed class Dd { public PciDevice Dev = null!; public KernelBuffer Iv = null!; }

        static class AtmelAes
        {
            static int Crypt(Dd dd, SgTable src, int nents)
            {
                int count = Dma.MapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                DmaAddr iv = Dma.MapSingle(dd.Dev, dd.Iv, 0, 16, DmaDirection.ToDevice);
                if (Dma.MappingError(dd.Dev, iv))
                {
                    Dma.UnmapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                    return (int)DmaError.NoMemory;
                }

                Dma.UnmapSingle(dd.Dev, iv, 16, DmaDirection.ToDevice);
                Dma.UnmapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // An earlier mapping made in either arm of a conditional (a page or a single buffer) and unmapped at the end.
    [Fact]
    public Task EarlierConditionalMappingUnmappedOnlyAfter_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Req { public PciDevice Dev = null!; public KernelBuffer Buf = null!; public Page? Page; public KernelBuffer Status = null!; }

        static class Driver
        {
            static int Submit(Req req)
            {
                DmaAddr data = req.Page is Page page
                    ? Dma.MapPage(req.Dev, page, 0, 4096, DmaDirection.ToDevice)
                    : Dma.MapSingle(req.Dev, req.Buf, 0, 4096, DmaDirection.ToDevice);
                if (Dma.MappingError(req.Dev, data))
                {
                    return -12;
                }

                DmaAddr status = [|Dma.MapSingle(req.Dev, req.Status, 0, 64, DmaDirection.FromDevice)|];
                Dma.UnmapSingle(req.Dev, status, 64, DmaDirection.FromDevice);
                if (req.Page is not null)
                {
                    Dma.UnmapPage(req.Dev, data, 4096, DmaDirection.ToDevice);
                }
                else
                {
                    Dma.UnmapSingle(req.Dev, data, 4096, DmaDirection.ToDevice);
                }

                return 0;
            }
        }
        """);

    // The old buffer unmapped before a replacement is mapped into the slot: returning on failure would leave the slot with
    // an unmapped address for the next poll to unmap again. The replacement is a parameter here, not a buffer the
    // function allocated: it may be the buffer just unmapped, so the map is not moved ahead of the unmap either.
    [Fact]
    public Task UnmapBeforeTheMap_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class SkBuff { public KernelBuffer Head = null!; public uint Len; }

        sealed class RxDesc { [DmaAddress] public ulong Addr; public uint Opts1; }

        sealed class Cp
        {
            public PciDevice Pdev = null!;
            public RxDesc[] RxRing = new RxDesc[64];
            public SkBuff?[] RxSkb = new SkBuff?[64];
            public uint RxBufSz = 1536;
            public object Lock = new();
        }

        static class Rtl8139Cp
        {
            public static int RxPoll(Cp cp, int entry, SkBuff newSkb)
            {
                DmaAddr mapping = DmaAddr.FromRaw(cp.RxRing[entry].Addr);
                Dma.UnmapSingle(cp.Pdev, mapping, cp.RxBufSz, DmaDirection.FromDevice);
                mapping = [|Dma.MapSingle(cp.Pdev, newSkb.Head, 0, cp.RxBufSz, DmaDirection.FromDevice)|];
                cp.RxSkb[entry] = newSkb;
                cp.RxRing[entry].Addr = mapping.Raw;
                return 1;
            }
        }
        """);

    // Mapped under spin_lock_irqsave, released at the end, and no early exit of the function's own that releases it: a
    // return in between would keep the lock.
    [Fact]
    public Task MappedWhileHoldingALockReleasedLater_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class SkBuff { public KernelBuffer Head = null!; public uint Len; }

        sealed class RxDesc { [DmaAddress] public ulong Addr; public uint Opts1; }

        sealed class Cp
        {
            public PciDevice Pdev = null!;
            public RxDesc[] RxRing = new RxDesc[64];
            public SkBuff?[] RxSkb = new SkBuff?[64];
            public uint RxBufSz = 1536;
            public object Lock = new();
        }

        static class Rtl8139Cp
        {
            public static int StartXmit(Cp cp, SkBuff skb)
            {
                System.Threading.Monitor.Enter(cp.Lock);
                DmaAddr mapping = [|Dma.MapSingle(cp.Pdev, skb.Head, 0, skb.Len, DmaDirection.ToDevice)|];
                cp.RxRing[0].Addr = mapping.Raw;
                System.Threading.Monitor.Exit(cp.Lock);
                return 0;
            }
        }
        """);

    // isci's sci_request_build_sgl: void, the mapping kept in the request and unmapped by the completion. A return
    // cannot tell the caller, who starts the request; the completion would unmap an address never mapped.
    [Fact]
    public Task VoidFunctionKeepingTheMappingForTheCompletion_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Request
        {
            public PciDevice Dev = null!;
            public KernelBuffer Buf = null!;
            public uint Len;
            public DmaAddr ZeroScatterDaddr;
        }

        static class Isci
        {
            public static void BuildSgl(Request rq)
            {
                DmaAddr dmaHandle = [|Dma.MapSingle(rq.Dev, rq.Buf, 0, rq.Len, DmaDirection.ToDevice)|];
                rq.ZeroScatterDaddr = dmaHandle;
            }

            public static void Complete(Request rq) => Dma.UnmapSingle(rq.Dev, rq.ZeroScatterDaddr, rq.Len, DmaDirection.ToDevice);
        }
        """);

    private const string CpTypes = """
        sealed class SkbFrag { public KernelBuffer Page = null!; public ulong PageOffset; public uint Size; }

        sealed class SkBuff
        {
            public KernelBuffer Head = null!;
            public ulong DataOffset;
            public uint Len;
            public SkbFrag[] Frags = System.Array.Empty<SkbFrag>();
            public int NrFrags;
        }

        sealed class CpDesc { public uint Opts1; [DmaAddress] public ulong Addr; }

        sealed class Stats { public ulong RxDropped, TxDropped; }

        sealed class Cp
        {
            public PciDevice Pdev = null!;
            public SystemMemory Mem = null!;
            public object Lock = new();
            public CpDesc[] TxRing = new CpDesc[64];
            public SkBuff?[] TxSkb = new SkBuff?[64];
            public CpDesc[] RxRing = new CpDesc[64];
            public SkBuff?[] RxSkb = new SkBuff?[64];
            public uint TxHead, RxTail, RxBufSz = 1536;
            public Stats Stats = new();
        }

        """;

    // 8139cp's cp_start_xmit (before "8139cp: Add dma_mapping_error checking"): the head is mapped under
    // spin_lock_irqsave. The function's own early exit (ring full) unlocks before it returns; the check leaves through
    // the same unlock, as the kernel's out_dma_error did through out_unlock.
    [Fact]
    public Task Cp8139StartXmit_LeavesThroughTheUnlockOfItsOwnEarlyExit() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + CpTypes + """
        static class Rtl8139Cp
        {
            public static int StartXmit(Cp cp, SkBuff skb, uint avail)
            {
                uint entry;
                System.Threading.Monitor.Enter(cp.Lock);  // spin_lock_irqsave

                if (avail <= (uint)(skb.NrFrags + 1))
                {
                    System.Threading.Monitor.Exit(cp.Lock);
                    return 16;  // NETDEV_TX_BUSY
                }

                entry = cp.TxHead;
                if (skb.NrFrags == 0)
                {
                    CpDesc txd = cp.TxRing[entry];
                    DmaAddr mapping;

                    mapping = [|Dma.MapSingle(cp.Pdev, skb.Head, skb.DataOffset, skb.Len, DmaDirection.ToDevice)|];
                    txd.Addr = mapping.Raw;
                    txd.Opts1 = skb.Len;
                    cp.TxSkb[entry] = skb;
                    entry = (entry + 1) & 63;
                }

                cp.TxHead = entry;
                System.Threading.Monitor.Exit(cp.Lock);
                return 0;  // NETDEV_TX_OK
            }
        }
        """, Usings + CpTypes + """
        static class Rtl8139Cp
        {
            public static int StartXmit(Cp cp, SkBuff skb, uint avail)
            {
                uint entry;
                System.Threading.Monitor.Enter(cp.Lock);  // spin_lock_irqsave

                if (avail <= (uint)(skb.NrFrags + 1))
                {
                    System.Threading.Monitor.Exit(cp.Lock);
                    return 16;  // NETDEV_TX_BUSY
                }

                entry = cp.TxHead;
                if (skb.NrFrags == 0)
                {
                    CpDesc txd = cp.TxRing[entry];
                    DmaAddr mapping;

                    mapping = Dma.MapSingle(cp.Pdev, skb.Head, skb.DataOffset, skb.Len, DmaDirection.ToDevice);
                    if (Dma.MappingError(cp.Pdev, mapping))
                    {
                        System.Threading.Monitor.Exit(cp.Lock);
                        return (int)DmaError.NoMemory;
                    }

                    txd.Addr = mapping.Raw;
                    txd.Opts1 = skb.Len;
                    cp.TxSkb[entry] = skb;
                    entry = (entry + 1) & 63;
                }

                cp.TxHead = entry;
                System.Threading.Monitor.Exit(cp.Lock);
                return 0;  // NETDEV_TX_OK
            }
        }
        """);

    // cp_start_xmit's fragments: when a fragment fails, the head and the fragments before it are mapped (the kernel's
    // fix unwinds them with unwind_tx_frag_mapping before out_dma_error). Leaving through the unlock would keep them
    // mapped: the head's check is offered, the fragment's is not.
    [Fact]
    public Task Cp8139StartXmitFragments_HeadLeavesThroughTheUnlock_FragmentAfterItHasNoFix()
    {
        var test = new Verifier.CodeFixTest<P2P0020MappingErrorNotCheckedCodeFix> { TestCode = Usings + CpTypes + """
        static class Rtl8139Cp
        {
            public static int StartXmit(Cp cp, SkBuff skb, uint avail)
            {
                System.Threading.Monitor.Enter(cp.Lock);

                if (avail <= (uint)(skb.NrFrags + 1))
                {
                    System.Threading.Monitor.Exit(cp.Lock);
                    return 16;
                }

                uint entry = cp.TxHead;
                uint firstEntry = entry;
                DmaAddr firstMapping;
                firstMapping = [|Dma.MapSingle(cp.Pdev, skb.Head, skb.DataOffset, skb.Len, DmaDirection.ToDevice)|];
                cp.TxSkb[entry] = skb;
                entry = (entry + 1) & 63;

                for (int frag = 0; frag < skb.NrFrags; frag++)
                {
                    SkbFrag thisFrag = skb.Frags[frag];
                    DmaAddr mapping;

                    mapping = [|Dma.MapSingle(cp.Pdev, thisFrag.Page, thisFrag.PageOffset, thisFrag.Size, DmaDirection.ToDevice)|];
                    cp.TxRing[entry].Addr = mapping.Raw;
                    cp.TxSkb[entry] = skb;
                    entry = (entry + 1) & 63;
                }

                cp.TxRing[firstEntry].Addr = firstMapping.Raw;
                cp.TxHead = entry;
                System.Threading.Monitor.Exit(cp.Lock);
                return 0;
            }
        }
        """, FixedCode = Usings + CpTypes + """
        static class Rtl8139Cp
        {
            public static int StartXmit(Cp cp, SkBuff skb, uint avail)
            {
                System.Threading.Monitor.Enter(cp.Lock);

                if (avail <= (uint)(skb.NrFrags + 1))
                {
                    System.Threading.Monitor.Exit(cp.Lock);
                    return 16;
                }

                uint entry = cp.TxHead;
                uint firstEntry = entry;
                DmaAddr firstMapping;
                firstMapping = Dma.MapSingle(cp.Pdev, skb.Head, skb.DataOffset, skb.Len, DmaDirection.ToDevice);
                if (Dma.MappingError(cp.Pdev, firstMapping))
                {
                    System.Threading.Monitor.Exit(cp.Lock);
                    return (int)DmaError.NoMemory;
                }

                cp.TxSkb[entry] = skb;
                entry = (entry + 1) & 63;

                for (int frag = 0; frag < skb.NrFrags; frag++)
                {
                    SkbFrag thisFrag = skb.Frags[frag];
                    DmaAddr mapping;

                    mapping = {|P2P0020:Dma.MapSingle(cp.Pdev, thisFrag.Page, thisFrag.PageOffset, thisFrag.Size, DmaDirection.ToDevice)|};
                    cp.TxRing[entry].Addr = mapping.Raw;
                    cp.TxSkb[entry] = skb;
                    entry = (entry + 1) & 63;
                }

                cp.TxRing[firstEntry].Addr = firstMapping.Raw;
                cp.TxHead = entry;
                System.Threading.Monitor.Exit(cp.Lock);
                return 0;
            }
        }
        """ };
        test.Configure(withLibrary: true);
        test.FixedState.MarkupHandling = Microsoft.CodeAnalysis.Testing.MarkupMode.Allow;
        return test.RunAsync();
    }

    // 8139cp's cp_rx_poll before the fix: the old buffer is unmapped, then the freshly allocated replacement is mapped
    // into `mapping`, which rx_next writes back into the slot. As the kernel's fix: the replacement is mapped first into
    // a name of its own and checked; a failure does what the failed allocation right before does (count a drop, goto
    // rx_next), so the slot keeps the old buffer, still mapped; the old buffer is unmapped only after the check.
    [Fact]
    public Task Cp8139RxPoll_MapsTheReplacementFirstAndKeepsTheOldBufferOnFailure() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + CpTypes + """
        static class Rtl8139Cp
        {
            static SkBuff? NetdevAllocSkbIpAlign(Cp cp, uint len) => len == 0 ? null : new SkBuff { Head = cp.Mem.Kmalloc(len + 2), DataOffset = 2 };

            public static int RxPoll(Cp cp, int budget)
            {
                uint rxTail = cp.RxTail;
                int rx = 0;

                while (rx < budget)
                {
                    DmaAddr mapping;
                    SkBuff? skb, newSkb;
                    uint buflen = cp.RxBufSz;
                    uint status = cp.RxRing[rxTail].Opts1;

                    if ((status & (1u << 31)) != 0)
                    {
                        break;
                    }

                    skb = cp.RxSkb[rxTail]!;
                    mapping = DmaAddr.FromRaw(cp.RxRing[rxTail].Addr);

                    newSkb = NetdevAllocSkbIpAlign(cp, buflen);
                    if (newSkb is null)
                    {
                        cp.Stats.RxDropped++;
                        goto rxNext;
                    }

                    Dma.UnmapSingle(cp.Pdev, mapping, buflen, DmaDirection.FromDevice);

                    skb.Len = (status & 0x1fff) - 4;

                    mapping = [|Dma.MapSingle(cp.Pdev, newSkb.Head, newSkb.DataOffset, buflen, DmaDirection.FromDevice)|];
                    cp.RxSkb[rxTail] = newSkb;
                    rx++;

                rxNext:
                    cp.RxRing[rxTail].Addr = mapping.Raw;
                    cp.RxRing[rxTail].Opts1 = (1u << 31) | cp.RxBufSz;
                    rxTail = (rxTail + 1) & 63;
                }

                cp.RxTail = rxTail;
                return rx;
            }
        }
        """, Usings + CpTypes + """
        static class Rtl8139Cp
        {
            static SkBuff? NetdevAllocSkbIpAlign(Cp cp, uint len) => len == 0 ? null : new SkBuff { Head = cp.Mem.Kmalloc(len + 2), DataOffset = 2 };

            public static int RxPoll(Cp cp, int budget)
            {
                uint rxTail = cp.RxTail;
                int rx = 0;

                while (rx < budget)
                {
                    DmaAddr mapping;
                    SkBuff? skb, newSkb;
                    uint buflen = cp.RxBufSz;
                    uint status = cp.RxRing[rxTail].Opts1;

                    if ((status & (1u << 31)) != 0)
                    {
                        break;
                    }

                    skb = cp.RxSkb[rxTail]!;
                    mapping = DmaAddr.FromRaw(cp.RxRing[rxTail].Addr);

                    newSkb = NetdevAllocSkbIpAlign(cp, buflen);
                    if (newSkb is null)
                    {
                        cp.Stats.RxDropped++;
                        goto rxNext;
                    }

                    DmaAddr newMapping = Dma.MapSingle(cp.Pdev, newSkb.Head, newSkb.DataOffset, buflen, DmaDirection.FromDevice);
                    if (Dma.MappingError(cp.Pdev, newMapping))
                    {
                        cp.Stats.RxDropped++;
                        goto rxNext;
                    }

                    Dma.UnmapSingle(cp.Pdev, mapping, buflen, DmaDirection.FromDevice);

                    skb.Len = (status & 0x1fff) - 4;

                    mapping = newMapping;
                    cp.RxSkb[rxTail] = newSkb;
                    rx++;

                rxNext:
                    cp.RxRing[rxTail].Addr = mapping.Raw;
                    cp.RxRing[rxTail].Opts1 = (1u << 31) | cp.RxBufSz;
                    rxTail = (rxTail + 1) & 63;
                }

                cp.RxTail = rxTail;
                return rx;
            }
        }
        """);

    // The old buffer recycled: unmapped, its offset reset, mapped again. Mapping it before the unmap would map the same
    // memory twice and miss the reset: no fix.
    [Fact]
    public Task UnmapThenTheBufferChangedBeforeItsMap_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + CpTypes + """
        static class Rtl8139Cp
        {
            static SkBuff? Alloc(Cp cp) => new SkBuff { Head = cp.Mem.Kmalloc(cp.RxBufSz + 2) };

            public static int Refresh(Cp cp, int entry)
            {
                DmaAddr mapping = DmaAddr.FromRaw(cp.RxRing[entry].Addr);
                SkBuff skb = Alloc(cp)!;
                Dma.UnmapSingle(cp.Pdev, mapping, cp.RxBufSz, DmaDirection.FromDevice);
                skb.DataOffset = 2;
                mapping = [|Dma.MapSingle(cp.Pdev, skb.Head, skb.DataOffset, cp.RxBufSz, DmaDirection.FromDevice)|];
                cp.RxSkb[entry] = skb;
                cp.RxRing[entry].Addr = mapping.Raw;
                return 0;
            }
        }
        """);

    // 3c59x's boomerang_rx refill before "fix missing dma_mapping_error check and bad ring refill logic": the mapping
    // is written straight into the descriptor (cpu_to_le32(pci_map_single(..))). It is taken out into a local, checked,
    // then stored; a failure does what the refill's failed allocation right before does (arm the OOM timer when the
    // ring is empty, stop refilling), where a return would skip the rest of the function.
    [Fact]
    public Task Vortex3c59xRefill_MappingInsideTheStore_IsCheckedThroughALocal() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class SkBuff { public KernelBuffer Head = null!; public ulong Data; }

        sealed class BoomRxDesc { public uint Status; [DmaAddress] public uint Addr; }

        sealed class Vp
        {
            public PciDevice Pdev = null!;
            public SystemMemory Mem = null!;
            public BoomRxDesc[] RxRing = new BoomRxDesc[32];
            public SkBuff?[] RxSkbuff = new SkBuff?[32];
            public uint CurRx, DirtyRx;
            public bool RxOomTimerArmed;
        }

        static class Vortex3c59x
        {
            static SkBuff? NetdevAllocSkb(Vp vp, ulong len) => len == 0 ? null : new SkBuff { Head = vp.Mem.Kmalloc(len + 2), Data = 2 };

            public static int BoomerangRx(Vp vp)
            {
                uint entry;
                for (; vp.CurRx - vp.DirtyRx > 0; vp.DirtyRx++)
                {
                    SkBuff? skb;
                    entry = vp.DirtyRx % 32;
                    if (vp.RxSkbuff[entry] == null)
                    {
                        skb = NetdevAllocSkb(vp, 1536);
                        if (skb == null)
                        {
                            if ((vp.CurRx - vp.DirtyRx) == 32)
                            {
                                vp.RxOomTimerArmed = true;
                            }

                            break;
                        }

                        vp.RxRing[entry].Addr = (uint)[|Dma.MapSingle(vp.Pdev, skb.Head, skb.Data, 1536, DmaDirection.FromDevice)|].Raw;
                        vp.RxSkbuff[entry] = skb;
                    }

                    vp.RxRing[entry].Status = 0;
                }

                return 0;
            }
        }
        """, Usings + """
        sealed class SkBuff { public KernelBuffer Head = null!; public ulong Data; }

        sealed class BoomRxDesc { public uint Status; [DmaAddress] public uint Addr; }

        sealed class Vp
        {
            public PciDevice Pdev = null!;
            public SystemMemory Mem = null!;
            public BoomRxDesc[] RxRing = new BoomRxDesc[32];
            public SkBuff?[] RxSkbuff = new SkBuff?[32];
            public uint CurRx, DirtyRx;
            public bool RxOomTimerArmed;
        }

        static class Vortex3c59x
        {
            static SkBuff? NetdevAllocSkb(Vp vp, ulong len) => len == 0 ? null : new SkBuff { Head = vp.Mem.Kmalloc(len + 2), Data = 2 };

            public static int BoomerangRx(Vp vp)
            {
                uint entry;
                for (; vp.CurRx - vp.DirtyRx > 0; vp.DirtyRx++)
                {
                    SkBuff? skb;
                    entry = vp.DirtyRx % 32;
                    if (vp.RxSkbuff[entry] == null)
                    {
                        skb = NetdevAllocSkb(vp, 1536);
                        if (skb == null)
                        {
                            if ((vp.CurRx - vp.DirtyRx) == 32)
                            {
                                vp.RxOomTimerArmed = true;
                            }

                            break;
                        }

                        DmaAddr dmaAddress = Dma.MapSingle(vp.Pdev, skb.Head, skb.Data, 1536, DmaDirection.FromDevice);
                        if (Dma.MappingError(vp.Pdev, dmaAddress))
                        {
                            if ((vp.CurRx - vp.DirtyRx) == 32)
                            {
                                vp.RxOomTimerArmed = true;
                            }

                            break;
                        }

                        vp.RxRing[entry].Addr = (uint)dmaAddress.Raw;
                        vp.RxSkbuff[entry] = skb;
                    }

                    vp.RxRing[entry].Status = 0;
                }

                return 0;
            }
        }
        """);

    // A jump before the map that does not test the buffer mapped (the work limit) is not its failure: the check
    // returns the error.
    [Fact]
    public Task BreakBeforeTheMapNotTestingTheBuffer_IsNotTaken() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + CpTypes + """
        static class Rtl8139Cp
        {
            public static int Fill(Cp cp, SkBuff skb, int limit)
            {
                for (int i = 0; i < 64; i++)
                {
                    if (--limit < 0)
                    {
                        break;
                    }

                    DmaAddr mapping = [|Dma.MapSingle(cp.Pdev, skb.Head, 0, cp.RxBufSz, DmaDirection.FromDevice)|];
                    cp.RxRing[i].Addr = mapping.Raw;
                }

                return 0;
            }
        }
        """, Usings + CpTypes + """
        static class Rtl8139Cp
        {
            public static int Fill(Cp cp, SkBuff skb, int limit)
            {
                for (int i = 0; i < 64; i++)
                {
                    if (--limit < 0)
                    {
                        break;
                    }

                    DmaAddr mapping = Dma.MapSingle(cp.Pdev, skb.Head, 0, cp.RxBufSz, DmaDirection.FromDevice);
                    if (Dma.MappingError(cp.Pdev, mapping))
                    {
                        return (int)DmaError.NoMemory;
                    }

                    cp.RxRing[i].Addr = mapping.Raw;
                }

                return 0;
            }
        }
        """);

    // The lock is released before the mapping and taken again after it: leaving through the early exit's unlock would
    // release a lock not held there. No fix.
    [Fact]
    public Task MappingBetweenAnUnlockAndTheNextLock_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Desc { [DmaAddress] public ulong Addr; }

        sealed class Ring
        {
            public object Lock = new();
            public PciDevice Pdev = null!;
            public Desc[] Descs = { new Desc() };
            public int Free;
        }

        static class Xmit
        {
            static int Send(Ring ring, KernelBuffer buf, uint len)
            {
                System.Threading.Monitor.Enter(ring.Lock);
                if (ring.Free == 0)
                {
                    System.Threading.Monitor.Exit(ring.Lock);
                    return 16;
                }

                ring.Free--;
                System.Threading.Monitor.Exit(ring.Lock);

                DmaAddr mapping = [|Dma.MapSingle(ring.Pdev, buf, 0, len, DmaDirection.ToDevice)|];

                System.Threading.Monitor.Enter(ring.Lock);
                ring.Descs[0].Addr = mapping.Raw;
                System.Threading.Monitor.Exit(ring.Lock);
                return 0;
            }
        }
        """);
}
