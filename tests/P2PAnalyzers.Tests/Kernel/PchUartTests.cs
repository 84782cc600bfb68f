namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// pch_uart (drivers/tty/serial/pch_uart.c, Intel EG20T PCH / LAPIS ML7213/ML7223/ML7831 IOH UART, a PCI device) and
/// its TX DMA path, with two real fixes of the same confusion (P2P0024), both with Fixes: da3564ee027e ("pch_uart: add
/// multi-scatter processing"):
/// <list type="bullet">
/// <item>74887542fdcc "tty: serial: pch_uart: correct usage of dma_unmap_sg" (Peng Fan, 2019): dma_handle_tx kept
/// dma_map_sg's returned count in priv-&gt;nent and the TX completion pch_dma_tx_complete unmapped with it; the fix adds
/// priv-&gt;orig_nent = num and unmaps with it (diff read from the 4.19 stable review patch).</item>
/// <item>6c0e9f05c9d7 "pch_uart: Fix dma_sync_sg_for_device() nents value" (Thomas Fourier, 2025): dma_handle_tx synced
/// with the returned count nent; the fix syncs with num (diff read from the 6.1 stable review patch).</item>
/// </list>
/// The before-fix code is the stored torvalds/linux pch_uart.c (pre-5.5 form, dma_handle_tx / pch_dma_tx_complete),
/// the middle and fixed versions are that code with the two diffs applied. Transliterated as the kernel splits it:
/// dma_handle_tx maps and submits (from the interrupt handler), pch_dma_tx_complete (the dmaengine callback) walks the
/// mapped segments and unmaps. The kernel's pointer walk <c>sg++</c> is <c>sg = sg.Next()</c>. Two deviations, both
/// library gaps: (1) the kernel unmaps with the cursor <c>sg</c> left past the walked entries (a pointer into the
/// middle of the list); <c>Dma.UnmapSg</c> takes a table, so the unmap is given <c>priv.SgTxP</c>; (2) the dmaengine
/// slave channel (device_prep_slave_sg, tx_submit) is a small stub class.
/// </summary>
public sealed class PchUartTests
{
    internal const string Types = """
        // struct circ_buf
        sealed class CircBuf
        {
            public KernelBuffer Buf = null!;
            public int Head;
            public int Tail;
        }

        sealed class DmaAsyncTxDescriptor
        {
            public Action<object>? Callback;
            public object? CallbackParam;
            public void TxSubmit() { }
        }

        // struct dma_chan (the slave channel of the PCH DMA controller)
        sealed class DmaChan
        {
            public bool Broken;
            // device->device_prep_slave_sg / dmaengine_prep_slave_sg
            public DmaAsyncTxDescriptor? PrepSlaveSg(SgTable sgl, int sgLen, int direction, ulong flags) =>
                Broken || sgLen == 0 ? null : new DmaAsyncTxDescriptor();
        }

        // struct uart_port (the part used here); dev is &pdev->dev
        sealed class UartPort
        {
            public PciDevice Dev = null!;
            public CircBuf Xmit = null!;   // &port->state->xmit
            public int Fifosize;
            public int IcountRx;
            public int IcountTx;
            public byte XChar;
        }

        // struct eg20t_port
        sealed class Eg20tPort
        {
            public UartPort Port = new();
            public int FifoSize;
            public int StartTx;
            public int TxEmpty;
            public DmaChan? ChanTx;
            public SgTable? SgTxP;
            public int Nent;
            public int OrigNent;           // only read after 74887542fdcc
            public int TxDmaUse;
            public DmaAsyncTxDescriptor? DescTx;
            public DmaChan? ChanRx;
            public SgTable SgRx = SgTable.Alloc(1);   // struct scatterlist sg_rx
            public KernelBuffer? RxBufVirt;
            public DmaAddr RxBufDma;
            public DmaAsyncTxDescriptor? DescRx;
            public int TriggerLevel;
            public SystemMemory Mem = null!;
        }

        static partial class PchUart
        {
            const int UartXmitSize = 4096;       // UART_XMIT_SIZE (PAGE_SIZE)
            const int PchUartHalTxInt = 1;
            const int PchUartHandledTxInt = 4;   // PCH_UART_HANDLED_TX_INT
            const int DmaMemToDev = 1;
            const ulong DmaPrepInterrupt = 1, DmaCtrlAck = 2;

            static void PchUartHalDisableInterrupt(Eg20tPort priv, int mask) { }
            static void PchUartHalEnableInterrupt(Eg20tPort priv, int mask) { }
            static void PchUartHalWrite(Eg20tPort priv, KernelBuffer buf, int size) { }
            static void UartWriteWakeup(UartPort port) { }
            static void DevErr(UartPort port, string msg) { }
            static void AsyncTxAck(DmaAsyncTxDescriptor? desc) { }
            static void DmaAsyncIssuePending(DmaChan? chan) { }
            static void Kfree(SgTable? sg) { }

            static int CircCnt(int head, int tail, int size) => (head - tail) & (size - 1);
            static int CircCntToEnd(int head, int tail, int size)
            {
                int end = size - tail;
                int n = (head + end) & (size - 1);
                return n < end ? n : end;
            }

            // pop_tx_x
            static int PopTxX(Eg20tPort priv)
            {
                UartPort port = priv.Port;
                if (port.XChar != 0)
                {
                    port.XChar = 0;
                    return 1;
                }
                return 0;
            }
        }
        """;

