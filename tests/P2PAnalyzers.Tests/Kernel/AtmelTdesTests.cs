namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// atmel-tdes (drivers/crypto/atmel-tdes.c, Atmel/Microchip DES/TDES engine) before "crypto: atmel - Fix
/// dma_unmap_sg() direction" (f5d643156ef6, Thomas Fourier, 2025, Fixes: 13802005d8f2 "crypto: atmel - add Atmel
/// DES/TDES driver"): on the fast path atmel_tdes_crypt_start maps dd-&gt;in_sg DMA_TO_DEVICE and dd-&gt;out_sg
/// DMA_FROM_DEVICE, and when starting the transfer fails it unmapped out_sg DMA_TO_DEVICE; the fix unmaps it
/// DMA_FROM_DEVICE (diff read from the 6.12 stable review patch). The before-fix code is the stored torvalds/linux
/// atmel-tdes.c (the older ablkcipher form; the DMA code the fix touches is the same in the skcipher form the fix was
/// written against, and request plumbing is reduced here). Transliterated as the kernel splits it: the bounce buffers
/// mapped once in atmel_tdes_buff_init (checked, goto unwinding) and unmapped in atmel_tdes_buff_cleanup; the per-request
/// atmel_tdes_crypt_start (maps the fast path's lists, or syncs the bounce buffers), atmel_tdes_crypt_pdc /
/// atmel_tdes_crypt_dma (program the PDC registers or a dmaengine channel with the DMA addresses), and the completion
/// atmel_tdes_done_task with atmel_tdes_crypt_pdc_stop / atmel_tdes_crypt_dma_stop, which unmap the fast path's lists.
/// dmaengine is a stub class; the device is the library's PciDevice (the engine is a platform device).
/// </summary>
public sealed class AtmelTdesTests
{
    internal const string Types = """
        sealed class DmaAsyncTxDescriptor
        {
            public Action<object>? Callback;
            public object? CallbackParam;
        }

        sealed class DmaChan
        {
            public bool Broken;
            public DmaAsyncTxDescriptor? PrepSlaveSg(SgTable sgl, int sgLen, int direction, ulong flags) =>
                Broken ? null : new DmaAsyncTxDescriptor();
        }

        // struct atmel_tdes_dma
        sealed class AtmelTdesDma
        {
            public DmaChan Chan = null!;
            public int AddrWidth;
        }

        // struct atmel_tdes_ctx
        sealed class AtmelTdesCtx
        {
            public AtmelTdesDev? Dd;
            public int Keylen;
            public uint BlockSize;
        }

        // struct atmel_tdes_caps
        sealed class AtmelTdesCaps
        {
            public bool HasDma;
        }

        // struct atmel_tdes_dev
        sealed class AtmelTdesDev
        {
            public PciDevice Dev = null!;
            public SystemMemory Mem = null!;
            public AtmelTdesCtx Ctx = null!;
            public ulong Flags;
            public int Err;
            public AtmelTdesCaps Caps = new();

            public ulong Total;
            public SgTable InSg = null!;
            public uint InOffset;
            public SgTable OutSg = null!;
            public uint OutOffset;

            public ulong Buflen;
            public ulong DmaSize;
            public KernelBuffer? BufIn;
            public DmaAddr DmaAddrIn;
            public KernelBuffer? BufOut;
            public DmaAddr DmaAddrOut;

            public AtmelTdesDma DmaLchIn = new();
            public AtmelTdesDma DmaLchOut = new();
        }

        static partial class AtmelTdes
        {
            const int EINVAL = 22;
            const int ENOMEM = 12;
            const ulong PageSize = 4096;
            const ulong DesBlockSize = 8;

            const ulong TdesFlagsFast = 1UL << 18;
            const ulong TdesFlagsDma = 1UL << 19;
            const ulong TdesFlagsBusy = 1UL << 20;
            const ulong TdesFlagsCfb8 = 1UL << 4;
            const ulong TdesFlagsCfb16 = 1UL << 5;

            const uint TdesPtcr = 0x120, TdesTpr = 0x108, TdesTcr = 0x10c, TdesRpr = 0x100, TdesRcr = 0x104, TdesIer = 0x10;
            const uint TdesPtcrTxtdis = 1 << 9, TdesPtcrRxtdis = 1 << 1, TdesPtcrTxten = 1 << 8, TdesPtcrRxten = 1 << 0;
            const uint TdesIntEndrx = 1 << 1;
            const int DmaMemToDev = 1, DmaDevToMem = 2;
            const ulong DmaPrepInterrupt = 1, DmaCtrlAck = 2;

            static void AtmelTdesWrite(AtmelTdesDev dd, uint offset, uint value) { }
            static void DevErr(AtmelTdesDev dd, string msg) { }
            static void PrErr(string msg) { }
            static void FreePage(KernelBuffer? buf) { }
            static void DmaengineSubmit(DmaAsyncTxDescriptor desc) { }
            static void DmaAsyncIssuePending(DmaChan chan) { }
            static void AtmelTdesFinishReq(AtmelTdesDev dd, int err) => dd.Flags &= ~TdesFlagsBusy;
            static void TaskletScheduleQueue(AtmelTdesDev dd) { }

            static bool IsAligned(ulong x, ulong a) => (x & (a - 1)) == 0;
            static ulong DivRoundUp(ulong n, ulong d) => (n + d - 1) / d;

            // atmel_tdes_sg_copy (CPU copy between a scatterlist and a bounce buffer; no DMA state)
            static ulong AtmelTdesSgCopy(SgTable sg, ref uint offset, KernelBuffer? buf, ulong buflen, ulong total, int output) =>
                Math.Min(buflen, total);

            static void AtmelTdesDmaCallback(object data)
            {
                // dma_lch_out - completed: tasklet_schedule(&dd->done_task)
            }
        }
        """;

