namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// davinci_cpdma (drivers/net/ethernet/ti/davinci_cpdma.c, the CPPI DMA engine behind TI's cpsw/davinci_emac) before
/// "net: ethernet: ti: davinci_cpdma: fix warning "device driver frees DMA memory with different size"" (Grygorii
/// Strashko, Dec 2019, Fixes: 6670acacd59e "net: ethernet: ti: davinci_cpdma: add dma mapped submit"):
/// cpdma_chan_submit_si records the buffer length in the descriptor's sw_len from <c>swlen = len</c>, taken before a
/// runt packet's len is raised to params.min_packet_size, and maps the buffer with the raised len; the completion
/// __cpdma_chan_free unmaps with the length read back from sw_len. DMA-API debug: "[map size=64 bytes] [unmap size=42
/// bytes]". The fix (v2, as merged and backported) drops swlen and writes <c>si-&gt;data_dma ? len | CPDMA_DMA_EXT_MAP
/// : len</c>, the raised len, into sw_len.
/// Transliterated from the v5.5 tree (submit_info with data_virt/data_dma, after Arnd Bergmann's fix of 6670acacd59e).
/// The descriptor is in the CPPI RAM (__iomem) and written with writel_relaxed; written here as stores to a descriptor
/// object, hw_buffer (what the engine reads) declared a DMA address sink, sw_buffer/sw_len the driver's own bookkeeping.
/// __cpdma_chan_free is written void (its int return in later trees only passes on the handler's result).
/// Scope note: P2P0021 compares constant sizes and directions only (docs/rules/P2P0021.md); here both the map's size and
/// the unmap's are run-time values (len, and sw_len read back from the descriptor), and the direction is chan-&gt;dir, so
/// the bug site is marked as a known miss.
/// </summary>
public sealed class DavinciCpdmaTests
{
    internal const string Types = """
        // struct cpdma_desc (in CPPI RAM, __iomem)
        sealed class CpdmaDesc
        {
            /* hardware fields */
            public uint HwNext;
            [DmaAddress] public uint HwBuffer;
            public uint HwLen;
            public uint HwMode;
            /* software fields */
            public object? SwToken;
            public uint SwBuffer;
            public uint SwLen;
        }

        sealed class CpdmaDescPool
        {
            public Stack<CpdmaDesc> Free = new();
        }

        sealed class CpdmaParams
        {
            public int MinPacketSize;
        }

        sealed class CpdmaCtlr
        {
            public PciDevice Dev = null!;
            public CpdmaDescPool Pool = new();
            public CpdmaParams Params = new();
        }

        sealed class CpdmaChanStats
        {
            public ulong DescAllocFail, RuntTransmitBuff, GoodDequeue;
        }

        // struct cpdma_chan
        sealed class CpdmaChan
        {
            public CpdmaCtlr Ctlr = null!;
            public object Lock = new();
            public int State;
            public int Count;
            public int DescNum;
            public bool Rxfree;
            public uint RxfreeReg;
            public DmaDirection Dir;
            public CpdmaChanStats Stats = new();
            public CpdmaDesc? Head, Tail;
            public Action<object?, int, int> Handler = null!;
        }

        // struct submit_info
        sealed class SubmitInfo
        {
            public CpdmaChan Chan = null!;
            public int Directed;
            public object? Token;
            public KernelBuffer? DataVirt;
            public DmaAddr DataDma;
            public int Len;
        }

        static partial class Cpdma
        {
            const int EINVAL = 22;
            const int ENOMEM = 12;

            const int CpdmaStateActive = 1, CpdmaStateTeardown = 2;
            const uint CpdmaDescSop = 1u << 31, CpdmaDescEop = 1u << 30, CpdmaDescOwner = 1u << 29;
            const int CpdmaDmaExtMap = 1 << 16;

            static CpdmaDesc? CpdmaDescAlloc(CpdmaDescPool pool) => pool.Free.Count > 0 ? pool.Free.Pop() : null;

            static void CpdmaDescFree(CpdmaDescPool pool, CpdmaDesc desc, int num) => pool.Free.Push(desc);

            // cpdma_desc_to_port
            static uint CpdmaDescToPort(CpdmaChan chan, uint mode, int directed) =>
                directed != 0 ? mode | (1u << 20) | ((uint)directed << 16) : mode;

            static void CpdmaChanSubmitHw(CpdmaChan chan, CpdmaDesc desc)  // __cpdma_chan_submit
            {
                if (chan.Head == null)
                    chan.Head = desc;
                else
                    chan.Tail!.HwNext = 1;
                chan.Tail = desc;
            }
        }
        """;

