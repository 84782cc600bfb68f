namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// ivtv (drivers/media/pci/ivtv, Conexant cx23415/cx23416 MPEG encoder/decoder, a PCI device), its stream buffer
/// allocation in ivtv-queue.c, with the real fix "media: pci/ivtv: Add missing check after DMA map" (Thomas Fourier,
/// July 2025, Fixes: 1a0adaf37c30; diff read from the patch mail on linux-media; backport hashes seen in stable logs:
/// 289c6953161c and c804dfde73f7, the mainline hash not found). <c>ivtv_stream_alloc</c> maps the stream's SG
/// element (<c>s-&gt;sg_handle</c>) and each stream buffer (<c>buf-&gt;dma_handle</c>) without
/// <c>dma_mapping_error()</c>, syncs them at once through the ivtv-queue.h inline helpers
/// (<c>ivtv_stream_sync_for_cpu</c>, <c>ivtv_buf_sync_for_cpu</c>) and <c>ivtv_stream_free</c> unmaps them. Two bug
/// sites (P2P0020), one per map call. The fix checks both: on the first it frees the SG arrays and returns -ENOMEM,
/// on the second it frees the buffer and breaks out of the loop (the loop's tail then calls
/// <c>ivtv_stream_free</c>, which unmaps what was mapped before).
/// <para>
/// The before-fix code is the stored torvalds/linux ivtv-queue.c (dma_* API) and ivtv-queue.h (pci_dma_sync_* in
/// that stored version, the same calls); the fixed code is it with the patch's two hunks applied. Transliterated
/// as the kernel splits it: the allocation and free in one file, the queue helpers they call (enqueue, dequeue,
/// flush) in another, the header's inline helpers in a third. Deviations: <c>struct list_head</c> queues are
/// <c>List&lt;IvtvBuffer&gt;</c> (the counters kept as the kernel keeps them), spinlocks are dropped,
/// <c>ivtv_flush_queues</c>'s <c>ivtv_queue_move</c> is reduced to moving every buffer to <c>q_free</c> (what
/// <c>needed_bytes == 0</c> does), kzalloc of the SG arrays is an array allocation that may return null (a stub),
/// <c>kmalloc</c> of a buffer is <c>SystemMemory.Kmalloc</c> behind a stub that may return null, and
/// <c>s-&gt;dma == PCI_DMA_NONE</c> is <c>DmaDirection.None</c>. IVTV_DMA_UNMAPPED is <c>(u32)-1</c>, kept as the
/// raw value 0xFFFFFFFF (not DMA_MAPPING_ERROR).
/// </para>
/// </summary>
public sealed class IvtvTests
{
    internal const string Types = """
        // struct ivtv_sg_host_element / struct ivtv_sg_element (only their sizes matter here)
        sealed class IvtvSgHostElement { public uint Src, Dst, Size; }

        // struct ivtv_buffer
        sealed class IvtvBuffer
        {
            public KernelBuffer? Buf;
            public DmaAddr DmaHandle;
            public ushort DmaXferCnt;
            public uint BFlags;
            public uint Bytesused;
            public uint Readpos;
        }

        // struct ivtv_queue
        sealed class IvtvQueue
        {
            public List<IvtvBuffer> List = new();
            public int Buffers;
            public long Length;
            public long Bytesused;
        }

        // struct ivtv (the fields used)
        sealed class Ivtv
        {
            public PciDevice Pdev = null!;
            public SystemMemory Mem = null!;
        }

        // struct ivtv_stream (the fields used)
        sealed class IvtvStream
        {
            public Ivtv Itv = null!;
            public string Name = "";
            public int Type;
            public DmaDirection Dma;              // PCI_DMA_NONE is DmaDirection.None
            public int Buffers;
            public uint BufSize;
            public IvtvQueue QFree = new(), QFull = new(), QIo = new(), QDma = new(), QPredma = new();
            public IvtvSgHostElement[]? SgPending;
            public int SgPendingSize;
            public IvtvSgHostElement[]? SgProcessing;
            public int SgProcessingSize;
            public KernelBuffer? SgDma;          // struct ivtv_sg_element *sg_dma
            public DmaAddr SgHandle;
        }

        static partial class IvtvDriver
        {
            const int ENOMEM = 12;
            const ulong IvtvDmaUnmapped = 0xFFFFFFFF;   // IVTV_DMA_UNMAPPED, ((u32) -1)
            const uint SizeofIvtvSgElement = 12;        // sizeof(struct ivtv_sg_element)

            static void IvtvErr(string msg) { }
            static void IvtvDebugInfo(string msg) { }

            // kzalloc(SGsize, GFP_KERNEL|__GFP_NOWARN) of the SG arrays; null when it fails
            static IvtvSgHostElement[]? KzallocSg(int count) => count > 4096 ? null : new IvtvSgHostElement[count];
            // kzalloc(sizeof(struct ivtv_sg_element)) and kmalloc(s->buf_size + 256); null when it fails
            static KernelBuffer? Kmalloc(Ivtv itv, ulong size) => size > 0x100000 ? null : itv.Mem.Kmalloc(size);
            static IvtvBuffer? KzallocBuffer() => new IvtvBuffer();
            static void Kfree(object? p) { }
        }
        """;