    // atmel_tdes_buff_init, atmel_tdes_buff_cleanup, atmel_tdes_crypt_pdc, atmel_tdes_crypt_dma, the stop functions and
    // atmel_tdes_done_task (unchanged by the fix).
    internal const string Buffers = """
        static partial class AtmelTdes
        {
            // atmel_tdes_buff_init
            static int AtmelTdesBuffInit(AtmelTdesDev dd)
            {
                int err = -ENOMEM;

                dd.BufIn = dd.Mem.Kmalloc(PageSize);    // __get_free_pages(GFP_KERNEL, 0)
                dd.BufOut = dd.Mem.Kmalloc(PageSize);
                dd.Buflen = PageSize;
                dd.Buflen &= ~(DesBlockSize - 1);

                if (dd.BufIn == null || dd.BufOut == null)
                {
                    DevErr(dd, "unable to alloc pages.");
                    goto err_alloc;
                }

                /* MAP here */
                dd.DmaAddrIn = Dma.MapSingle(dd.Dev, dd.BufIn, 0, dd.Buflen, DmaDirection.ToDevice);
                if (Dma.MappingError(dd.Dev, dd.DmaAddrIn))
                {
                    DevErr(dd, "dma error");
                    err = -EINVAL;
                    goto err_map_in;
                }

                dd.DmaAddrOut = Dma.MapSingle(dd.Dev, dd.BufOut, 0, dd.Buflen, DmaDirection.FromDevice);
                if (Dma.MappingError(dd.Dev, dd.DmaAddrOut))
                {
                    DevErr(dd, "dma error");
                    err = -EINVAL;
                    goto err_map_out;
                }

                return 0;

            err_map_out:
                Dma.UnmapSingle(dd.Dev, dd.DmaAddrIn, dd.Buflen, DmaDirection.ToDevice);
            err_map_in:
            err_alloc:
                FreePage(dd.BufOut);
                FreePage(dd.BufIn);
                if (err != 0)
                    PrErr("error");
                return err;
            }

            // atmel_tdes_buff_cleanup
            static void AtmelTdesBuffCleanup(AtmelTdesDev dd)
            {
                Dma.UnmapSingle(dd.Dev, dd.DmaAddrOut, dd.Buflen, DmaDirection.FromDevice);
                Dma.UnmapSingle(dd.Dev, dd.DmaAddrIn, dd.Buflen, DmaDirection.ToDevice);
                FreePage(dd.BufOut);
                FreePage(dd.BufIn);
            }

            // atmel_tdes_crypt_pdc
            static int AtmelTdesCryptPdc(AtmelTdesCtx ctx, DmaAddr dmaAddrIn, DmaAddr dmaAddrOut, ulong length)
            {
                AtmelTdesDev dd = ctx.Dd!;
                uint len32;

                dd.DmaSize = length;

                if ((dd.Flags & TdesFlagsFast) == 0)
                {
                    Dma.SyncSingleForDevice(dd.Dev, dmaAddrIn, length, DmaDirection.ToDevice);
                }

                if ((dd.Flags & TdesFlagsCfb8) != 0)
                    len32 = (uint)DivRoundUp(length, 1);
                else if ((dd.Flags & TdesFlagsCfb16) != 0)
                    len32 = (uint)DivRoundUp(length, 2);
                else
                    len32 = (uint)DivRoundUp(length, 4);

                AtmelTdesWrite(dd, TdesPtcr, TdesPtcrTxtdis | TdesPtcrRxtdis);
                AtmelTdesWrite(dd, TdesTpr, (uint)dmaAddrIn.Raw);
                AtmelTdesWrite(dd, TdesTcr, len32);
                AtmelTdesWrite(dd, TdesRpr, (uint)dmaAddrOut.Raw);
                AtmelTdesWrite(dd, TdesRcr, len32);

                /* Enable Interrupt */
                AtmelTdesWrite(dd, TdesIer, TdesIntEndrx);

                /* Start DMA transfer */
                AtmelTdesWrite(dd, TdesPtcr, TdesPtcrTxten | TdesPtcrRxten);

                return 0;
            }

            // atmel_tdes_crypt_dma
            static int AtmelTdesCryptDma(AtmelTdesCtx ctx, DmaAddr dmaAddrIn, DmaAddr dmaAddrOut, ulong length)
            {
                AtmelTdesDev dd = ctx.Dd!;
                SgTable sg0 = SgTable.Alloc(1);   // struct scatterlist sg[2], each sg_init_table'd with 1 entry
                SgTable sg1 = SgTable.Alloc(1);
                DmaAsyncTxDescriptor? inDesc, outDesc;

                dd.DmaSize = length;

                if ((dd.Flags & TdesFlagsFast) == 0)
                {
                    Dma.SyncSingleForDevice(dd.Dev, dmaAddrIn, length, DmaDirection.ToDevice);
                }

                if ((dd.Flags & TdesFlagsCfb8) != 0)
                {
                    dd.DmaLchIn.AddrWidth = 1;
                    dd.DmaLchOut.AddrWidth = 1;
                }
                else if ((dd.Flags & TdesFlagsCfb16) != 0)
                {
                    dd.DmaLchIn.AddrWidth = 2;
                    dd.DmaLchOut.AddrWidth = 2;
                }
                else
                {
                    dd.DmaLchIn.AddrWidth = 4;
                    dd.DmaLchOut.AddrWidth = 4;
                }

                dd.Flags |= TdesFlagsDma;

                sg0[0].DmaAddress = dmaAddrIn;
                sg0[0].DmaLength = length;

                sg1[0].DmaAddress = dmaAddrOut;
                sg1[0].DmaLength = length;

                inDesc = dd.DmaLchIn.Chan.PrepSlaveSg(sg0, 1, DmaMemToDev, DmaPrepInterrupt | DmaCtrlAck);
                if (inDesc == null)
                    return -EINVAL;

                outDesc = dd.DmaLchOut.Chan.PrepSlaveSg(sg1, 1, DmaDevToMem, DmaPrepInterrupt | DmaCtrlAck);
                if (outDesc == null)
                    return -EINVAL;

                outDesc.Callback = AtmelTdesDmaCallback;
                outDesc.CallbackParam = dd;

                DmaengineSubmit(outDesc);
                DmaAsyncIssuePending(dd.DmaLchOut.Chan);

                DmaengineSubmit(inDesc);
                DmaAsyncIssuePending(dd.DmaLchIn.Chan);

                return 0;
            }

            // atmel_tdes_crypt_pdc_stop
            static int AtmelTdesCryptPdcStop(AtmelTdesDev dd)
            {
                int err = 0;
                ulong count;

                AtmelTdesWrite(dd, TdesPtcr, TdesPtcrTxtdis | TdesPtcrRxtdis);

                if ((dd.Flags & TdesFlagsFast) != 0)
                {
                    Dma.UnmapSg(dd.Dev, dd.OutSg, 1, DmaDirection.FromDevice);
                    Dma.UnmapSg(dd.Dev, dd.InSg, 1, DmaDirection.ToDevice);
                }
                else
                {
                    Dma.SyncSingleForDevice(dd.Dev, dd.DmaAddrOut, dd.DmaSize, DmaDirection.FromDevice);

                    /* copy data */
                    count = AtmelTdesSgCopy(dd.OutSg, ref dd.OutOffset, dd.BufOut, dd.Buflen, dd.DmaSize, 1);
                    if (count != dd.DmaSize)
                    {
                        err = -EINVAL;
                        PrErr("not all data converted");
                    }
                }

                return err;
            }

            // atmel_tdes_crypt_dma_stop
            static int AtmelTdesCryptDmaStop(AtmelTdesDev dd)
            {
                int err = -EINVAL;
                ulong count;

                if ((dd.Flags & TdesFlagsDma) != 0)
                {
                    err = 0;
                    if ((dd.Flags & TdesFlagsFast) != 0)
                    {
                        Dma.UnmapSg(dd.Dev, dd.OutSg, 1, DmaDirection.FromDevice);
                        Dma.UnmapSg(dd.Dev, dd.InSg, 1, DmaDirection.ToDevice);
                    }
                    else
                    {
                        Dma.SyncSingleForDevice(dd.Dev, dd.DmaAddrOut, dd.DmaSize, DmaDirection.FromDevice);

                        /* copy data */
                        count = AtmelTdesSgCopy(dd.OutSg, ref dd.OutOffset, dd.BufOut, dd.Buflen, dd.DmaSize, 1);
                        if (count != dd.DmaSize)
                        {
                            err = -EINVAL;
                            PrErr("not all data converted");
                        }
                    }
                }
                return err;
            }

            // atmel_tdes_done_task
            static void AtmelTdesDoneTask(AtmelTdesDev dd)
            {
                int err;

                if (!dd.Caps.HasDma)
                    err = AtmelTdesCryptPdcStop(dd);
                else
                    err = AtmelTdesCryptDmaStop(dd);

                if (dd.Err != 0)
                    err = dd.Err;
                else
                    err = err != 0 ? err : dd.Err;

                if (dd.Total != 0 && err == 0)
                {
                    if ((dd.Flags & TdesFlagsFast) != 0)
                    {
                        // dd->in_sg = sg_next(dd->in_sg); dd->out_sg = sg_next(dd->out_sg); (the next entry's list)
                        if (dd.InSg == null || dd.OutSg == null)
                            err = -EINVAL;
                    }
                    if (err == 0)
                        err = AtmelTdesCryptStart(dd);
                    if (err == 0)
                        return; /* DMA started. Not fininishing. */
                }

                AtmelTdesFinishReq(dd, err);
                TaskletScheduleQueue(dd);
            }
        }
        """;