    // pch_request_dma (its RX buffer), pch_free_dma, dma_handle_rx, pch_dma_rx_complete: unchanged by both fixes, must
    // draw nothing. The RX buffer is dma_alloc_coherent memory whose handle dma_handle_rx writes into sg_rx by hand.
    internal const string Rx = """
        static partial class PchUart
        {
            // pch_request_dma (channel lookup reduced to the two channels it stores)
            static void PchRequestDma(Eg20tPort priv, DmaChan? chanTx, DmaChan? chanRx)
            {
                UartPort port = priv.Port;

                if (chanTx == null)
                {
                    DevErr(port, "dma_request_channel FAILS(Tx)");
                    return;
                }
                priv.ChanTx = chanTx;

                if (chanRx == null)
                {
                    DevErr(port, "dma_request_channel FAILS(Rx)");
                    priv.ChanTx = null;   // dma_release_channel(priv->chan_tx)
                    return;
                }

                /* Get Consistent memory for DMA */
                priv.RxBufVirt = Dma.AllocCoherent(port.Dev, (ulong)port.Fifosize, out priv.RxBufDma);
                priv.ChanRx = chanRx;
            }

            // pch_free_dma
            static void PchFreeDma(Eg20tPort priv)
            {
                UartPort port = priv.Port;

                priv.ChanTx = null;
                priv.ChanRx = null;
                if (priv.SgRx[0].DmaAddress.Raw != 0)
                    Dma.FreeCoherent(port.Dev, (ulong)port.Fifosize, priv.RxBufVirt!, priv.SgRx[0].DmaAddress);
            }

            // pch_dma_rx_complete
            static void PchDmaRxComplete(object arg)
            {
                Eg20tPort priv = (Eg20tPort)arg;
                UartPort port = priv.Port;

                Dma.SyncSgForCpu(port.Dev, priv.SgRx, 1, DmaDirection.FromDevice);
                port.IcountRx += priv.TriggerLevel;   // dma_push_rx: tty_insert_flip_string(sg_virt(&priv->sg_rx))
                AsyncTxAck(priv.DescRx);
                PchUartHalEnableInterrupt(priv, 2);
            }

            // dma_handle_rx
            static int DmaHandleRx(Eg20tPort priv)
            {
                UartPort port = priv.Port;
                DmaAsyncTxDescriptor? desc;
                Scatterlist sg;

                priv.SgRx = SgTable.Alloc(1);   // sg_init_table(&priv->sg_rx, 1)
                sg = priv.SgRx[0];

                sg.DmaLength = (ulong)priv.TriggerLevel;

                sg.SetPage(priv.RxBufVirt!.Page, sg.DmaLength, 0);

                sg.DmaAddress = priv.RxBufDma;

                desc = priv.ChanRx!.PrepSlaveSg(priv.SgRx, 1, 2, DmaPrepInterrupt | DmaCtrlAck);

                if (desc == null)
                    return 0;

                priv.DescRx = desc;
                desc.Callback = PchDmaRxComplete;
                desc.CallbackParam = priv;
                desc.TxSubmit();
                DmaAsyncIssuePending(priv.ChanRx);

                return 8;   // PCH_UART_HANDLED_RX_INT
            }
        }
        """;

