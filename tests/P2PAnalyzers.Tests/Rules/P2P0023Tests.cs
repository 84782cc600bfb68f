using Microsoft.CodeAnalysis.Testing;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0023UseAfterUnmapAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0023: a DMA address used after it was unmapped, or on the path where its mapping failed. The positives are the
/// function fixed for exactly this ("spi: amlogic: spifc-a4: Fix DMA mapping error handling", 2026, CVE-2026-43461:
/// aml_sfc_dma_buffer_setup unmapped its data buffer inline and again at out_map_data, and sent a failed mapping to
/// the same label) as spi-amlogic-spifc-a4.c writes it, split as the kernel splits it (the controller struct, the
/// setup that maps, the release that unmaps); the negatives are the fixed function, the DMA API documentation's
/// unwinding examples, a ring refilled in place and a flag that records the unmap.
/// </summary>
public sealed class P2P0023Tests
{
    internal const string Usings = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    // drivers/spi/spi-amlogic-spifc-a4.c: the controller, its register writes and the release the transfers call.
    private const string Sfc = """
        sealed class Regmap
        {
            public uint Last;
        }

        sealed class AmlSfc
        {
            public PciDevice Dev = null!;
            public Regmap RegmapBase = new();
            public DmaAddr Daddr;
            public DmaAddr Iaddr;
            public int InfoBytes;
        }

        static partial class SpiAmlogicSpifcA4
        {
            const uint SfcCmd = 0x00;

            static int RegmapWrite(Regmap map, uint reg, uint value)
            {
                map.Last = value;
                return 0;
            }

            static uint CmdDataAddrL(DmaAddr a) => 0x8000u | (uint)(a.Raw & 0xffff);
            static uint CmdDataAddrH(DmaAddr a) => 0x8100u | (uint)((a.Raw >> 16) & 0xffff);
            static uint CmdInfoAddrL(DmaAddr a) => 0x8200u | (uint)(a.Raw & 0xffff);
            static uint CmdInfoAddrH(DmaAddr a) => 0x8300u | (uint)((a.Raw >> 16) & 0xffff);

            // aml_sfc_dma_buffer_release
            static void AmlSfcDmaBufferRelease(AmlSfc sfc, int datalen, int infolen, DmaDirection dir)
            {
                Dma.UnmapSingle(sfc.Dev, sfc.Daddr, (ulong)datalen, dir);
                if (infolen != 0)
                {
                    Dma.UnmapSingle(sfc.Dev, sfc.Iaddr, (ulong)infolen, dir);
                    sfc.InfoBytes = 0;
                }
            }
        }

        """;

    private static DiagnosticResult Used(string address, string use, string after) =>
        Verifier.Diagnostic("P2P0023").WithLocation(0).WithLocation(1).WithLocation(2).WithArguments(address, use, after);

    // aml_sfc_dma_buffer_setup as merged (4670db6f32e9, with the 2025 "ret =" fix): the info buffer's mapping failure
    // unmaps the data buffer inline and jumps to out_map_data, which unmaps it again.
    [Fact]
    public Task AmlSfcDmaBufferSetup_InlineUnmapThenOutMapData_Reports() => Verifier.Analyzer(Usings + Sfc + """
        static partial class SpiAmlogicSpifcA4
        {
            static int AmlSfcDmaBufferSetup(AmlSfc sfc, KernelBuffer databuf, int datalen, KernelBuffer? infobuf, int infolen, DmaDirection dir)
            {
                uint cmd = 0;
                int ret;

                sfc.Daddr = {|#2:Dma.MapSingle(sfc.Dev, databuf, 0, (ulong)datalen, dir)|};
                if (Dma.MappingError(sfc.Dev, sfc.Daddr))
                {
                    Console.Error.WriteLine("DMA mapping error");
                    ret = -12;
                    goto out_map_data;
                }

                cmd = CmdDataAddrL(sfc.Daddr);
                ret = RegmapWrite(sfc.RegmapBase, SfcCmd, cmd);
                if (ret != 0)
                    goto out_map_data;

                cmd = CmdDataAddrH(sfc.Daddr);
                ret = RegmapWrite(sfc.RegmapBase, SfcCmd, cmd);
                if (ret != 0)
                    goto out_map_data;

                if (infobuf != null)
                {
                    sfc.Iaddr = Dma.MapSingle(sfc.Dev, infobuf, 0, (ulong)infolen, dir);
                    if (Dma.MappingError(sfc.Dev, sfc.Iaddr))
                    {
                        Console.Error.WriteLine("DMA mapping error");
                        ret = -12;
                        {|#1:Dma.UnmapSingle(sfc.Dev, sfc.Daddr, (ulong)datalen, dir)|};
                        goto out_map_data;
                    }

                    sfc.InfoBytes = infolen;
                    cmd = CmdInfoAddrL(sfc.Iaddr);
                    ret = RegmapWrite(sfc.RegmapBase, SfcCmd, cmd);
                    if (ret != 0)
                        goto out_map_info;

                    cmd = CmdInfoAddrH(sfc.Iaddr);
                    ret = RegmapWrite(sfc.RegmapBase, SfcCmd, cmd);
                    if (ret != 0)
                        goto out_map_info;
                }

                return 0;

            out_map_info:
                Dma.UnmapSingle(sfc.Dev, sfc.Iaddr, (ulong)datalen, dir);
            out_map_data:
                {|#0:Dma.UnmapSingle(sfc.Dev, sfc.Daddr, (ulong)datalen, dir)|};

                return ret;
            }
        }
        """, Used("sfc.Daddr", "Dma.UnmapSingle, which frees it", "Dma.UnmapSingle unmapped it"));