    // ivtv-queue.h's inline helpers
    internal const string Header = """
        static partial class IvtvDriver
        {
            const int SlicedVbiPio = 0;
            const int IvtvEncStreamTypeVbi = 1;

            static int IvtvMightUsePio(IvtvStream s) =>
                s.Dma == DmaDirection.None || (SlicedVbiPio != 0 && s.Type == IvtvEncStreamTypeVbi) ? 1 : 0;

            static int IvtvUsePio(IvtvStream s) =>
                s.Dma == DmaDirection.None || (SlicedVbiPio != 0 && s.Type == IvtvEncStreamTypeVbi) ? 1 : 0;

            static int IvtvMightUseDma(IvtvStream s) => s.Dma != DmaDirection.None ? 1 : 0;

            static int IvtvUseDma(IvtvStream s) => IvtvUsePio(s) == 0 ? 1 : 0;

            static void IvtvBufSyncForCpu(IvtvStream s, IvtvBuffer buf)
            {
                if (IvtvUseDma(s) != 0)
                    Dma.SyncSingleForCpu(s.Itv.Pdev, buf.DmaHandle, s.BufSize + 256, s.Dma);
            }

            static void IvtvBufSyncForDevice(IvtvStream s, IvtvBuffer buf)
            {
                if (IvtvUseDma(s) != 0)
                    Dma.SyncSingleForDevice(s.Itv.Pdev, buf.DmaHandle, s.BufSize + 256, s.Dma);
            }

            static void IvtvStreamSyncForCpu(IvtvStream s)
            {
                if (IvtvUseDma(s) != 0)
                    Dma.SyncSingleForCpu(s.Itv.Pdev, s.SgHandle, SizeofIvtvSgElement, DmaDirection.ToDevice);
            }

            static void IvtvStreamSyncForDevice(IvtvStream s)
            {
                if (IvtvUseDma(s) != 0)
                    Dma.SyncSingleForDevice(s.Itv.Pdev, s.SgHandle, SizeofIvtvSgElement, DmaDirection.ToDevice);
            }
        }
        """;