    // dma_handle_tx and pch_dma_tx_complete before 74887542fdcc.
    internal const string TxBeforeFix = """
        static partial class PchUart
        {
            // pch_dma_tx_complete (the dmaengine callback of the TX descriptor)
            static void PchDmaTxComplete(object arg)
            {
                Eg20tPort priv = (Eg20tPort)arg;
                UartPort port = priv.Port;
                CircBuf xmit = port.Xmit;
                Scatterlist? sg = priv.SgTxP![0];
                int i;

                for (i = 0; i < priv.Nent; i++, sg = sg!.Next())
                {
                    xmit.Tail += (int)sg!.DmaLength;
                    port.IcountTx += (int)sg.DmaLength;
                }
                xmit.Tail &= UartXmitSize - 1;
                AsyncTxAck(priv.DescTx);
                Dma.UnmapSg(port.Dev, priv.SgTxP, {|P2P0024:priv.Nent|}, DmaDirection.ToDevice);
                priv.TxDmaUse = 0;
                priv.Nent = 0;
                Kfree(priv.SgTxP);
                PchUartHalEnableInterrupt(priv, PchUartHalTxInt);
            }

            // dma_handle_tx (from pch_uart_interrupt, THRE)
            static int DmaHandleTx(Eg20tPort priv)
            {
                UartPort port = priv.Port;
                CircBuf xmit = port.Xmit;
                Scatterlist? sg;
                int nent;
                int fifoSize;
                int txEmpty;
                DmaAsyncTxDescriptor? desc;
                int num;
                int i;
                int bytes;
                int size;
                int rem;

                if (priv.StartTx == 0)
                {
                    PchUartHalDisableInterrupt(priv, PchUartHalTxInt);
                    priv.TxEmpty = 1;
                    return 0;
                }

                if (priv.TxDmaUse != 0)
                {
                    PchUartHalDisableInterrupt(priv, PchUartHalTxInt);
                    priv.TxEmpty = 1;
                    return 0;
                }

                fifoSize = Math.Max(priv.FifoSize, 1);
                txEmpty = 1;
                if (PopTxX(priv) != 0)
                {
                    PchUartHalWrite(priv, xmit.Buf, 1);
                    port.IcountTx++;
                    txEmpty = 0;
                    fifoSize--;
                }

                bytes = Math.Min(CircCnt(xmit.Head, xmit.Tail, UartXmitSize), CircCntToEnd(xmit.Head, xmit.Tail, UartXmitSize));
                if (bytes == 0)
                {
                    PchUartHalDisableInterrupt(priv, PchUartHalTxInt);
                    UartWriteWakeup(port);
                    return 0;
                }

                if (bytes > fifoSize)
                {
                    num = bytes / fifoSize + 1;
                    size = fifoSize;
                    rem = bytes % fifoSize;
                }
                else
                {
                    num = 1;
                    size = bytes;
                    rem = bytes;
                }

                priv.TxDmaUse = 1;

                priv.SgTxP = SgTable.Alloc(num);  // kzalloc + sg_init_table

                sg = priv.SgTxP[0];
                for (i = 0; i < num; i++, sg = sg!.Next())
                {
                    if (i == (num - 1))
                        sg!.SetPage(xmit.Buf.Page, (ulong)rem, (ulong)(fifoSize * i));
                    else
                        sg!.SetPage(xmit.Buf.Page, (ulong)size, (ulong)(fifoSize * i));
                }

                sg = priv.SgTxP[0];
                nent = {|MissedP2P0022:Dma.MapSg(port.Dev, priv.SgTxP, num, DmaDirection.ToDevice)|};  // not reported: `if (!desc) return 0;` below returns 0 (not an error per the P2P0022 page) and the map is a table mapping kept in fields
                if (nent == 0)
                {
                    DevErr(port, "dma_map_sg Failed");
                    return 0;
                }
                priv.Nent = nent;

                for (i = 0; i < nent; i++, sg = sg!.Next())
                {
                    ulong offset = (ulong)((xmit.Tail & (UartXmitSize - 1)) + fifoSize * i);
                    sg!.DmaAddress = DmaAddr.FromRaw((sg.DmaAddress.Raw & ~(ulong)(UartXmitSize - 1)) + offset);
                    if (i == (nent - 1))
                        sg.DmaLength = (ulong)rem;
                    else
                        sg.DmaLength = (ulong)size;
                }

                desc = priv.ChanTx!.PrepSlaveSg(priv.SgTxP, nent, DmaMemToDev, DmaPrepInterrupt | DmaCtrlAck);
                if (desc == null)
                {
                    DevErr(port, "device_prep_slave_sg Failed");
                    return 0;
                }
                Dma.SyncSgForDevice(port.Dev, priv.SgTxP, {|P2P0024:nent|}, DmaDirection.ToDevice);
                priv.DescTx = desc;
                desc.Callback = PchDmaTxComplete;
                desc.CallbackParam = priv;

                desc.TxSubmit();

                DmaAsyncIssuePending(priv.ChanTx);

                return PchUartHandledTxInt;
            }
        }
        """;

