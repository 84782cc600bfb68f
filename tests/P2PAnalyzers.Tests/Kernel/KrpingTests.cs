namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// krping (larrystevenwise/krping, the RDMA ping module used to test iWARP and InfiniBand adapters), before and after
/// "Silence DMA unmap checking" (pull request 12, 2024): krping_setup_buffers maps the receive and send buffers with
/// ib_dma_map_single, keeps the addresses in the control block, and krping_setup_wr hands them to the adapter in the
/// work requests' scatter/gather entries; with CONFIG_DMA_API_DEBUG, krping_free_buffers' ib_dma_unmap_single then
/// reported "device driver failed to check map error". The fix checks each mapping with ib_dma_mapping_error and
/// bails out. The ib_dma_* calls are include/rdma/ib_verbs.h's helpers as every kernel since v5.10 writes them
/// (<see cref="IbVerbsHeader.Mainline"/>), which krping builds against.
/// </summary>
public sealed class KrpingTests
{
    // include/rdma/ib_verbs.h: the objects krping hands the adapter (the DMA helpers are IbVerbsHeader's).
    internal const string Verbs = """
        sealed class IbPd { public IbDevice Device = null!; public uint LocalDmaLkey; }

        sealed class IbSge
        {
            [DmaAddress] public ulong Addr;   // the adapter reads the buffer there
            public uint Length;
            public uint Lkey;
        }

        sealed class IbRecvWr { public IbSge[] SgList = System.Array.Empty<IbSge>(); public int NumSge; }
        """;

    // struct krping_cb, and krping_setup_wr / krping_free_buffers, which the fix does not touch.
    internal const string Cb = """
        sealed class KrpingCb
        {
            public IbPd Pd = null!;
            public KernelBuffer RecvBuf = null!;
            public KernelBuffer SendBuf = null!;
            public DmaAddr RecvDmaAddr;
            public DmaAddr SendDmaAddr;
            public IbSge RecvSgl = new();
            public IbSge SendSgl = new();
            public IbRecvWr RqWr = new();
        }

        static partial class Krping
        {
            const ulong RecvBufSize = 64, SendBufSize = 64;

            // krping_setup_wr
            static void KrpingSetupWr(KrpingCb cb)
            {
                cb.RecvSgl.Addr = cb.RecvDmaAddr.Raw;
                cb.RecvSgl.Length = (uint)RecvBufSize;
                cb.RecvSgl.Lkey = cb.Pd.LocalDmaLkey;
                cb.RqWr.SgList = new[] { cb.RecvSgl };
                cb.RqWr.NumSge = 1;

                cb.SendSgl.Addr = cb.SendDmaAddr.Raw;
                cb.SendSgl.Length = (uint)SendBufSize;
                cb.SendSgl.Lkey = cb.Pd.LocalDmaLkey;
            }

            // krping_free_buffers
            static void KrpingFreeBuffers(KrpingCb cb)
            {
                IbVerbs.IbDmaUnmapSingle(cb.Pd.Device, cb.RecvDmaAddr, RecvBufSize, DmaDirection.Bidirectional);
                IbVerbs.IbDmaUnmapSingle(cb.Pd.Device, cb.SendDmaAddr, SendBufSize, DmaDirection.Bidirectional);
            }
        }
        """;

    // krping_setup_buffers before the fix: neither mapping is checked.
    internal const string SetupBefore = """
        static partial class Krping
        {
            // krping_setup_buffers
            static int KrpingSetupBuffers(KrpingCb cb)
            {
                cb.RecvDmaAddr = {|P2P0020:IbVerbs.IbDmaMapSingle(cb.Pd.Device, cb.RecvBuf, RecvBufSize, DmaDirection.Bidirectional)|};
                cb.SendDmaAddr = {|P2P0020:IbVerbs.IbDmaMapSingle(cb.Pd.Device, cb.SendBuf, SendBufSize, DmaDirection.Bidirectional)|};
                KrpingSetupWr(cb);
                return 0;
            }
        }
        """;

    // After: each mapping checked, and the function bails out (the review asked for it), unmapping the first.
    internal const string SetupAfter = """
        static partial class Krping
        {
            // krping_setup_buffers
            static int KrpingSetupBuffers(KrpingCb cb)
            {
                cb.RecvDmaAddr = IbVerbs.IbDmaMapSingle(cb.Pd.Device, cb.RecvBuf, RecvBufSize, DmaDirection.Bidirectional);
                if (IbVerbs.IbDmaMappingError(cb.Pd.Device, cb.RecvDmaAddr))
                {
                    return -12;
                }

                cb.SendDmaAddr = IbVerbs.IbDmaMapSingle(cb.Pd.Device, cb.SendBuf, SendBufSize, DmaDirection.Bidirectional);
                if (IbVerbs.IbDmaMappingError(cb.Pd.Device, cb.SendDmaAddr))
                {
                    IbVerbs.IbDmaUnmapSingle(cb.Pd.Device, cb.RecvDmaAddr, RecvBufSize, DmaDirection.Bidirectional);
                    return -12;
                }

                KrpingSetupWr(cb);
                return 0;
            }
        }
        """;

    [Fact]
    public Task KrpingSetupBuffers_BeforeTheFix_UncheckedMappingsThroughIbDmaMapSingle_Reports() =>
        KernelVerify.RunAsync(IbVerbsHeader.Mainline, Verbs, Cb, SetupBefore);

    [Fact]
    public Task KrpingSetupBuffers_AfterTheFix_NoDiagnostic() => KernelVerify.RunAsync(IbVerbsHeader.Mainline, Verbs, Cb, SetupAfter);
}