    // ivtv-queue.c's queue helpers used by alloc/free; unchanged by the fix
    internal const string Queue = """
        static partial class IvtvDriver
        {
            // ivtv_enqueue
            static void IvtvEnqueue(IvtvStream s, IvtvBuffer buf, IvtvQueue q)
            {
                /* clear the buffer if it is going to be enqueued to the free queue */
                if (q == s.QFree)
                {
                    buf.Bytesused = 0;
                    buf.Readpos = 0;
                    buf.BFlags = 0;
                    buf.DmaXferCnt = 0;
                }
                q.List.Add(buf);
                q.Buffers++;
                q.Length += s.BufSize;
                q.Bytesused += buf.Bytesused - buf.Readpos;
            }

            // ivtv_dequeue
            static IvtvBuffer? IvtvDequeue(IvtvStream s, IvtvQueue q)
            {
                IvtvBuffer? buf = null;

                if (q.List.Count != 0)
                {
                    buf = q.List[0];
                    q.List.RemoveAt(0);
                    q.Buffers--;
                    q.Length -= s.BufSize;
                    q.Bytesused -= buf.Bytesused - buf.Readpos;
                }
                return buf;
            }

            // ivtv_queue_move(s, from, NULL, &s->q_free, 0): every buffer of 'from' to q_free, cleared
            static void IvtvQueueMoveAll(IvtvStream s, IvtvQueue from, IvtvQueue to)
            {
                while (from.List.Count != 0)
                {
                    IvtvBuffer buf = from.List[0];
                    from.List.RemoveAt(0);
                    from.Buffers--;
                    from.Length -= s.BufSize;
                    from.Bytesused -= buf.Bytesused - buf.Readpos;
                    buf.Bytesused = buf.Readpos = buf.BFlags = 0;
                    buf.DmaXferCnt = 0;
                    to.List.Add(buf);
                    to.Buffers++;
                    to.Length += s.BufSize;
                }
            }

            // ivtv_flush_queues
            static void IvtvFlushQueues(IvtvStream s)
            {
                IvtvQueueMoveAll(s, s.QIo, s.QFree);
                IvtvQueueMoveAll(s, s.QFull, s.QFree);
                IvtvQueueMoveAll(s, s.QDma, s.QFree);
                IvtvQueueMoveAll(s, s.QPredma, s.QFree);
            }
        }
        """;

    // ivtv_stream_alloc and ivtv_stream_free before the fix.
    internal const string StreamBeforeFix = """
        static partial class IvtvDriver
        {
            // ivtv_stream_alloc
            static int IvtvStreamAlloc(IvtvStream s)
            {
                Ivtv itv = s.Itv;
                int SGsize = s.Buffers;   // sizeof(struct ivtv_sg_host_element) * s->buffers
                int i;

                if (s.Buffers == 0)
                    return 0;

                IvtvDebugInfo("Allocate stream buffers");

                s.SgPending = KzallocSg(SGsize);
                if (s.SgPending == null)
                {
                    IvtvErr("Could not allocate sg_pending");
                    return -ENOMEM;
                }
                s.SgPendingSize = 0;

                s.SgProcessing = KzallocSg(SGsize);
                if (s.SgProcessing == null)
                {
                    IvtvErr("Could not allocate sg_processing");
                    Kfree(s.SgPending);
                    s.SgPending = null;
                    return -ENOMEM;
                }
                s.SgProcessingSize = 0;

                s.SgDma = Kmalloc(itv, SizeofIvtvSgElement);
                if (s.SgDma == null)
                {
                    IvtvErr("Could not allocate sg_dma");
                    Kfree(s.SgPending);
                    s.SgPending = null;
                    Kfree(s.SgProcessing);
                    s.SgProcessing = null;
                    return -ENOMEM;
                }
                if (IvtvMightUseDma(s) != 0)
                {
                    s.SgHandle = {|P2P0020:Dma.MapSingle(itv.Pdev, s.SgDma, 0, SizeofIvtvSgElement, DmaDirection.ToDevice)|};
                    IvtvStreamSyncForCpu(s);
                }

                /* allocate stream buffers. Initially all buffers are in q_free. */
                for (i = 0; i < s.Buffers; i++)
                {
                    IvtvBuffer? buf = KzallocBuffer();

                    if (buf == null)
                        break;
                    buf.Buf = Kmalloc(itv, s.BufSize + 256);
                    if (buf.Buf == null)
                    {
                        Kfree(buf);
                        break;
                    }
                    if (IvtvMightUseDma(s) != 0)
                    {
                        buf.DmaHandle = {|P2P0020:Dma.MapSingle(s.Itv.Pdev, buf.Buf, 0, s.BufSize + 256, s.Dma)|};
                        IvtvBufSyncForCpu(s, buf);
                    }
                    IvtvEnqueue(s, buf, s.QFree);
                }
                if (i == s.Buffers)
                    return 0;
                IvtvErr("Couldn't allocate buffers");
                IvtvStreamFree(s);
                return -ENOMEM;
            }

            // ivtv_stream_free
            static void IvtvStreamFree(IvtvStream s)
            {
                IvtvBuffer? buf;

                /* move all buffers to q_free */
                IvtvFlushQueues(s);

                /* empty q_free */
                while ((buf = IvtvDequeue(s, s.QFree)) != null)
                {
                    if (IvtvMightUseDma(s) != 0)
                        Dma.UnmapSingle(s.Itv.Pdev, buf.DmaHandle, s.BufSize + 256, s.Dma);
                    Kfree(buf.Buf);
                    Kfree(buf);
                }

                /* Free SG Array/Lists */
                if (s.SgDma != null)
                {
                    if (s.SgHandle.Raw != IvtvDmaUnmapped)
                    {
                        Dma.UnmapSingle(s.Itv.Pdev, s.SgHandle, SizeofIvtvSgElement, DmaDirection.ToDevice);
                        s.SgHandle = DmaAddr.FromRaw(IvtvDmaUnmapped);
                    }
                    Kfree(s.SgPending);
                    Kfree(s.SgProcessing);
                    Kfree(s.SgDma);
                    s.SgPending = null;
                    s.SgProcessing = null;
                    s.SgDma = null;
                    s.SgPendingSize = 0;
                    s.SgProcessingSize = 0;
                }
            }
        }
        """;