    // cpdma_chan_submit_si, cpdma_chan_submit and __cpdma_chan_free before the fix.
    internal const string BeforeFix = """
        static partial class Cpdma
        {
            static int CpdmaChanSubmitSi(SubmitInfo si)
            {
                CpdmaChan chan = si.Chan;
                CpdmaCtlr ctlr = chan.Ctlr;
                int len = si.Len;
                int swlen = len;
                CpdmaDesc? desc;
                DmaAddr buffer;
                uint mode;
                int ret;

                if (chan.Count >= chan.DescNum)
                {
                    chan.Stats.DescAllocFail++;
                    return -ENOMEM;
                }

                desc = CpdmaDescAlloc(ctlr.Pool);
                if (desc == null)
                {
                    chan.Stats.DescAllocFail++;
                    return -ENOMEM;
                }

                if (len < ctlr.Params.MinPacketSize)
                {
                    len = ctlr.Params.MinPacketSize;
                    chan.Stats.RuntTransmitBuff++;
                }

                mode = CpdmaDescOwner | CpdmaDescSop | CpdmaDescEop;
                mode = CpdmaDescToPort(chan, mode, si.Directed);

                if (si.DataDma.Raw != 0)
                {
                    buffer = si.DataDma;
                    Dma.SyncSingleForDevice(ctlr.Dev, buffer, (ulong)len, chan.Dir);
                    swlen |= CpdmaDmaExtMap;
                }
                else
                {
                    buffer = Dma.MapSingle(ctlr.Dev, si.DataVirt!, 0, (ulong)len, chan.Dir);
                    ret = Dma.MappingError(ctlr.Dev, buffer) ? -ENOMEM : 0;  // ret = dma_mapping_error(ctlr->dev, buffer);
                    if (ret != 0)
                    {
                        CpdmaDescFree(ctlr.Pool, desc, 1);
                        return -EINVAL;
                    }
                }

                /* Relaxed IO accessors can be used here as there is read barrier
                 * at the end of write sequence.
                 */
                desc.HwNext = 0;                       // writel_relaxed(0, &desc->hw_next);
                desc.HwBuffer = (uint)buffer.Raw;      // writel_relaxed(buffer, &desc->hw_buffer);
                desc.HwLen = (uint)len;
                desc.HwMode = mode | (uint)len;
                desc.SwToken = si.Token;
                desc.SwBuffer = (uint)buffer.Raw;
                desc.SwLen = (uint)swlen;

                CpdmaChanSubmitHw(chan, desc);

                if (chan.State == CpdmaStateActive && chan.Rxfree)
                    chan.RxfreeReg = 1;  // chan_write(chan, rxfree, 1);

                chan.Count++;
                return 0;
            }

            public static int CpdmaChanSubmit(CpdmaChan chan, object? token, KernelBuffer data, int len, int directed)
            {
                SubmitInfo si = new SubmitInfo();
                int ret;

                si.Chan = chan;
                si.Token = token;
                si.DataVirt = data;
                si.DataDma = default;
                si.Len = len;
                si.Directed = directed;

                System.Threading.Monitor.Enter(chan.Lock);  // spin_lock_irqsave
                if (chan.State == CpdmaStateTeardown)
                {
                    System.Threading.Monitor.Exit(chan.Lock);
                    return -EINVAL;
                }

                ret = CpdmaChanSubmitSi(si);
                System.Threading.Monitor.Exit(chan.Lock);
                return ret;
            }

            // __cpdma_chan_free (from __cpdma_chan_process, the completion)
            static void CpdmaChanFree(CpdmaChan chan, CpdmaDesc desc, int outlen, int status)
            {
                CpdmaCtlr ctlr = chan.Ctlr;
                CpdmaDescPool pool = ctlr.Pool;
                DmaAddr buffDma;
                int origlen;
                object? token;

                token = desc.SwToken;
                origlen = (int)desc.SwLen;

                buffDma = DmaAddr.FromRaw(desc.SwBuffer);
                if ((origlen & CpdmaDmaExtMap) != 0)
                {
                    origlen &= ~CpdmaDmaExtMap;
                    Dma.SyncSingleForCpu(ctlr.Dev, buffDma, (ulong)origlen, chan.Dir);
                }
                else
                {
                    // MissedP2P0021: origlen is the pre-padding len; the map used the padded len. Both are run-time
                    // values, outside P2P0021's constant comparison.
                    Dma.UnmapSingle(ctlr.Dev, buffDma, {|MissedP2P0021:(ulong)origlen|}, chan.Dir);
                }

                CpdmaDescFree(pool, desc, 1);
                chan.Handler(token, outlen, status);
            }
        }
        """;