    // After 74887542fdcc "tty: serial: pch_uart: correct usage of dma_unmap_sg": the unmap takes orig_nent; the sync
    // still takes the count (fixed only by 6c0e9f05c9d7).
    internal static readonly string TxUnmapFixed = TxBeforeFix
        .Replace(
            "Dma.UnmapSg(port.Dev, priv.SgTxP, {|P2P0024:priv.Nent|}, DmaDirection.ToDevice);\n        priv.TxDmaUse = 0;\n        priv.Nent = 0;\n",
            "Dma.UnmapSg(port.Dev, priv.SgTxP, priv.OrigNent, DmaDirection.ToDevice);\n        priv.TxDmaUse = 0;\n        priv.Nent = 0;\n        priv.OrigNent = 0;\n")
        .Replace("        priv.Nent = nent;\n", "        priv.OrigNent = num;\n        priv.Nent = nent;\n");

    // After 6c0e9f05c9d7 "pch_uart: Fix dma_sync_sg_for_device() nents value" as well (mainline).
    internal static readonly string TxFixed = TxUnmapFixed.Replace(
        "Dma.SyncSgForDevice(port.Dev, priv.SgTxP, {|P2P0024:nent|}, DmaDirection.ToDevice);",
        "Dma.SyncSgForDevice(port.Dev, priv.SgTxP, num, DmaDirection.ToDevice);");

    [Fact]
    public Task PchUart_BeforeFix_UnmapAndSyncWithMappedCount() =>
        KernelVerify.RunAsync(Types, Rx, TxBeforeFix);

    [Fact]
    public Task PchUart_After74887542_SyncStillWithMappedCount()
    {
        Assert.Contains("priv.OrigNent = num;", TxUnmapFixed);
        Assert.Contains("Dma.UnmapSg(port.Dev, priv.SgTxP, priv.OrigNent,", TxUnmapFixed);
        Assert.Contains("{|P2P0024:nent|}", TxUnmapFixed);
        return KernelVerify.RunAsync(Types, Rx, TxUnmapFixed);
    }

    [Fact]
    public Task PchUart_AsFixed_NoDiagnostic()
    {
        Assert.Contains("Dma.SyncSgForDevice(port.Dev, priv.SgTxP, num,", TxFixed);
        Assert.DoesNotContain("{|P2P", TxFixed);
        return KernelVerify.RunAsync(Types, Rx, TxFixed);
    }
}