    // The same function with the inline unmap gone (the fix's second hunk) still sends the data buffer's own mapping
    // failure to out_map_data, which unmaps what was never mapped (the fix's first hunk returns instead).
    [Fact]
    public Task AmlSfcDmaBufferSetup_FailedMappingSentToOutMapData_Reports() => Verifier.Analyzer(Usings + Sfc + """
        static partial class SpiAmlogicSpifcA4
        {
            static int AmlSfcDmaBufferSetup(AmlSfc sfc, KernelBuffer databuf, int datalen, KernelBuffer? infobuf, int infolen, DmaDirection dir)
            {
                uint cmd = 0;
                int ret;

                sfc.Daddr = {|#2:Dma.MapSingle(sfc.Dev, databuf, 0, (ulong)datalen, dir)|};
                if ({|#1:Dma.MappingError(sfc.Dev, sfc.Daddr)|})
                {
                    Console.Error.WriteLine("DMA mapping error");
                    ret = -12;
                    goto out_map_data;
                }

                cmd = CmdDataAddrL(sfc.Daddr);
                ret = RegmapWrite(sfc.RegmapBase, SfcCmd, cmd);
                if (ret != 0)
                    goto out_map_data;

                if (infobuf != null)
                {
                    sfc.Iaddr = Dma.MapSingle(sfc.Dev, infobuf, 0, (ulong)infolen, dir);
                    if (Dma.MappingError(sfc.Dev, sfc.Iaddr))
                    {
                        ret = -12;
                        goto out_map_data;
                    }

                    cmd = CmdInfoAddrL(sfc.Iaddr);
                    ret = RegmapWrite(sfc.RegmapBase, SfcCmd, cmd);
                    if (ret != 0)
                        goto out_map_info;
                }

                return 0;

            out_map_info:
                Dma.UnmapSingle(sfc.Dev, sfc.Iaddr, (ulong)infolen, dir);
            out_map_data:
                {|#0:Dma.UnmapSingle(sfc.Dev, sfc.Daddr, (ulong)datalen, dir)|};

                return ret;
            }
        }
        """, Used("sfc.Daddr", "Dma.UnmapSingle, which frees it", "its mapping failed ('Dma.MappingError(sfc.Dev, sfc.Daddr)')"));

    // As fixed (b20b437666e1): the first failure returns, the second does not unmap inline, out_map_info uses infolen.
    [Fact]
    public Task AmlSfcDmaBufferSetup_AsFixed_NoDiagnostic() => Verifier.Analyzer(Usings + Sfc + """
        static partial class SpiAmlogicSpifcA4
        {
            static int AmlSfcDmaBufferSetup(AmlSfc sfc, KernelBuffer databuf, int datalen, KernelBuffer? infobuf, int infolen, DmaDirection dir)
            {
                uint cmd = 0;
                int ret;

                sfc.Daddr = Dma.MapSingle(sfc.Dev, databuf, 0, (ulong)datalen, dir);
                if (Dma.MappingError(sfc.Dev, sfc.Daddr))
                {
                    Console.Error.WriteLine("DMA mapping error");
                    return -12;
                }

                cmd = CmdDataAddrL(sfc.Daddr);
                ret = RegmapWrite(sfc.RegmapBase, SfcCmd, cmd);
                if (ret != 0)
                    goto out_map_data;

                cmd = CmdDataAddrH(sfc.Daddr);
                ret = RegmapWrite(sfc.RegmapBase, SfcCmd, cmd);
                if (ret != 0)
                    goto out_map_data;

                if (infobuf != null)
                {
                    sfc.Iaddr = Dma.MapSingle(sfc.Dev, infobuf, 0, (ulong)infolen, dir);
                    if (Dma.MappingError(sfc.Dev, sfc.Iaddr))
                    {
                        Console.Error.WriteLine("DMA mapping error");
                        ret = -12;
                        goto out_map_data;
                    }

                    sfc.InfoBytes = infolen;
                    cmd = CmdInfoAddrL(sfc.Iaddr);
                    ret = RegmapWrite(sfc.RegmapBase, SfcCmd, cmd);
                    if (ret != 0)
                        goto out_map_info;

                    cmd = CmdInfoAddrH(sfc.Iaddr);
                    ret = RegmapWrite(sfc.RegmapBase, SfcCmd, cmd);
                    if (ret != 0)
                        goto out_map_info;
                }

                return 0;

            out_map_info:
                Dma.UnmapSingle(sfc.Dev, sfc.Iaddr, (ulong)infolen, dir);
            out_map_data:
                Dma.UnmapSingle(sfc.Dev, sfc.Daddr, (ulong)datalen, dir);

                return ret;
            }
        }
        """);

    // ---------------------------------------------------------------- Documentation/core-api/dma-api-howto.rst

    [Fact]
    public Task DmaApiHowtoExample1_UnwindsThroughItsLabels_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class TxRing { public DmaAddr Hdr, Payload; }

        static class Howto
        {
            static int Xmit(PciDevice dev, KernelBuffer addr, ulong size, TxRing ring)
            {
                int ret;
                DmaAddr dmaAddr1 = Dma.MapSingle(dev, addr, 0, size, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, dmaAddr1))
                {
                    ret = -12;
                    goto mapErrorHandling1;
                }

                DmaAddr dmaAddr2 = Dma.MapSingle(dev, addr, 0, size, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, dmaAddr2))
                {
                    ret = -12;
                    goto mapErrorHandling2;
                }