    internal static readonly string Fixed = BeforeFix
        .Replace("int swlen = len;", string.Empty)
        .Replace("swlen |= CpdmaDmaExtMap;", string.Empty)
        .Replace("desc.SwLen = (uint)swlen;", "desc.SwLen = (uint)(si.DataDma.Raw != 0 ? len | CpdmaDmaExtMap : len);")
        .Replace("{|MissedP2P0021:(ulong)origlen|}", "(ulong)origlen");

    // The error check written as a test of the call itself, the errno set in the branch (the shape P2P0020's fix
    // writes); the rest unchanged. The same result as the faithful `ret = dma_mapping_error(); if (ret)`.
    private static string CheckInBranch(string source) => source.Replace(
        """
                    ret = Dma.MappingError(ctlr.Dev, buffer) ? -ENOMEM : 0;  // ret = dma_mapping_error(ctlr->dev, buffer);
                    if (ret != 0)
                    {
        """,
        """
                    if (Dma.MappingError(ctlr.Dev, buffer))
                    {
                        ret = -ENOMEM;
        """);

    // Faithful form. Expected: only the known P2P0021 miss. Before the check kept in a local was read as the failure
    // test (`ret = MappingError(..) ? -ENOMEM : 0; if (ret != 0) return -EINVAL;`), P2P0022 reported the mapping-failure
    // return as a leak here and in the fixed tree (the commit does not touch it): a false positive.
    [Fact]
    public Task DavinciCpdma_BeforeFix_SwLenBeforeRuntPadding_UnmapSizeDiffers() =>
        KernelVerify.RunAsync(Types, BeforeFix);

    [Fact]
    public Task DavinciCpdma_AsFixed_SwLenIsTheMappedLen_NoDiagnostic()
    {
        Assert.DoesNotContain("swlen", Fixed);
        Assert.DoesNotContain("{|", Fixed);
        return KernelVerify.RunAsync(Types, Fixed);
    }

    [Fact]
    public Task DavinciCpdma_BeforeFix_CheckInBranch_OnlyTheKnownSizeMiss()
    {
        string before = CheckInBranch(BeforeFix);
        Assert.Contains("if (Dma.MappingError(ctlr.Dev, buffer))", before);
        return KernelVerify.RunAsync(Types, before);
    }

    [Fact]
    public Task DavinciCpdma_AsFixed_CheckInBranch_NoDiagnostic()
    {
        string fixedTree = CheckInBranch(Fixed);
        Assert.Contains("if (Dma.MappingError(ctlr.Dev, buffer))", fixedTree);
        Assert.DoesNotContain("swlen", fixedTree);
        return KernelVerify.RunAsync(Types, fixedTree);
    }
}
