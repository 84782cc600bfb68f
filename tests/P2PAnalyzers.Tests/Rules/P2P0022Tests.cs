using Microsoft.CodeAnalysis.Testing;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0022: a function returns an error while a mapping it made on that path is still mapped. The positive is the
/// kernel function fixed for exactly this ("io_uring/zcrx: fix sgtable leak on mapping failures", 2025) as zcrx.c
/// writes it, and the DMA API documentation's own unwinding example with its unwinding left out; the negatives are the
/// fixed function, the documentation's example as written, and mappings handed on before the error.
/// </summary>
public sealed class P2P0022Tests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    // io_uring/zcrx.h: the area, its memory and the net_iovs the page pool hands out.
    private const string ZcrxTypes = """
        sealed class IoZcrxMem
        {
            public bool IsDmabuf;
            public SgTable PageSgTable = SgTable.Alloc(1);
            public SgTable? Sgt;
        }

        sealed class NetIov
        {
            public DmaAddr DmaAddr;
        }

        sealed class IoZcrxArea
        {
            public IoZcrxMem Mem = new();
            public NetIov[] Niovs = Array.Empty<NetIov>();
            public bool IsMapped;
        }

        sealed class IoZcrxIfq
        {
            public PciDevice Dev = null!;
            public readonly object PpLock = new();
            public int NiovShift = 12;
        }

        static partial class Zcrx
        {
            private const DmaAttrs IoDmaAttr = DmaAttrs.SkipCpuSync | DmaAttrs.WeakOrdering;

            // net_mp_niov_set_dma_addr
            static int NetMpNiovSetDmaAddr(NetIov niov, DmaAddr addr)
            {
                niov.DmaAddr = addr;
                return 0;
            }

            // io_populate_area_dma: the table's DMA segments handed out per net_iov
            static int IoPopulateAreaDma(IoZcrxIfq ifq, IoZcrxArea area)
            {
                ulong niovSize = 1UL << ifq.NiovShift;
                int niovIdx = 0;
                foreach (Scatterlist sg in area.Mem.Sgt!)
                {
                    DmaAddr dma = sg.DmaAddress;
                    ulong sgLen = sg.DmaLength;
                    if (sgLen % niovSize != 0)
                    {
                        return -22;
                    }

                    while (sgLen != 0 && niovIdx < area.Niovs.Length)
                    {
                        if (NetMpNiovSetDmaAddr(area.Niovs[niovIdx], dma) != 0)
                        {
                            return -14;
                        }

                        sgLen -= niovSize;
                        dma += niovSize;
                        niovIdx++;
                    }
                }

                return 0;
            }

            // io_zcrx_unmap_area: only what is_mapped says was mapped
            static void IoZcrxUnmapArea(IoZcrxIfq ifq, IoZcrxArea area)
            {
                lock (ifq.PpLock)
                {
                    if (!area.IsMapped)
                    {
                        return;
                    }

                    area.IsMapped = false;
                    foreach (NetIov niov in area.Niovs)
                    {
                        NetMpNiovSetDmaAddr(niov, DmaAddr.FromRaw(0));
                    }

                    if (!area.Mem.IsDmabuf)
                    {
                        Dma.UnmapSgTable(ifq.Dev, area.Mem.PageSgTable, DmaDirection.FromDevice, IoDmaAttr);
                    }
                }
            }
        }

        """;

    private static DiagnosticResult Leak(string map, string at, bool error = true) =>
        Verifier.Diagnostic("P2P0022").WithLocation(0).WithLocation(1).WithArguments(map, $"at '{at}'" + (error ? ", which returns an error" : string.Empty));

    // ---------------------------------------------------------------- the kernel's fix

    [Fact]
    public Task IoZcrxMapArea_PopulateFailsAfterDmaMapSgtable_ReturnsWithTheTableMapped_Reports() => Verifier.Analyzer(Usings + ZcrxTypes + """
        static partial class Zcrx
        {
            // io_zcrx_map_area before "io_uring/zcrx: fix sgtable leak on mapping failures": is_mapped is set only on
            // success, so io_zcrx_unmap_area never unmaps a table whose io_populate_area_dma failed. The further
            // locations are the tests that tell the leaking paths apart (the fix's guard)
            static int IoZcrxMapArea(IoZcrxIfq ifq, IoZcrxArea area)
            {
                int ret;
                lock (ifq.PpLock)
                {
                    if (area.IsMapped)
                    {
                        return 0;
                    }

                    if (!{|#3:area.Mem.IsDmabuf|})
                    {
                        ret = (int){|#0:Dma.MapSgTable(ifq.Dev, area.Mem.PageSgTable, DmaDirection.FromDevice, IoDmaAttr)|};
                        if (ret < 0)
                        {
                            return ret;
                        }
                    }

                    ret = IoPopulateAreaDma(ifq, area);
                    if ({|#2:ret == 0|})
                    {
                        area.IsMapped = true;
                    }

                    {|#1:return ret;|}
                }
            }
        }
        """, Leak("Dma.MapSgTable", "return ret;").WithLocation(2).WithLocation(3));

    [Fact]
    public Task IoZcrxMapArea_AsFixed_UnmapsWhenPopulateFails_NoDiagnostic() => Verifier.Analyzer(Usings + ZcrxTypes + """
        static partial class Zcrx
        {
            static int IoZcrxMapArea(IoZcrxIfq ifq, IoZcrxArea area)
            {
                int ret;
                lock (ifq.PpLock)
                {
                    if (area.IsMapped)
                    {
                        return 0;
                    }

                    if (!area.Mem.IsDmabuf)
                    {
                        ret = (int)Dma.MapSgTable(ifq.Dev, area.Mem.PageSgTable, DmaDirection.FromDevice, IoDmaAttr);
                        if (ret < 0)
                        {
                            return ret;
                        }
                    }

                    ret = IoPopulateAreaDma(ifq, area);
                    if (ret != 0 && !area.Mem.IsDmabuf)
                    {
                        Dma.UnmapSgTable(ifq.Dev, area.Mem.PageSgTable, DmaDirection.FromDevice, IoDmaAttr);
                    }

                    if (ret == 0)
                    {
                        area.IsMapped = true;
                    }

                    return ret;
                }
            }
        }
        """);

    // ---------------------------------------------------------------- Documentation/core-api/dma-api-howto.rst

    private const string Ring = """
        sealed class TxRing
        {
            public DmaAddr Hdr, Payload;
        }

        """;

    [Fact]
    public Task DmaApiHowtoExample1_SecondMappingFailsAndTheFirstIsNotUnmapped_Reports() => Verifier.Analyzer(Usings + Ring + """
        static class Howto
        {
            static int Xmit(PciDevice dev, KernelBuffer addr, ulong size, TxRing ring)
            {
                DmaAddr dmaAddr1 = {|#0:Dma.MapSingle(dev, addr, 0, size, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, dmaAddr1))
                {
                    return -12;
                }

                DmaAddr dmaAddr2 = Dma.MapSingle(dev, addr, 0, size, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, dmaAddr2))
                {
                    {|#1:return -12;|}
                }

                ring.Hdr = dmaAddr1;
                ring.Payload = dmaAddr2;
                return 0;
            }
        }
        """, Leak("Dma.MapSingle", "return -12;"));

    [Fact]
    public Task DmaApiHowtoExample1_AsWritten_UnwindsThroughItsLabels_NoDiagnostic() => Verifier.Analyzer(Usings + Ring + """
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

    // ---------------------------------------------------------------- hand-offs and flow

    // tenstorrent's ioctl_map_peer_bar shape: the mapping is published (kept in the file's list, unmapped at release)
    // before copy_to_user can fail; that error return leaves nothing unowned.
    [Fact]
    public Task MappingPublishedBeforeTheLastError_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class PeerMapping { public DmaAddr Mapped; public ulong Size; }

        sealed class ChardevPrivate
        {
            public PciDevice Dev = null!;
            public List<PeerMapping> PeerMappings = new();
        }

        static class Chardev
        {
            static int MapPeerBar(ChardevPrivate priv, PhysAddr phys, ulong length, Func<DmaAddr, bool> copyToUser)
            {
                DmaAddr mapping = Dma.MapResource(priv.Dev, phys, length, DmaDirection.Bidirectional, 0);
                if (Dma.MappingError(priv.Dev, mapping))
                {
                    return -12;
                }

                priv.PeerMappings.Add(new PeerMapping { Mapped = mapping, Size = length });
                if (!copyToUser(mapping))
                {
                    return -14;
                }

                return 0;
            }
        }
        """);

    [Fact]
    public Task ThrowAfterTheMapping_WithoutUnmap_Reports() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            static void Send(PciDevice dev, KernelBuffer buf, ulong len, bool linkUp)
            {
                DmaAddr a = {|#0:Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, a))
                {
                    throw new InvalidOperationException("map failed");
                }

                if (!linkUp)
                {
                    {|#1:throw new InvalidOperationException("link down");|}
                }

                Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
            }
        }
        """, Leak("Dma.MapSingle", "throw new InvalidOperationException(\"link down\");"));

    // mtip32xx's exec_drive_taskfile (Mtip32xxTests has the whole function): the shared label unmaps under the kernel's
    // `if (outbuf_dma)`. The false edge has the address zero, as the local started: nothing is mapped there.
    [Fact]
    public Task SharedLabelUnmapsUnderAZeroGuard_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Mtip
        {
            static int ExecDriveTaskfile(PciDevice dev, KernelBuffer outbuf, uint taskout, bool ok)
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

                if (!ok)
                {
                    err = -5;
                    goto abort;
                }

            abort:
                if (outbufDma.Raw != 0)
                    Dma.UnmapSingle(dev, outbufDma, taskout, DmaDirection.ToDevice);
                return err;
            }
        }
        """);

    // A zero test says nothing of the paths where the address is not zero: the one that returns before the label leaks.
    [Fact]
    public Task ZeroGuardAtTheLabel_EarlierReturnStillLeaks_Reports() => Verifier.Analyzer(Usings + """
        static class Mtip
        {
            static int ExecDriveTaskfile(PciDevice dev, KernelBuffer outbuf, uint taskout, bool ok, bool busy)
            {
                DmaAddr outbufDma = default;
                int err = 0;
                outbufDma = {|#0:Dma.MapSingle(dev, outbuf, 0, taskout, DmaDirection.ToDevice)|};
                if (outbufDma.Raw == 0 || Dma.MappingError(dev, outbufDma))
                {
                    return -12;
                }

                if (busy)
                {
                    {|#1:return -16;|}
                }

                if (!ok)
                {
                    err = -5;
                    goto abort;
                }

            abort:
                if (outbufDma.Raw != 0)
                    Dma.UnmapSingle(dev, outbufDma, taskout, DmaDirection.ToDevice);
                return err;
            }
        }
        """, Leak("Dma.MapSingle", "return -16;"));

    // mv_xor_channel_add (MvXorTests has the driver): the channel comes from the driver's allocator (devm_kzalloc, a
    // method returning a new object), the dummy buffer's mapping is stored into it, and the error return drops both.
    private const string MvXorChannel = """
        sealed class MvXorChan
        {
            public KernelBuffer DummySrc = null!;
            public DmaAddr DummySrcAddr;
            public KernelBuffer? Pool;
        }

        static class MvXor
        {
            static MvXorChan? DevmKzallocChan(SystemMemory mem) => new MvXorChan { DummySrc = mem.Kmalloc(128) };

            static MvXorChan? ChannelAdd(PciDevice dev, SystemMemory mem, ulong poolSize)
            {
                MvXorChan? mvChan = ALLOC;
                if (mvChan == null)
                {
                    return null;
                }

                mvChan.DummySrcAddr = {|#0:Dma.MapSingle(dev, mvChan.DummySrc, 0, 128, DmaDirection.FromDevice)|};
                if (Dma.MappingError(dev, mvChan.DummySrcAddr))
                {
                    return null;
                }

                mvChan.Pool = poolSize > (1UL << 20) ? null : mem.Kmalloc(poolSize);
                if (mvChan.Pool == null)
                {
                    {|#1:throw new InvalidOperationException("-ENOMEM");|}
                }

                return mvChan;
            }

            static readonly List<MvXorChan> Channels = new();

            static MvXorChan Registered(SystemMemory mem)
            {
                var chan = new MvXorChan { DummySrc = mem.Kmalloc(128) };
                Channels.Add(chan);
                return chan;
            }
        }
        """;

    [Fact]
    public Task MvXorChannelAdd_StoredIntoWhatItsAllocatorMade_Reports() =>
        Verifier.Analyzer(Usings + MvXorChannel.Replace("ALLOC", "DevmKzallocChan(mem)"),
            Leak("Dma.MapSingle", "throw new InvalidOperationException(\"-ENOMEM\");"));

    // An object another owner keeps (a registered channel): the store hands the mapping on.
    [Fact]
    public Task StoredIntoAnObjectAListKeeps_NoDiagnostic() =>
        Verifier.Analyzer(Usings + MvXorChannel.Replace("ALLOC", "Registered(mem)").Replace("{|#0:", string.Empty).Replace("|}", string.Empty).Replace("{|#1:", string.Empty));

    [Fact]
    public Task UnmapInFinally_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            static int Send(PciDevice dev, KernelBuffer buf, ulong len, Func<DmaAddr, int> post)
            {
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a))
                {
                    return -12;
                }

                try
                {
                    int ret = post(a);
                    if (ret < 0)
                    {
                        return ret;
                    }

                    return 0;
                }
                finally
                {
                    Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                }
            }
        }
        """);

    // An error code from a later step in a local, tested and returned through a label: the kernel's most common shape.
    [Fact]
    public Task LaterStepFailsAndItsErrorIsReturnedThroughALabel_Reports() => Verifier.Analyzer(Usings + """
        sealed class Chip { public PciDevice Dev = null!; public SgTable Sg = SgTable.Alloc(4); public int Pages = 4; }

        static class Audio
        {
            static int BuildRisc(Chip chip, int pages) => pages > 0 ? 0 : -22;

            static int HwParams(Chip chip)
            {
                int ret;
                if (Dma.MapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice) != DmaError.None)
                {
                    return -12;
                }

                ret = BuildRisc(chip, chip.Pages);
                if (ret < 0)
                {
                    goto error;
                }

                return 0;

            error:
                {|#1:return ret;|}
            }
        }
        """.Replace("Dma.MapSgTable(chip.Dev", "{|#0:Dma.MapSgTable(chip.Dev").Replace("DmaDirection.FromDevice)", "DmaDirection.FromDevice)|}"), Leak("Dma.MapSgTable", "return ret;"));

    [Fact]
    public Task HelperThatUnmapsTheTable_OnTheErrorPath_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Chip { public PciDevice Dev = null!; public SgTable Sg = SgTable.Alloc(4); public int Pages = 4; }

        static class Audio
        {
            static int BuildRisc(Chip chip, int pages) => pages > 0 ? 0 : -22;

            static void DmaUnmap(Chip chip) => Dma.UnmapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice);

            static int HwParams(Chip chip)
            {
                if (Dma.MapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice) != DmaError.None)
                {
                    return -12;
                }

                int ret = BuildRisc(chip, chip.Pages);
                if (ret < 0)
                {
                    DmaUnmap(chip);
                    return ret;
                }

                return 0;
            }
        }
        """);

    [Fact]
    public Task SuccessReturnsWithTheTableMapped_ForTheCompletion_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Req { public PciDevice Dev = null!; public SgTable Sg = SgTable.Alloc(4); }

        static class Blk
        {
            static int Prep(Req req)
            {
                if (Dma.MapSgTable(req.Dev, req.Sg, DmaDirection.ToDevice) != DmaError.None)
                {
                    return -5;
                }

                return 0;
            }

            static void Complete(Req req) => Dma.UnmapSgTable(req.Dev, req.Sg, DmaDirection.ToDevice);
        }
        """);

    // dma-api-howto's scatterlist example: a count of zero is the failure, and the mapping goes to the device's ring.
    [Fact]
    public Task DmaApiHowtoSg_CountOfZeroIsTheFailure_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Ring { public ulong[] Hw = new ulong[16]; }

        static class Howto
        {
            static int Submit(PciDevice dev, SgTable sglist, int nents, Ring ring)
            {
                int count = Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                for (int i = 0; i < count; i++)
                {
                    ring.Hw[i] = sglist[i].DmaAddress.Raw;
                }

                return 0;
            }
        }
        """);

    // The same, with a later step failing before the count is kept anywhere.
    [Fact]
    public Task MapSg_LaterStepFailsBeforeTheCountIsKept_Reports() => Verifier.Analyzer(Usings + """
        static class Howto
        {
            static int Submit(PciDevice dev, SgTable sglist, int nents, bool queueFull)
            {
                int count = {|#0:Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice)|};
                if (count == 0)
                {
                    return -12;
                }

                if (queueFull)
                {
                    {|#1:return -16;|}
                }

                Dma.UnmapSg(dev, sglist, nents, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, Leak("Dma.MapSg", "return -16;"));

    // A loop that maps one frame per descriptor: the ring filling up after this iteration's mapping leaks it.
    [Fact]
    public Task LoopRingFullAfterThisIterationsMapping_Reports() => Verifier.Analyzer(Usings + """
        sealed class Ring
        {
            public DmaAddr[] Slots = new DmaAddr[8];
            public int Used;
            public bool Full => Used == Slots.Length;
            public void Post(DmaAddr a) => Slots[Used++] = a;
        }

        static class Tx
        {
            static int XmitAll(PciDevice dev, KernelBuffer[] frames, ulong len, Ring ring)
            {
                for (int i = 0; i < frames.Length; i++)
                {
                    DmaAddr a = {|#0:Dma.MapSingle(dev, frames[i], 0, len, DmaDirection.ToDevice)|};
                    if (Dma.MappingError(dev, a))
                    {
                        return -12;
                    }

                    if (ring.Full)
                    {
                        {|#1:return -28;|}
                    }

                    ring.Post(a);
                }

                return 0;
            }
        }
        """, Leak("Dma.MapSingle", "return -28;"));

    // The dma-api-howto loop: each mapping kept in the array, the ones made so far unmapped when one fails.
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

    // A completion callback that captures the address owns it; a lambda that does not name it changes nothing.
    [Fact]
    public Task LambdaCapturingTheAddress_HandsItOn_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Tx
        {
            static int Send(PciDevice dev, KernelBuffer buf, ulong len, Action<Action> onComplete, bool ringFull)
            {
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a))
                {
                    return -12;
                }

                onComplete(() => Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice));
                if (ringFull)
                {
                    return -16;
                }

                return 0;
            }
        }
        """);

    [Fact]
    public Task LambdaNotNamingTheAddress_Reports() => Verifier.Analyzer(Usings + """
        static class Tx
        {
            static int Send(PciDevice dev, KernelBuffer buf, ulong len, Action<Func<string>> log, bool ringFull)
            {
                DmaAddr a = {|#0:Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, a))
                {
                    return -12;
                }

                log(() => "ring full");
                if (ringFull)
                {
                    {|#1:return -16;|}
                }

                Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, Leak("Dma.MapSingle", "return -16;"));

    // ---------------------------------------------------------------- a helper that maps: cx25821-alsa.c

    // drivers/media/pci/cx25821/cx25821-alsa.c: the buffer, and the helpers that map and unmap its scatterlist.
    private const string Cx25821Alsa = """
        sealed class Cx25821RiscMem { public uint[] Jmp = new uint[3]; public DmaAddr Dma; }

        sealed class Cx25821AudioBuffer
        {
            public uint Bpl;
            public Cx25821RiscMem Risc = new();
            public KernelBuffer? Vaddr;
            public SgTable? Sglist;
            public int Sglen;
            public int NrPages;
        }

        sealed class Cx25821AudioDev
        {
            public PciDevice Pci = null!;
            public Cx25821AudioBuffer? Buf;
            public uint PeriodSize, NumPeriods, DmaSize;
        }

        static partial class Cx25821Alsa
        {
            private const uint AudioLineSize = 128;

            // cx25821_alsa_dma_init: vmalloc the buffer and build its scatterlist
            static int DmaInit(Cx25821AudioDev chip, int nrPages, SystemMemory mem)
            {
                Cx25821AudioBuffer buf = chip.Buf!;
                buf.Vaddr = mem.Kmalloc((ulong)nrPages * 4096);
                buf.NrPages = nrPages;
                buf.Sglist = SgTable.Alloc(nrPages);
                return 0;
            }

            // cx25821_alsa_dma_map
            static int DmaMap(Cx25821AudioDev dev)
            {
                Cx25821AudioBuffer buf = dev.Buf!;
                buf.Sglen = Dma.MapSg(dev.Pci, buf.Sglist!, buf.NrPages, DmaDirection.FromDevice);
                if (buf.Sglen == 0)
                {
                    return -12;
                }

                return 0;
            }

            // cx25821_alsa_dma_unmap
            static int DmaUnmap(Cx25821AudioDev dev)
            {
                Cx25821AudioBuffer buf = dev.Buf!;
                if (buf.Sglen == 0)
                {
                    return 0;
                }

                Dma.UnmapSg(dev.Pci, buf.Sglist!, buf.NrPages, DmaDirection.FromDevice);
                buf.Sglen = 0;
                return 0;
            }

            // cx25821_risc_databuffer_audio (cx25821-core.c): the RISC program over the DMA segments
            static int RiscDatabufferAudio(PciDevice pci, Cx25821RiscMem risc, SgTable sglist, uint bpl, uint lines)
            {
                if (bpl == 0 || lines == 0)
                {
                    return -22;
                }

                risc.Dma = sglist[0].DmaAddress;
                return 0;
            }
        }

        """;

    [Fact]
    public Task SndCx25821HwParams_RiscProgramFailsAfterCx25821AlsaDmaMap_Reports() => Verifier.Analyzer(Usings + Cx25821Alsa + """
        static partial class Cx25821Alsa
        {
            // snd_cx25821_hw_params before "media: cx25821: Add missing unmap in snd_cx25821_hw_params()" (2025)
            static int HwParams(Cx25821AudioDev chip, uint periodBytes, uint periods, SystemMemory mem)
            {
                Cx25821AudioBuffer buf;
                int ret;

                chip.PeriodSize = periodBytes;
                chip.NumPeriods = periods;
                chip.DmaSize = chip.PeriodSize * periods;

                buf = new Cx25821AudioBuffer();
                if (chip.PeriodSize > AudioLineSize)
                {
                    chip.PeriodSize = AudioLineSize;
                }

                buf.Bpl = chip.PeriodSize;
                chip.Buf = buf;

                ret = DmaInit(chip, (int)((chip.DmaSize + 4095) >> 12), mem);
                if (ret < 0)
                {
                    goto error;
                }

                ret = {|#0:DmaMap(chip)|};
                if (ret < 0)
                {
                    goto error;
                }

                ret = RiscDatabufferAudio(chip.Pci, buf.Risc, buf.Sglist!, chip.PeriodSize, chip.NumPeriods);
                if (ret < 0)
                {
                    goto error;
                }

                // Loop back to start of program
                buf.Risc.Jmp[0] = 0x70000000;
                buf.Risc.Jmp[1] = (uint)buf.Risc.Dma.Raw;
                buf.Risc.Jmp[2] = 0;
                return 0;

            error:
                chip.Buf = null;
                {|#1:return ret;|}
            }
        }
        """, Leak("Cx25821Alsa.DmaMap", "return ret;"));

    [Fact]
    public Task SndCx25821HwParams_AsFixed_UnmapsBeforeTheErrorLabel_NoDiagnostic() => Verifier.Analyzer(Usings + Cx25821Alsa + """
        static partial class Cx25821Alsa
        {
            static int HwParams(Cx25821AudioDev chip, uint periodBytes, uint periods, SystemMemory mem)
            {
                Cx25821AudioBuffer buf;
                int ret;

                chip.PeriodSize = periodBytes;
                chip.NumPeriods = periods;
                chip.DmaSize = chip.PeriodSize * periods;
                buf = new Cx25821AudioBuffer();
                buf.Bpl = chip.PeriodSize;
                chip.Buf = buf;

                ret = DmaInit(chip, (int)((chip.DmaSize + 4095) >> 12), mem);
                if (ret < 0)
                {
                    goto error;
                }

                ret = DmaMap(chip);
                if (ret < 0)
                {
                    goto error;
                }

                ret = RiscDatabufferAudio(chip.Pci, buf.Risc, buf.Sglist!, chip.PeriodSize, chip.NumPeriods);
                if (ret < 0)
                {
                    DmaUnmap(chip);
                    goto error;
                }

                buf.Risc.Jmp[0] = 0x70000000;
                return 0;

            error:
                chip.Buf = null;
                return ret;
            }
        }
        """);

    // ---------------------------------------------------------------- an address kept only in a local: any way out

    [Fact]
    public Task AddressUsedThenSuccessReturned_NeverUnmapped_Reports() => Verifier.Analyzer(Usings + """
        static class Fw
        {
            static bool LoadBlob(PciDevice dev, KernelBuffer blob, ulong len, P2PDma.Fabric.DmaFabric fabric)
            {
                DmaAddr a = {|#0:Dma.MapSingle(dev, blob, 0, len, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, a))
                {
                    return false;
                }

                fabric.Read(dev, a, (int)len);
                {|#1:return true;|}
            }
        }
        """, Leak("Dma.MapSingle", "return true;", error: false));

    [Fact]
    public Task VoidMethodEndsWithTheAddressMapped_Reports() => Verifier.Analyzer(Usings + """
        static class Fw
        {
            static void LoadBlob(PciDevice dev, KernelBuffer blob, ulong len, P2PDma.Fabric.DmaFabric fabric)
            {
                DmaAddr a = {|#0:Dma.MapSingle(dev, blob, 0, len, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, a))
                {
                    return;
                }

                fabric.Read(dev, a, (int)len);
            {|#1:}|}
        }
        """, Verifier.Diagnostic("P2P0022").WithLocation(0).WithLocation(1).WithArguments("Dma.MapSingle", "where the function ends"));

    // A lock over the object that holds the table: its Monitor.Exit on the way out keeps nothing.
    [Fact]
    public Task HelperMappingUnderALockOfItsHolder_Reports() => Verifier.Analyzer(Usings + """
        sealed class Port
        {
            public PciDevice Dev = null!;
            public SgTable Sg = SgTable.Alloc(2);
            public readonly object Lock = new();
        }

        static class Drv
        {
            static int MapPort(Port port) => Dma.MapSgTable(port.Dev, port.Sg, DmaDirection.ToDevice) == DmaError.None ? 0 : -12;

            static int Start(Port port, bool linkUp)
            {
                lock (port.Lock)
                {
                    int ret = {|#0:MapPort(port)|};
                    if (ret < 0)
                    {
                        return ret;
                    }

                    if (!linkUp)
                    {
                        {|#1:return -67;|}
                    }

                    return 0;
                }
            }
        }
        """, Leak("Drv.MapPort", "return -67;"));

    // A helper that returns dma_map_sg's count: zero is its failure, and the failure path holds no mapping.
    [Fact]
    public Task HelperReturningTheSegmentCount_ZeroIsItsFailure_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Req { public PciDevice Dev = null!; public SgTable Sg = SgTable.Alloc(2); public int Nents = 2; public int Count; }

        static class Blk
        {
            static int MapData(Req req) => Dma.MapSg(req.Dev, req.Sg, req.Nents, DmaDirection.ToDevice);

            static int QueueRq(Req req)
            {
                int n = MapData(req);
                if (n == 0)
                {
                    return -5;
                }

                req.Count = n;
                return 0;
            }
        }
        """);

    // ---------------------------------------------------------------- a mapping kept in an object this function made

    private const string TxRingTypes = """
        sealed class TxDesc { public DmaAddr Addr; public ulong Len; }

        sealed class TxRing
        {
            public TxDesc?[] Slots = new TxDesc?[8];
            public int Used;
            public bool Full => Used == Slots.Length;
            public void Post(TxDesc d) => Slots[Used++] = d;
        }

        """;

    // The descriptor is dropped with the mapping in it when the ring is full (nicstar's "Unmap DMA on send error" kind).
    [Fact]
    public Task DescriptorMadeHereDroppedOnTheErrorPath_Reports() => Verifier.Analyzer(Usings + TxRingTypes + """
        static class Tx
        {
            static int Xmit(PciDevice dev, KernelBuffer frame, ulong len, TxRing ring)
            {
                var desc = new TxDesc();
                desc.Addr = {|#0:Dma.MapSingle(dev, frame, 0, len, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, desc.Addr))
                {
                    return -12;
                }

                desc.Len = len;
                if (ring.Full)
                {
                    {|#1:return -28;|}
                }

                ring.Post(desc);
                return 0;
            }
        }
        """, Leak("Dma.MapSingle", "return -28;"));

    [Fact]
    public Task DescriptorPostedBeforeTheError_NoDiagnostic() => Verifier.Analyzer(Usings + TxRingTypes + """
        static class Tx
        {
            static int Xmit(PciDevice dev, KernelBuffer frame, ulong len, TxRing ring, Func<bool> kick)
            {
                var desc = new TxDesc();
                desc.Addr = Dma.MapSingle(dev, frame, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, desc.Addr))
                {
                    return -12;
                }

                desc.Len = len;
                ring.Post(desc);
                if (!kick())
                {
                    return -5;
                }

                return 0;
            }
        }
        """);

    // Returned inside a tuple, the mapping is the caller's.
    [Fact]
    public Task AddressReturnedInATuple_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Rx
        {
            static (DmaAddr Addr, ulong Len) MapRx(PciDevice dev, KernelBuffer buf, ulong len)
            {
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.FromDevice);
                if (Dma.MappingError(dev, a))
                {
                    return (DmaAddr.MappingError, 0);
                }

                return (a, len);
            }
        }
        """);

    // The error chosen by a conditional expression: the graph captures the local before the branch in the value.
    [Fact]
    public Task ErrorChosenByAConditionalExpression_Reports() => Verifier.Analyzer(Usings + """
        static class Scenario
        {
            public static int Setup(PciDevice dev, KernelBuffer frame, uint size, bool ringFull)
            {
                int ret = 0;
                DmaAddr dma = {|#0:Dma.MapSingle(dev, frame, 0, size, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, dma))
                {
                    ret = -12;
                    goto error;
                }

                ret = ringFull ? -16 : 0;
                if (ret < 0)
                    {|#2:goto error;|}

                Dma.UnmapSingle(dev, dma, size, DmaDirection.ToDevice);
                return ret;

            error:
                {|#1:return ret;|}
            }
        }
        """, Leak("Dma.MapSingle", "return ret;").WithLocation(2));

    [Fact]
    public Task ErrorSetOnOneBranch_Reports() => Verifier.Analyzer(Usings + """
        static class Scenario
        {
            public static int Setup(PciDevice dev, KernelBuffer frame, uint size, bool ringFull)
            {
                int ret = 0;
                DmaAddr dma = {|#0:Dma.MapSingle(dev, frame, 0, size, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, dma))
                {
                    ret = -12;
                    goto error;
                }

                if (ringFull)
                    ret = -16;
                if (ret < 0)
                    {|#2:goto error;|}

                Dma.UnmapSingle(dev, dma, size, DmaDirection.ToDevice);
                return ret;

            error:
                {|#1:return ret;|}
            }
        }
        """, Leak("Dma.MapSingle", "return ret;").WithLocation(2));

    // A flag records the mapping, and the shared error label unmaps under it (the flag set to a constant on the path).
    [Fact]
    public Task FlagRecordsTheMapping_LabelUnmapsUnderIt_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Setup
        {
            static int Start(PciDevice dev, KernelBuffer buf, ulong len, bool busy)
            {
                int ret;
                bool mapped = false;
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a))
                {
                    return -12;
                }

                mapped = true;
                if (busy)
                {
                    ret = -16;
                    goto err;
                }

                Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                return 0;

            err:
                if (mapped)
                {
                    Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                }

                return ret;
            }
        }
        """);

    // The same with an enum state.
    [Fact]
    public Task EnumStateRecordsTheMapping_LabelUnmapsUnderIt_NoDiagnostic() => Verifier.Analyzer(Usings + """
        enum Stage { None, Mapped }

        static class Setup
        {
            static int Start(PciDevice dev, KernelBuffer buf, ulong len, bool busy)
            {
                int ret;
                Stage stage = Stage.None;
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a))
                {
                    return -12;
                }

                stage = Stage.Mapped;
                if (busy)
                {
                    ret = -16;
                    goto err;
                }

                Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                return 0;

            err:
                if (stage == Stage.Mapped)
                {
                    Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                }

                return ret;
            }
        }
        """);

    // ---------------------------------------------------------------- a helper that unwinds its own failure: sahara

    internal const string SaharaHelper = """
        sealed class SaharaDev
        {
            public PciDevice Device = null!;
            public SgTable InSg = null!, OutSg = null!;
            public int NbInSg, NbOutSg;
            public bool Completed;
        }

        static partial class Sahara
        {
            // sahara_hw_descriptor_create (after its 2023 error-handling fix): unwinds its own failure, and on success
            // returns 0 with both lists mapped for sahara_aes_process to unmap after the interrupt
            static int HwDescriptorCreate(SaharaDev dev)
            {
                int ret;

                ret = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -22;
                }

                ret = Dma.MapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                if (ret == 0)
                {
                    goto unmap_in;
                }

                return 0;

            unmap_in:
                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return -22;
            }

            static bool WaitForCompletionTimeout(SaharaDev dev) => dev.Completed;
        }

        """;

    // sahara_aes_process before "crypto: sahara - fix wait_for_completion_timeout() error handling" (2dba8e1d1a79):
    // the timeout returned -ETIMEDOUT with both lists still mapped.
    [Fact]
    public Task SaharaAesProcess_TimeoutReturnsWithTheListsMapped_Reports() => Verifier.Analyzer(Usings + SaharaHelper + """
        static partial class Sahara
        {
            static int AesProcess(SaharaDev dev)
            {
                int ret = {|#0:HwDescriptorCreate(dev)|};
                if (ret != 0)
                {
                    return -22;
                }

                if (!WaitForCompletionTimeout(dev))
                {
                    // dev_err(dev->device, "AES timeout\n");
                    {|#1:return -110;|}
                }

                Dma.UnmapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, Leak("Sahara.HwDescriptorCreate", "return -110;"));

    // The fix unmaps before testing the timeout.
    [Fact]
    public Task SaharaAesProcess_AsFixed_UnmapsBeforeTheTimeoutTest_NoDiagnostic() => Verifier.Analyzer(Usings + SaharaHelper + """
        static partial class Sahara
        {
            static int AesProcess(SaharaDev dev)
            {
                int ret = HwDescriptorCreate(dev);
                if (ret != 0)
                {
                    return -22;
                }

                bool done = WaitForCompletionTimeout(dev);

                Dma.UnmapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);

                if (!done)
                {
                    return -110;
                }

                return 0;
            }
        }
        """);

    // A helper that unmaps on its way to success too (maps, transfers, unmaps, returns 0) leaves nothing mapped for its
    // caller: an error its caller returns afterwards leaks nothing.
    [Fact]
    public Task HelperThatUnmapsBeforeItsSuccessReturn_CallerErrorAfterIt_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Dev
        {
            public PciDevice Device = null!;
            public SgTable Sg = null!;
            public int Nents;
            public bool Ok;
        }

        static class Xfer
        {
            static int Run(Dev dev)
            {
                int n = Dma.MapSg(dev.Device, dev.Sg, dev.Nents, DmaDirection.ToDevice);
                if (n == 0)
                {
                    return -12;
                }

                dev.Ok = n > 1;
                Dma.UnmapSg(dev.Device, dev.Sg, dev.Nents, DmaDirection.ToDevice);
                return 0;
            }

            static int Caller(Dev dev)
            {
                int ret = Run(dev);
                if (ret != 0)
                {
                    return ret;
                }

                if (!dev.Ok)
                {
                    return -5;
                }

                return 0;
            }
        }
        """);

    // A helper that calls a mapping helper and unmaps on its own way to success (maps through the links helper, runs the
    // transfer, unmaps, returns 0) leaves nothing mapped for its caller: an error the caller returns after it leaks nothing.
    [Fact]
    public Task HelperOfAMappingHelperThatUnmapsOnSuccess_CallerErrorAfterIt_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Dev
        {
            public PciDevice Device = null!;
            public SgTable InSg = null!;
            public int NbInSg;
            public bool Done;
        }

        static class Xfer
        {
            static int LinksCreate(Dev dev)
            {
                int n = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                if (n == 0)
                {
                    return -14;
                }

                return n;
            }

            static int RunOnce(Dev dev)
            {
                int i = LinksCreate(dev);
                if (i < 0)
                {
                    return i;
                }

                dev.Done = i > 0;
                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return 0;
            }

            static int Caller(Dev dev)
            {
                int ret = RunOnce(dev);
                if (ret != 0)
                {
                    return ret;
                }

                if (!dev.Done)
                {
                    return -5;
                }

                return 0;
            }
        }
        """);
}