                ring.Hdr = dmaAddr1;
                ring.Payload = dmaAddr2;
                return 0;

            mapErrorHandling2:
                Dma.UnmapSingle(dev, dmaAddr1, size, DmaDirection.ToDevice);
            mapErrorHandling1:
                return ret;
            }
        }
        """);

    // The loop example: the mappings made so far unmapped backwards, one index at a time.
    [Fact]
    public Task DmaApiHowtoLoop_UnmapPrevOnFailure_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Howto
        {
            static int MapAll(PciDevice dev, KernelBuffer[] bufs, ulong len, DmaAddr[] array)
            {
                int i;
                for (i = 0; i < bufs.Length; i++)
                {
                    array[i] = Dma.MapSingle(dev, bufs[i], 0, len, DmaDirection.ToDevice);
                    if (Dma.MappingError(dev, array[i]))
                    {
                        goto unmapPrev;
                    }
                }

                return 0;

            unmapPrev:
                for (i--; i >= 0; i--)
                {
                    Dma.UnmapSingle(dev, array[i], len, DmaDirection.ToDevice);
                }

                return -12;
            }
        }
        """);

    // ---------------------------------------------------------------- flow

    // An rx ring refilled in place: the old buffer unmapped, a new one mapped into the same slot, round after round.
    [Fact]
    public Task RingRefilledInPlace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class RxRing { public DmaAddr[] Addr = new DmaAddr[8]; public KernelBuffer[] Buf = new KernelBuffer[8]; }

        static class Rx
        {
            static int Refill(PciDevice dev, RxRing ring, ulong len)
            {
                for (int i = 0; i < ring.Addr.Length; i++)
                {
                    Dma.UnmapSingle(dev, ring.Addr[i], len, DmaDirection.FromDevice);
                    ring.Addr[i] = Dma.MapSingle(dev, ring.Buf[i], 0, len, DmaDirection.FromDevice);
                    if (Dma.MappingError(dev, ring.Addr[i]))
                    {
                        return -12;
                    }
                }

                return 0;
            }
        }
        """);

    // A flag records the unmap (lpfc's "set seg_cnt back to zero to avoid double unmaps", in one function).
    [Fact]
    public Task FlagRecordsTheUnmap_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Tx
        {
            static int Send(PciDevice dev, KernelBuffer buf, ulong len, bool abort)
            {
                bool mapped = true;
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a))
                {
                    return -12;
                }

                if (abort)
                {
                    Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                    mapped = false;
                }

                if (mapped)
                {
                    Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                }

                return 0;
            }
        }
        """);

    // A state the request keeps records the unmap (an enum, as drivers keep a buffer's state): the second unmap runs
    // only while the state says mapped.
    private const string EnumState = """
        enum BufState { Idle, Mapped, Unmapped }

        sealed class TxBuf
        {
            public BufState State;
            public DmaAddr Addr;
        }

        static class Tx
        {
            static int Send(PciDevice dev, KernelBuffer buf, TxBuf tb, ulong len, bool abort)
            {
                tb.Addr = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, tb.Addr))
                {
                    return -12;
                }

                tb.State = BufState.Mapped;
                if (abort)
                {
                    Dma.UnmapSingle(dev, tb.Addr, len, DmaDirection.ToDevice);
                    tb.State = BufState.Unmapped;
                }

                if (%TEST%)
                {
                    %UNMAP%;
                }

                return 0;
            }
        }
        """;

    [Fact]
    public Task EnumStateRecordsTheUnmap_NoDiagnostic() => Verifier.Analyzer(Usings + EnumState
        .Replace("%TEST%", "tb.State == BufState.Mapped").Replace("%UNMAP%", "Dma.UnmapSingle(dev, tb.Addr, len, DmaDirection.ToDevice)"));

    // The same state tested for another value: true after the unmap too, so the second unmap is reported.
    [Fact]
    public Task EnumStateTestedForAnotherValue_Reports() => Verifier.Analyzer(Usings + EnumState
        .Replace("%TEST%", "tb.State != BufState.Idle").Replace("%UNMAP%", "{|P2P0023:Dma.UnmapSingle(dev, tb.Addr, len, DmaDirection.ToDevice)|}"));

    // The address cleared after its unmap, and tested before the second.
    [Fact]
    public Task AddressClearedAfterUnmap_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Req { public DmaAddr Addr; }

        static class Tx
        {
            static void Complete(PciDevice dev, Req req, KernelBuffer buf, ulong len, bool early)
            {
                req.Addr = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, req.Addr))
                {
                    return;
                }

                if (early)
                {
                    Dma.UnmapSingle(dev, req.Addr, len, DmaDirection.ToDevice);
                    req.Addr = DmaAddr.FromRaw(0);
                }

                if (req.Addr.Raw != 0)
                {
                    Dma.UnmapSingle(dev, req.Addr, len, DmaDirection.ToDevice);
                }
            }
        }
        """);

    // Unmapped on one branch, then unmapped by the code both branches reach.
    [Fact]
    public Task UnmapOnOneBranchThenAfter_Reports() => Verifier.Analyzer(Usings + """
        static class Tx
        {
            static int Send(PciDevice dev, KernelBuffer buf, ulong len, bool shortFrame)
            {
                DmaAddr a = {|#2:Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, a))
                {
                    return -12;
                }

                if (shortFrame)
                {
                    {|#1:Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice)|};
                }

                {|#0:Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice)|};
                return 0;
            }
        }
        """, Used("a", "Dma.UnmapSingle, which frees it", "Dma.UnmapSingle unmapped it"));

    // A sync for the CPU after the unmap (the unmap already did it, on a bounce buffer that is now gone).
    [Fact]
    public Task SyncAfterUnmap_Reports() => Verifier.Analyzer(Usings + """
        static class Rx
        {
            static byte Poll(PciDevice dev, KernelBuffer buf, ulong len)
            {
                DmaAddr a = {|#2:Dma.MapSingle(dev, buf, 0, len, DmaDirection.FromDevice)|};
                if (Dma.MappingError(dev, a))
                {
                    return 0;
                }

                {|#1:Dma.UnmapSingle(dev, a, len, DmaDirection.FromDevice)|};
                {|#0:Dma.SyncSingleForCpu(dev, a, len, DmaDirection.FromDevice)|};
                return 1;
            }
        }
        """, Used("a", "Dma.SyncSingleForCpu", "Dma.UnmapSingle unmapped it"));

    // try/finally: the try unmaps, and so does the finally every way out of it runs.
    [Fact]
    public Task UnmapInTryAndFinally_Reports() => Verifier.Analyzer(Usings + """
        static class Tx
        {
            static void Send(PciDevice dev, KernelBuffer buf, ulong len, Action<DmaAddr> post)
            {
                DmaAddr a = {|#2:Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, a))
                {
                    return;
                }

                try
                {
                    post(a);
                    {|#1:Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice)|};
                }
                finally
                {
                    {|#0:Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice)|};
                }
            }
        }
        """, Used("a", "Dma.UnmapSingle, which frees it", "Dma.UnmapSingle unmapped it"));

    // try/finally as written: the finally alone unmaps.
    [Fact]
    public Task UnmapInFinallyOnly_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Tx
        {
            static void Send(PciDevice dev, KernelBuffer buf, ulong len, Action<DmaAddr> post)
            {
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a))
                {
                    return;
                }

                try
                {
                    post(a);
                }
                finally
                {
                    Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                }
            }
        }
        """);

    // Two objects: unmapping one request's address and then another's is no double unmap.
    [Fact]
    public Task TwoRequests_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Req { public DmaAddr Addr; }

        static class Tx
        {
            static void Retire(PciDevice dev, Req a, Req b, KernelBuffer buf, ulong len)
            {
                a.Addr = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a.Addr))
                {
                    return;
                }

                b.Addr = a.Addr;
                Dma.UnmapSingle(dev, a.Addr, len, DmaDirection.ToDevice);
                b = new Req();
                Dma.UnmapSingle(dev, b.Addr, len, DmaDirection.ToDevice);
            }
        }
        """);

    // A loop that maps, lets the device read and unmaps, frame after frame.
    [Fact]
    public Task MapUseUnmapInALoop_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Tx
        {
            static void SendAll(PciDevice dev, KernelBuffer[] frames, ulong len)
            {
                DmaAddr a = default;
                foreach (KernelBuffer f in frames)
                {
                    a = Dma.MapSingle(dev, f, 0, len, DmaDirection.ToDevice);
                    if (Dma.MappingError(dev, a))
                    {
                        break;
                    }

                    Dma.SyncSingleForDevice(dev, a, len, DmaDirection.ToDevice);
                    Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                }
            }
        }
        """);

    // ---------------------------------------------------------------- across methods

    // The error path calls the controller's release (aml_sfc_dma_buffer_release unmaps sfc->daddr), then the label
    // unmaps the data buffer again.
    [Fact]
    public Task ReleaseHelperThenLabelUnmap_Reports() => Verifier.Analyzer(Usings + Sfc + """
        static partial class SpiAmlogicSpifcA4
        {
            static int Transfer(AmlSfc sfc, KernelBuffer databuf, int datalen, DmaDirection dir)
            {
                int ret;
                sfc.Daddr = {|#2:Dma.MapSingle(sfc.Dev, databuf, 0, (ulong)datalen, dir)|};
                if (Dma.MappingError(sfc.Dev, sfc.Daddr))
                {
                    return -12;
                }

                ret = RegmapWrite(sfc.RegmapBase, SfcCmd, CmdDataAddrL(sfc.Daddr));
                if (ret != 0)
                {
                    {|#1:AmlSfcDmaBufferRelease(sfc, datalen, 0, dir)|};
                    goto out_map_data;
                }

                return 0;

            out_map_data:
                {|#0:Dma.UnmapSingle(sfc.Dev, sfc.Daddr, (ulong)datalen, dir)|};
                return ret;
            }
        }
        """, Used("sfc.Daddr", "Dma.UnmapSingle, which frees it", "AmlSfcDmaBufferRelease unmapped it"));

    // The data buffer unmapped inline, then the release helper called on the same controller unmaps it again.
    [Fact]
    public Task InlineUnmapThenReleaseHelper_Reports() => Verifier.Analyzer(Usings + Sfc + """
        static partial class SpiAmlogicSpifcA4
        {
            static int Transfer(AmlSfc sfc, KernelBuffer databuf, int datalen, DmaDirection dir, bool timedOut)
            {
                sfc.Daddr = {|#2:Dma.MapSingle(sfc.Dev, databuf, 0, (ulong)datalen, dir)|};
                if (Dma.MappingError(sfc.Dev, sfc.Daddr))
                {
                    return -12;
                }

                if (timedOut)
                {
                    {|#1:Dma.UnmapSingle(sfc.Dev, sfc.Daddr, (ulong)datalen, dir)|};
                }

                {|#0:AmlSfcDmaBufferRelease(sfc, datalen, 0, dir)|};
                return timedOut ? -110 : 0;
            }
        }
        """, Used("sfc.Daddr", "SpiAmlogicSpifcA4.AmlSfcDmaBufferRelease, which unmaps it", "Dma.UnmapSingle unmapped it"));

    // The release helper handed another controller, or unmapping another member, leaves this mapping alone.
    [Fact]
    public Task ReleaseOfAnotherControllerThenUnmap_NoDiagnostic() => Verifier.Analyzer(Usings + Sfc + """
        static partial class SpiAmlogicSpifcA4
        {
            static void UnmapInfo(AmlSfc sfc, int infolen, DmaDirection dir) => Dma.UnmapSingle(sfc.Dev, sfc.Iaddr, (ulong)infolen, dir);

            static int Transfer(AmlSfc sfc, AmlSfc previous, KernelBuffer databuf, int datalen, DmaDirection dir)
            {
                sfc.Daddr = Dma.MapSingle(sfc.Dev, databuf, 0, (ulong)datalen, dir);
                if (Dma.MappingError(sfc.Dev, sfc.Daddr))
                {
                    return -12;
                }

                AmlSfcDmaBufferRelease(previous, datalen, 0, dir);
                UnmapInfo(sfc, 64, dir);
                Dma.UnmapSingle(sfc.Dev, sfc.Daddr, (ulong)datalen, dir);
                return 0;
            }
        }
        """);

    // The read on the success arm of a conditional: the return reads what that arm computed, on the failure path too.
    [Fact]
    public Task ReadOnTheSuccessArmOfAConditional_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Peer { public PciDevice Dev = null!; public KernelBuffer Buf = null!; }

        static class Reader
        {
            static byte[] Read(Peer peer, int length, bool mapIt)
            {
                DmaAddr addr = DmaAddr.MappingError;
                if (mapIt)
                {
                    addr = Dma.MapSingle(peer.Dev, peer.Buf, 0, (ulong)length, DmaDirection.FromDevice);
                }

                return Dma.MappingError(peer.Dev, addr) ? Array.Empty<byte>() : peer.Dev.Topology.Fabric.Read(peer.Dev, addr, length).Data;
            }
        }
        """);

    // dev_err written as a helper of the driver, handed the controller's device between the two unmaps: it cannot store
    // into sfc.Daddr (it is not handed sfc), so the second unmap is still after the first. Handed sfc, it could: silent.
    [Fact]
    public Task HelperHandedAnotherMemberBetweenTheUnmaps_Reports() => Verifier.Analyzer(Usings + Sfc + """
        static partial class SpiAmlogicSpifcA4
        {
            static void DevErr(PciDevice dev, string message) => Console.Error.WriteLine($"{dev}: {message}");

            static void Rearm(AmlSfc sfc) { }

            static int Teardown(AmlSfc sfc, KernelBuffer databuf, int datalen, DmaDirection dir, bool rearm)
            {
                sfc.Daddr = {|#2:Dma.MapSingle(sfc.Dev, databuf, 0, (ulong)datalen, dir)|};
                if (Dma.MappingError(sfc.Dev, sfc.Daddr))
                {
                    return -12;
                }

                {|#1:Dma.UnmapSingle(sfc.Dev, sfc.Daddr, (ulong)datalen, dir)|};
                DevErr(sfc.Dev, "timeout");
                if (rearm)
                {
                    Rearm(sfc);
                    Dma.UnmapSingle(sfc.Dev, sfc.Daddr, (ulong)datalen, dir);
                    return -5;
                }

                {|#0:Dma.UnmapSingle(sfc.Dev, sfc.Daddr, (ulong)datalen, dir)|};
                return -110;
            }
        }
        """, Used("sfc.Daddr", "Dma.UnmapSingle, which frees it", "Dma.UnmapSingle unmapped it"));

    // mtip32xx's exec_drive_taskfile after 5173cb814b36 (a flow test; Mtip32xxTests has the whole function): the failed
    // mapping goes to abort:, whose `if (outbuf_dma)` guard is true for DMA_MAPPING_ERROR, so the unmap runs on it.
    [Fact]
    public Task FailedMappingUnderTheZeroGuard_Reports() => Verifier.Analyzer(Usings + """
        static class Mtip
        {
            static int ExecDriveTaskfile(PciDevice dev, KernelBuffer outbuf, uint taskout)
            {
                DmaAddr outbufDma = default;
                int err = 0;
                if (taskout != 0)
                {
                    outbufDma = {|#2:Dma.MapSingle(dev, outbuf, 0, taskout, DmaDirection.ToDevice)|};
                    if ({|#1:Dma.MappingError(dev, outbufDma)|})
                    {
                        err = -12;
                        goto abort;
                    }
                }

                err = outbuf.Read(0, 1)[0] == 0 ? -5 : 0;
            abort:
                if (outbufDma.Raw != 0)
                    {|#0:Dma.UnmapSingle(dev, outbufDma, taskout, DmaDirection.ToDevice)|};
                return err;
            }
        }
        """, Used("outbufDma", "Dma.UnmapSingle, which frees it", "its mapping failed ('Dma.MappingError(dev, outbufDma)')"));

    // The same guard after the failure path cleared the address (what mtip32xx should have written): nothing to report.
    [Fact]
    public Task FailedMappingClearedBeforeTheZeroGuard_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Mtip
        {
            static int ExecDriveTaskfile(PciDevice dev, KernelBuffer outbuf, uint taskout)
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

                err = outbuf.Read(0, 1)[0] == 0 ? -5 : 0;
            abort:
                if (outbufDma.Raw != 0)
                    Dma.UnmapSingle(dev, outbufDma, taskout, DmaDirection.ToDevice);
                return err;
            }
        }
        """);

    // ---------------------------------------------------------------- table mappings

    // The shape nvme-pci's 2021 "fix error unwind in nvme_map_data" removed, with the table's unmap written in the
    // function (a flow test; the kernel's went through nvme_unmap_data: NvmeMapData_NothingMapped_OutCallsNvmeUnmapData):
    // a mapping that returned no segments sent to the label that unmaps the table.
    [Fact]
    public Task MapSgReturnedZero_SentToTheLabelThatUnmapsIt_Reports() => Verifier.Analyzer(Usings + """
        sealed class Iod { public SgTable Sg = SgTable.Alloc(4); public int Nents; }

        static class NvmePci
        {
            static int SetupPrps(Iod iod, int mapped) => mapped > 0 ? 0 : -5;

            static int MapData(PciDevice dev, Iod iod, DmaDirection dir)
            {
                int ret = -12;
                int nrMapped = {|#2:Dma.MapSg(dev, iod.Sg, iod.Nents, dir)|};
                if ({|#1:nrMapped == 0|})
                {
                    goto out_unmap;
                }

                ret = SetupPrps(iod, nrMapped);
                if (ret == 0)
                {
                    return 0;
                }

            out_unmap:
                {|#0:Dma.UnmapSg(dev, iod.Sg, iod.Nents, dir)|};
                return ret;
            }
        }
        """, Used("iod.Sg", "Dma.UnmapSg, which frees it", "its mapping failed ('nrMapped == 0')"));

    // drivers/nvme/host/pci.c before "nvme-pci: fix error unwind in nvme_map_data" (2021), split as the kernel splits it:
    // blk_mq_rq_to_pdu, nvme_unmap_data (which unmaps iod->sg), and nvme_map_data, whose out: label calls it when ret is
    // not BLK_STS_OK, also when dma_map_sg mapped nothing.
    internal const string NvmePci2021 = """
        sealed class Request
        {
            public object Pdu = null!;
            public DmaDirection Dir;
            public int NrPhysSegments;
        }

        sealed class NvmeIod
        {
            public SgTable Sg = null!;
            public int Nents;
            public int Npages;
            public bool UseSgl;
            public DmaAddr FirstDma;
            public ulong DmaLen;
            public KernelBuffer[] List = new KernelBuffer[8];
        }

        sealed class NvmeDev
        {
            public PciDevice Dev = null!;
            public DmaPool PrpPagePool = null!;
            public DmaPool PrpSmallPool = null!;
        }

        static partial class NvmePci
        {
            const int BlkStsOk = 0;
            const int BlkStsResource = 9;
            const int CtrlPageSize = 4096;
            const int SgesPerPage = CtrlPageSize / 16;

            // blk_mq_rq_to_pdu: the driver's per-request data follows the request
            static NvmeIod BlkMqRqToPdu(Request rq) => (NvmeIod)rq.Pdu;

            // nvme_pci_iod_list: the PRP or SGL list pages, kept after the sg table
            static KernelBuffer[] NvmePciIodList(Request req) => BlkMqRqToPdu(req).List;

            static int BlkRqMapSg(Request req, SgTable sg) => Math.Min(req.NrPhysSegments, sg.OrigNents);

            static bool NvmePciUseSgls(NvmeDev dev, Request req) => req.NrPhysSegments > 2;

            static int NvmePciSetupPrps(NvmeDev dev, Request req) => 0;

            static int NvmePciSetupSgls(NvmeDev dev, Request req, int entries) => 0;

            static DmaAddr Le64ToCpu(KernelBuffer list, int index) => DmaAddr.FromRaw(BitConverter.ToUInt64(list.Read((ulong)index * 8, 8), 0));

            // nvme_unmap_data
            static void NvmeUnmapData(NvmeDev dev, Request req)
            {
                NvmeIod iod = BlkMqRqToPdu(req);
                const int lastPrp = CtrlPageSize / 8 - 1;
                DmaAddr dmaAddr = iod.FirstDma, nextDmaAddr;
                if (iod.DmaLen != 0)
                {
                    Dma.UnmapPage(dev.Dev, dmaAddr, iod.DmaLen, req.Dir);
                    return;
                }

                if (iod.Sg[0].Page is { IsP2P: true })
                {
                    Dma.UnmapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir);
                }
                else
                {
                    Dma.LegacyUnmapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir);
                }

                if (iod.Npages == 0)
                {
                    dev.PrpSmallPool.Free(NvmePciIodList(req)[0], dmaAddr);
                }

                for (int i = 0; i < iod.Npages; i++)
                {
                    KernelBuffer addr = NvmePciIodList(req)[i];
                    if (iod.UseSgl)
                    {
                        nextDmaAddr = Le64ToCpu(addr, (SgesPerPage - 1) * 2);
                    }
                    else
                    {
                        nextDmaAddr = Le64ToCpu(addr, lastPrp);
                    }

                    dev.PrpPagePool.Free(addr, dmaAddr);
                    dmaAddr = nextDmaAddr;
                }

                iod.Sg = null!;  // mempool_free
            }
        }

        """;

    [Fact]
    public Task NvmeMapData_NothingMapped_OutCallsNvmeUnmapData_Reports() => Verifier.Analyzer(Usings + NvmePci2021 + """
        static partial class NvmePci
        {
            // nvme_map_data (the sg path)
            static int NvmeMapData(NvmeDev dev, Request req)
            {
                NvmeIod iod = BlkMqRqToPdu(req);
                int ret = BlkStsResource;
                int nrMapped;
                iod.DmaLen = 0;
                iod.Sg = SgTable.Alloc(req.NrPhysSegments);
                iod.Nents = BlkRqMapSg(req, iod.Sg);
                if (iod.Nents == 0)
                {
                    goto out_;
                }

                if (iod.Sg[0].Page is { IsP2P: true })
                {
                    nrMapped = {|#2:Dma.MapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir)|};
                }
                else
                {
                    nrMapped = Dma.LegacyMapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir);
                }

                if ({|#1:nrMapped == 0|})
                {
                    goto out_;
                }

                iod.UseSgl = NvmePciUseSgls(dev, req);
                if (iod.UseSgl)
                {
                    ret = NvmePciSetupSgls(dev, req, nrMapped);
                }
                else
                {
                    ret = NvmePciSetupPrps(dev, req);
                }
            out_:
                if (ret != BlkStsOk)
                {
                    {|#0:NvmeUnmapData(dev, req)|};
                }

                return ret;
            }
        }
        """, Used("iod.Sg", "NvmePci.NvmeUnmapData, which unmaps it", "its mapping failed ('nrMapped == 0')"));

    // nvme_map_data as fixed: a mapping that failed goes to out_free_sg, past the unmap; a setup failure to out_unmap_sg,
    // whose nvme_unmap_sg (the new helper) unmaps the table once.
    [Fact]
    public Task NvmeMapData_AsFixed_FailedMappingSkipsTheUnmap_NoDiagnostic() => Verifier.Analyzer(Usings + NvmePci2021 + """
        static partial class NvmePci
        {
            // nvme_unmap_sg
            static void NvmeUnmapSg(NvmeDev dev, Request req)
            {
                NvmeIod iod = BlkMqRqToPdu(req);
                if (iod.Sg[0].Page is { IsP2P: true })
                {
                    Dma.UnmapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir);
                }
                else
                {
                    Dma.LegacyUnmapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir);
                }
            }

            static int NvmeMapData(NvmeDev dev, Request req)
            {
                NvmeIod iod = BlkMqRqToPdu(req);
                int ret = BlkStsResource;
                int nrMapped;
                iod.DmaLen = 0;
                iod.Sg = SgTable.Alloc(req.NrPhysSegments);
                iod.Nents = BlkRqMapSg(req, iod.Sg);
                if (iod.Nents == 0)
                {
                    goto out_free_sg;
                }

                if (iod.Sg[0].Page is { IsP2P: true })
                {
                    nrMapped = Dma.MapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir);
                }
                else
                {
                    nrMapped = Dma.LegacyMapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir);
                }

                if (nrMapped == 0)
                {
                    goto out_free_sg;
                }

                iod.UseSgl = NvmePciUseSgls(dev, req);
                if (iod.UseSgl)
                {
                    ret = NvmePciSetupSgls(dev, req, nrMapped);
                }
                else
                {
                    ret = NvmePciSetupPrps(dev, req);
                }

                if (ret != BlkStsOk)
                {
                    goto out_unmap_sg;
                }

                return BlkStsOk;

            out_unmap_sg:
                NvmeUnmapSg(dev, req);
            out_free_sg:
                iod.Sg = null!;  // mempool_free
                return ret;
            }
        }
        """);

    // The helper unmaps the table, and the function unmaps it again itself.
    [Fact]
    public Task TableUnmappedByAHelperThenInline_Reports() => Verifier.Analyzer(Usings + NvmePci2021 + """
        static partial class NvmePci
        {
            static int Complete(NvmeDev dev, Request req)
            {
                NvmeIod iod = BlkMqRqToPdu(req);
                if ({|#2:Dma.LegacyMapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir)|} == 0)
                {
                    return BlkStsResource;
                }

                {|#1:NvmeUnmapData(dev, req)|};
                {|#0:Dma.LegacyUnmapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir)|};
                return BlkStsOk;
            }
        }
        """, Used("iod.Sg", "Dma.LegacyUnmapSg, which frees it", "NvmeUnmapData unmapped it"));

    // The function tells the helper there is nothing to unmap (lpfc's "set seg_cnt back to zero to avoid double unmaps"),
    // after its own unmap and on the failure edge: the helper's call is no unmap.
    [Fact]
    public Task HelperToldNotToUnmapThroughAMemberItTests_NoDiagnostic() => Verifier.Analyzer(Usings + NvmePci2021 + """
        static partial class NvmePci
        {
            static void UnmapSgIfMapped(NvmeDev dev, Request req)
            {
                NvmeIod iod = BlkMqRqToPdu(req);
                if (iod.Nents != 0)
                {
                    Dma.LegacyUnmapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir);
                }
            }

            static int Abort(NvmeDev dev, Request req)
            {
                NvmeIod iod = BlkMqRqToPdu(req);
                if (Dma.LegacyMapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir) == 0)
                {
                    iod.Nents = 0;
                    UnmapSgIfMapped(dev, req);
                    return BlkStsResource;
                }

                Dma.LegacyUnmapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir);
                iod.Nents = 0;
                UnmapSgIfMapped(dev, req);
                return BlkStsOk;
            }
        }
        """);

    // A helper handed another request unmaps that request's table, not this one's.
    [Fact]
    public Task HelperHandedAnotherRequest_NoDiagnostic() => Verifier.Analyzer(Usings + NvmePci2021 + """
        static partial class NvmePci
        {
            static int Requeue(NvmeDev dev, Request req, Request previous)
            {
                NvmeIod iod = BlkMqRqToPdu(req);
                if (Dma.LegacyMapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir) == 0)
                {
                    return BlkStsResource;
                }

                NvmeUnmapData(dev, previous);
                Dma.LegacyUnmapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir);
                return BlkStsOk;
            }
        }
        """);

    // The same table unmapped on the error branch and again by the unwinding both branches reach.
    [Fact]
    public Task MapSgTableUnmappedTwice_Reports() => Verifier.Analyzer(Usings + """
        static class Exporter
        {
            static int Map(PciDevice dev, SgTable sgt, Func<int> program)
            {
                if ({|#3:Dma.MapSgTable(dev, sgt, DmaDirection.Bidirectional)|} != DmaError.None)
                {
                    return -12;
                }

                int ret = program();
                if (ret != 0)
                {
                    {|#1:Dma.UnmapSgTable(dev, sgt, DmaDirection.Bidirectional)|};
                }

                if (ret != 0)
                {
                    {|#0:Dma.UnmapSgTable(dev, sgt, DmaDirection.Bidirectional)|};
                }

                return ret;
            }
        }
        """, Verifier.Diagnostic("P2P0023").WithLocation(0).WithLocation(1).WithLocation(3)
            .WithArguments("sgt", "Dma.UnmapSgTable, which frees it", "Dma.UnmapSgTable unmapped it"));

    // io_zcrx_map_area as fixed: the table unmapped only where the error and the mapping both hold, once.
    [Fact]
    public Task ZcrxAsFixed_UnmapsOnce_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Area { public PciDevice Dev = null!; public SgTable Sgt = SgTable.Alloc(4); public bool IsDmabuf; public bool IsMapped; }

        static class Zcrx
        {
            static int Populate(Area area) => area.Sgt.Count > 0 ? 0 : -14;

            static int MapArea(Area area)
            {
                int ret = 0;
                if (!area.IsDmabuf)
                {
                    ret = (int)Dma.MapSgTable(area.Dev, area.Sgt, DmaDirection.FromDevice);
                    if (ret < 0)
                    {
                        return ret;
                    }
                }

                ret = Populate(area);
                if (ret != 0 && !area.IsDmabuf)
                {
                    Dma.UnmapSgTable(area.Dev, area.Sgt, DmaDirection.FromDevice);
                }

                if (ret == 0)
                {
                    area.IsMapped = true;
                }

                return ret;
            }
        }
        """);

    // ---------------------------------------------------------------- a mapping helper's failure: rockchip crypto

    internal const string RkHelpers = """
        sealed class RkDev { public PciDevice Dev = null!; public int Nreq; }

        sealed class RkRctx { public RkDev Dev = null!; public int Nrsg; }

        sealed class HashRequest { public RkRctx Rctx = null!; public SgTable Src = null!; public int Nents; }

        static partial class RkHash
        {
            // rk_hash_prepare: maps areq->src, keeps the count, -EINVAL when nothing was mapped
            static int Prepare(HashRequest areq)
            {
                int ret = Dma.MapSg(areq.Rctx.Dev.Dev, areq.Src, areq.Nents, DmaDirection.ToDevice);
                if (ret <= 0)
                {
                    return -22;
                }

                areq.Rctx.Nrsg = ret;
                return 0;
            }

            // rk_hash_unprepare
            static void Unprepare(HashRequest areq) => Dma.UnmapSg(areq.Rctx.Dev.Dev, areq.Src, areq.Nents, DmaDirection.ToDevice);

            static void Finalize(HashRequest areq, int err) { }
        }

        """;

    // rk_hash_run: a failed rk_hash_prepare goes to theend, which calls rk_hash_unprepare on the list never mapped.
    [Fact]
    public Task RkHashRun_PrepareFailureGoesToTheUnprepareAtTheEnd_Reports() => Verifier.Analyzer(Usings + RkHelpers + """
        static partial class RkHash
        {
            static int Run(HashRequest areq)
            {
                int err = {|#1:Prepare(areq)|};
                if ({|#0:err != 0|})
                {
                    goto theend;
                }

                areq.Rctx.Dev.Nreq++;

            theend:
                Finalize(areq, err);
                {|#2:Unprepare(areq)|};
                return 0;
            }
        }
        """, Verifier.Diagnostic("P2P0023").WithLocation(2).WithLocation(0).WithLocation(1)
            .WithArguments("areq", "RkHash.Unprepare, which unmaps it", "its mapping failed ('err != 0')"));

    // The same shape, the unprepare only after success (the failure returns): nothing unmapped twice or unmapped unmade.
    [Fact]
    public Task RkHashRun_PrepareFailureReturns_NoDiagnostic() => Verifier.Analyzer(Usings + RkHelpers + """
        static partial class RkHash
        {
            static int Run(HashRequest areq)
            {
                int err = Prepare(areq);
                if (err != 0)
                {
                    Finalize(areq, err);
                    return 0;
                }

                areq.Rctx.Dev.Nreq++;
                Finalize(areq, err);
                Unprepare(areq);
                return 0;
            }
        }
        """);

    // The helper unmaps another request's list: not what Prepare mapped.
    [Fact]
    public Task UnprepareOfAnotherRequest_OnPrepareFailure_NoDiagnostic() => Verifier.Analyzer(Usings + RkHelpers + """
        static partial class RkHash
        {
            static int Run(HashRequest areq, HashRequest previous)
            {
                int err = Prepare(areq);
                if (err != 0)
                {
                    goto theend;
                }

                areq.Rctx.Dev.Nreq++;

            theend:
                Unprepare(previous);
                return err;
            }
        }
        """);
}