    // atmel_tdes_crypt_start before f5d643156ef6.
    internal const string StartBeforeFix = """
        static partial class AtmelTdes
        {
            // atmel_tdes_crypt_start
            static int AtmelTdesCryptStart(AtmelTdesDev dd)
            {
                AtmelTdesCtx tfm = dd.Ctx;   // crypto_ablkcipher_tfm(crypto_ablkcipher_reqtfm(dd->req)), its ctx
                int err, fast = 0;
                bool @in, @out;
                ulong count;
                DmaAddr addrIn, addrOut;

                if (dd.InOffset == 0 && dd.OutOffset == 0)
                {
                    /* check for alignment */
                    @in = IsAligned(dd.InSg[0].Offset, sizeof(uint)) && IsAligned(dd.InSg[0].Length, dd.Ctx.BlockSize);
                    @out = IsAligned(dd.OutSg[0].Offset, sizeof(uint)) && IsAligned(dd.OutSg[0].Length, dd.Ctx.BlockSize);
                    fast = @in && @out ? 1 : 0;

                    if (dd.InSg[0].DmaLength != dd.OutSg[0].DmaLength)
                        fast = 0;
                }

                if (fast != 0)
                {
                    count = Math.Min(dd.Total, dd.InSg[0].DmaLength);
                    count = Math.Min(count, dd.OutSg[0].DmaLength);

                    err = Dma.MapSg(dd.Dev, dd.InSg, 1, DmaDirection.ToDevice);
                    if (err == 0)
                    {
                        DevErr(dd, "dma_map_sg() error");
                        return -EINVAL;
                    }

                    err = Dma.MapSg(dd.Dev, dd.OutSg, 1, DmaDirection.FromDevice);
                    if (err == 0)
                    {
                        DevErr(dd, "dma_map_sg() error");
                        Dma.UnmapSg(dd.Dev, dd.InSg, 1, DmaDirection.ToDevice);
                        return -EINVAL;
                    }

                    addrIn = dd.InSg[0].DmaAddress;
                    addrOut = dd.OutSg[0].DmaAddress;

                    dd.Flags |= TdesFlagsFast;
                }
                else
                {
                    /* use cache buffers */
                    count = AtmelTdesSgCopy(dd.InSg, ref dd.InOffset, dd.BufIn, dd.Buflen, dd.Total, 0);

                    addrIn = dd.DmaAddrIn;
                    addrOut = dd.DmaAddrOut;

                    dd.Flags &= ~TdesFlagsFast;
                }

                dd.Total -= count;

                if (dd.Caps.HasDma)
                    err = AtmelTdesCryptDma(tfm, addrIn, addrOut, count);
                else
                    err = AtmelTdesCryptPdc(tfm, addrIn, addrOut, count);

                if (err != 0 && (dd.Flags & TdesFlagsFast) != 0)
                {
                    Dma.UnmapSg(dd.Dev, dd.InSg, 1, DmaDirection.ToDevice);
                    Dma.UnmapSg(dd.Dev, dd.OutSg, 1, {|P2P0021:DmaDirection.ToDevice|});
                }

                return err;
            }
        }
        """;

    internal static readonly string StartFixed = StartBeforeFix.Replace(
        "Dma.UnmapSg(dd.Dev, dd.OutSg, 1, {|P2P0021:DmaDirection.ToDevice|});",
        "Dma.UnmapSg(dd.Dev, dd.OutSg, 1, DmaDirection.FromDevice);");

    [Fact]
    public Task AtmelTdes_BeforeFix_OutSgUnmappedToDevice() =>
        KernelVerify.RunAsync(Types, Buffers, StartBeforeFix);

    [Fact]
    public Task AtmelTdes_AsFixed_NoDiagnostic()
    {
        Assert.Contains("Dma.UnmapSg(dd.Dev, dd.OutSg, 1, DmaDirection.FromDevice);\n", StartFixed);
        Assert.DoesNotContain("{|", StartFixed);
        return KernelVerify.RunAsync(Types, Buffers, StartFixed);
    }
}
