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

    // 8139cp's cp_rx_poll unmapped the old buffer before mapping its replacement into the slot: returning on failure
    // would leave the slot with an unmapped address for the next poll to unmap again. The kernel's fix reordered.
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

    // cp_start_xmit maps under spin_lock_irqsave, released at its end: a return in between would keep the lock.
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
}