    // After "media: pci/ivtv: Add missing check after DMA map".
    internal static readonly string StreamFixed = StreamBeforeFix
        .Replace(
            "s.SgHandle = {|P2P0020:Dma.MapSingle(itv.Pdev, s.SgDma, 0, SizeofIvtvSgElement, DmaDirection.ToDevice)|};\n",
            """
            s.SgHandle = Dma.MapSingle(itv.Pdev, s.SgDma, 0, SizeofIvtvSgElement, DmaDirection.ToDevice);
                        if (Dma.MappingError(itv.Pdev, s.SgHandle))
                        {
                            IvtvErr("Could not dma map sg_dma");
                            Kfree(s.SgPending);
                            s.SgPending = null;
                            Kfree(s.SgProcessing);
                            s.SgProcessing = null;
                            Kfree(s.SgDma);
                            s.SgDma = null;
                            return -ENOMEM;
                        }

            """)
        .Replace(
            "buf.DmaHandle = {|P2P0020:Dma.MapSingle(s.Itv.Pdev, buf.Buf, 0, s.BufSize + 256, s.Dma)|};\n",
            """
            buf.DmaHandle = Dma.MapSingle(s.Itv.Pdev, buf.Buf, 0, s.BufSize + 256, s.Dma);
                            if (Dma.MappingError(s.Itv.Pdev, buf.DmaHandle))
                            {
                                Kfree(buf.Buf);
                                Kfree(buf);
                                break;
                            }

            """);

    [Fact]
    public Task Ivtv_BeforeFix_MapsUnchecked() =>
        KernelVerify.RunAsync(Types, Header, Queue, StreamBeforeFix);

    [Fact]
    public Task Ivtv_AsFixed_NoDiagnostic()
    {
        Assert.Contains("if (Dma.MappingError(itv.Pdev, s.SgHandle))", StreamFixed);
        Assert.Contains("if (Dma.MappingError(s.Itv.Pdev, buf.DmaHandle))", StreamFixed);
        Assert.DoesNotContain("{|P2P", StreamFixed);
        return KernelVerify.RunAsync(Types, Header, Queue, StreamFixed);
    }
}
