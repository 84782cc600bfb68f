namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// iSER's initiator (drivers/infiniband/ulp/iser/iser_initiator.c, mainline), correct code that maps every buffer it
/// hands the HCA through include/rdma/ib_verbs.h's helpers as every kernel since v5.10 writes them
/// (<see cref="IbVerbsHeader.Mainline"/>): the login request and response buffers mapped in iser_alloc_login_buf
/// (unwinding through <c>unmap_req:</c> when the response's mapping fails) and unmapped in iser_free_login_buf; the
/// receive descriptors mapped in a loop in iser_alloc_rx_descriptors (unwinding the ones mapped so far through
/// <c>rx_desc_dma_map_failed:</c>) and unmapped in iser_free_rx_descriptors; the login request synced around the CPU's
/// copy in iser_send_control and handed to the HCA in its second SGE; the response synced in the completion
/// iser_login_rsp. Must draw nothing.
/// Deviations: the kernel maps the descriptor struct itself (<c>(void *)rx_desc</c>); here its bytes are a
/// <c>KernelBuffer</c> it holds. kmalloc/kfree are a <c>SystemMemory</c> allocation and a dropped reference; the
/// fast-registration pool, the iSCSI session and the posting of work requests are stubs.
/// </summary>
public sealed class IserInitiatorTests
{
    // drivers/infiniband/ulp/iser/iscsi_iser.h: the structures iser_initiator.c works on.
    internal const string Types = """
        sealed class IbPd { public uint LocalDmaLkey; }

        sealed class IbSge
        {
            [DmaAddress] public ulong Addr;   // the HCA reads or writes the buffer there
            public uint Length;
            public uint Lkey;
        }

        sealed class IserDevice
        {
            public IbDevice IbDevice = null!;
            public IbPd Pd = new();
        }

        sealed class IbConn
        {
            public IserDevice Device = null!;
        }

        // struct iser_login_desc
        sealed class IserLoginDesc
        {
            public KernelBuffer? Req;
            public KernelBuffer? Rsp;
            public DmaAddr ReqDma;
            public DmaAddr RspDma;
        }

        // struct iser_rx_desc
        sealed class IserRxDesc
        {
            public KernelBuffer Mem = null!;   // the descriptor's own bytes, which the HCA receives into
            public DmaAddr DmaAddr;
            public IbSge RxSg = new();
        }

        // struct iser_tx_desc
        sealed class IserTxDesc
        {
            public IbSge[] TxSg = { new(), new() };
            public int NumSge;
        }

        sealed class IscsiTask
        {
            public byte[] Data = System.Array.Empty<byte>();
            public int DataCount;
        }

        sealed class IserConn
        {
            public IbConn IbConn = new();
            public IserLoginDesc LoginDesc = new();
            public IserRxDesc[]? RxDescs;
            public int NumRxDescs;
            public int QpMaxRecvDtos;
            public SystemMemory Mem = null!;
        }

        static partial class IserInitiator
        {
            public const ulong IscsiDefMaxRecvSegLen = 8192;
            public const ulong IserRxLoginSize = 8192 + 76;
            public const ulong IserRxPayloadSize = 8192 + 76;
            public const int ENOMEM = 12;

            static int IserAllocFastregPool(IbConn ibConn, int cmdsMax) => 0;
            static void IserFreeFastregPool(IbConn ibConn) { }
            static void IserErr(string message) { }
        }
        """;

    // iser_alloc_login_buf / iser_free_login_buf, iser_alloc_rx_descriptors / iser_free_rx_descriptors (mainline).
    internal const string Buffers = """
        static partial class IserInitiator
        {
            static void IserFreeLoginBuf(IserConn iserConn)
            {
                IserDevice device = iserConn.IbConn.Device;
                IserLoginDesc desc = iserConn.LoginDesc;

                if (desc.Req == null)
                {
                    return;
                }

                IbVerbs.IbDmaUnmapSingle(device.IbDevice, desc.ReqDma, IscsiDefMaxRecvSegLen, DmaDirection.ToDevice);

                IbVerbs.IbDmaUnmapSingle(device.IbDevice, desc.RspDma, IserRxLoginSize, DmaDirection.FromDevice);

                /* make sure we never redo any unmapping */
                desc.Req = null;
                desc.Rsp = null;
            }

            static int IserAllocLoginBuf(IserConn iserConn)
            {
                IserDevice device = iserConn.IbConn.Device;
                IserLoginDesc desc = iserConn.LoginDesc;

                desc.Req = iserConn.Mem.Kmalloc(IscsiDefMaxRecvSegLen);

                desc.ReqDma = IbVerbs.IbDmaMapSingle(device.IbDevice, desc.Req, IscsiDefMaxRecvSegLen, DmaDirection.ToDevice);
                if (IbVerbs.IbDmaMappingError(device.IbDevice, desc.ReqDma))
                {
                    goto freeReq;
                }

                desc.Rsp = iserConn.Mem.Kmalloc(IserRxLoginSize);

                desc.RspDma = IbVerbs.IbDmaMapSingle(device.IbDevice, desc.Rsp, IserRxLoginSize, DmaDirection.FromDevice);
                if (IbVerbs.IbDmaMappingError(device.IbDevice, desc.RspDma))
                {
                    goto freeRsp;
                }

                return 0;

            freeRsp:
                desc.Rsp = null;   // kfree(desc->rsp)
            // unmap_req:
                IbVerbs.IbDmaUnmapSingle(device.IbDevice, desc.ReqDma, IscsiDefMaxRecvSegLen, DmaDirection.ToDevice);
            freeReq:
                desc.Req = null;   // kfree(desc->req)

                return -ENOMEM;
            }

            public static int IserAllocRxDescriptors(IserConn iserConn, int cmdsMax, int scsiCmdsMax)
            {
                int i, j;
                DmaAddr dmaAddr;
                IbConn ibConn = iserConn.IbConn;
                IserDevice device = ibConn.Device;

                iserConn.QpMaxRecvDtos = cmdsMax;

                if (IserAllocFastregPool(ibConn, scsiCmdsMax) != 0)
                {
                    goto createRdmaRegResFailed;
                }

                if (IserAllocLoginBuf(iserConn) != 0)
                {
                    goto allocLoginBufFail;
                }

                iserConn.NumRxDescs = cmdsMax;
                iserConn.RxDescs = new IserRxDesc[iserConn.NumRxDescs];
                for (int k = 0; k < iserConn.NumRxDescs; k++)
                {
                    iserConn.RxDescs[k] = new IserRxDesc { Mem = iserConn.Mem.Kmalloc(IserRxPayloadSize) };
                }

                for (i = 0; i < iserConn.QpMaxRecvDtos; i++)
                {
                    IserRxDesc rxDesc = iserConn.RxDescs[i];
                    dmaAddr = IbVerbs.IbDmaMapSingle(device.IbDevice, rxDesc.Mem, IserRxPayloadSize, DmaDirection.FromDevice);
                    if (IbVerbs.IbDmaMappingError(device.IbDevice, dmaAddr))
                    {
                        goto rxDescDmaMapFailed;
                    }

                    rxDesc.DmaAddr = dmaAddr;
                    IbSge rxSg = rxDesc.RxSg;
                    rxSg.Addr = rxDesc.DmaAddr.Raw;
                    rxSg.Length = (uint)IserRxPayloadSize;
                    rxSg.Lkey = device.Pd.LocalDmaLkey;
                }

                return 0;

            rxDescDmaMapFailed:
                for (j = 0; j < i; j++)
                {
                    IbVerbs.IbDmaUnmapSingle(device.IbDevice, iserConn.RxDescs[j].DmaAddr, IserRxPayloadSize, DmaDirection.FromDevice);
                }

                iserConn.RxDescs = null;   // kfree(iser_conn->rx_descs)
                IserFreeLoginBuf(iserConn);
            allocLoginBufFail:
                IserFreeFastregPool(ibConn);
            createRdmaRegResFailed:
                IserErr("failed allocating rx descriptors / data buffers");
                return -ENOMEM;
            }

            public static void IserFreeRxDescriptors(IserConn iserConn)
            {
                IbConn ibConn = iserConn.IbConn;
                IserDevice device = ibConn.Device;

                IserFreeFastregPool(ibConn);

                for (int i = 0; i < iserConn.QpMaxRecvDtos; i++)
                {
                    IbVerbs.IbDmaUnmapSingle(device.IbDevice, iserConn.RxDescs![i].DmaAddr, IserRxPayloadSize, DmaDirection.FromDevice);
                }

                iserConn.RxDescs = null;   // kfree(iser_conn->rx_descs)
                /* make sure we never redo any unmapping */
                IserFreeLoginBuf(iserConn);
            }
        }
        """;

    // iser_send_control's login data and the login response's completion, iser_login_rsp (mainline).
    internal const string Control = """
        static partial class IserInitiator
        {
            public static int IserSendControl(IserConn iserConn, IscsiTask task, IserTxDesc mdesc, bool isLoginTask)
            {
                IserDevice device = iserConn.IbConn.Device;
                ulong dataSegLen = (ulong)task.DataCount;

                if (dataSegLen > 0)
                {
                    IserLoginDesc desc = iserConn.LoginDesc;
                    IbSge txDsg = mdesc.TxSg[1];

                    if (!isLoginTask)
                    {
                        IserErr("data present on non login task!!!");
                        return -22;
                    }

                    IbVerbs.IbDmaSyncSingleForCpu(device.IbDevice, desc.ReqDma, (ulong)task.DataCount, DmaDirection.ToDevice);

                    desc.Req!.Write(0, task.Data);

                    IbVerbs.IbDmaSyncSingleForDevice(device.IbDevice, desc.ReqDma, (ulong)task.DataCount, DmaDirection.ToDevice);

                    txDsg.Addr = desc.ReqDma.Raw;
                    txDsg.Length = (uint)task.DataCount;
                    txDsg.Lkey = device.Pd.LocalDmaLkey;
                    mdesc.NumSge = 2;
                }

                return 0;
            }

            public static void IserLoginRsp(IserConn iserConn, bool success)
            {
                IserLoginDesc desc = iserConn.LoginDesc;
                if (!success)
                {
                    return;
                }

                IbVerbs.IbDmaSyncSingleForCpu(iserConn.IbConn.Device.IbDevice, desc.RspDma, IserRxLoginSize, DmaDirection.FromDevice);

                byte[] hdr = desc.Rsp!.Read(0, 48);

                IbVerbs.IbDmaSyncSingleForDevice(iserConn.IbConn.Device.IbDevice, desc.RspDma, IserRxLoginSize, DmaDirection.FromDevice);
            }
        }
        """;

    [Fact]
    public Task IserInitiator_Mainline_NoDiagnostic() => KernelVerify.RunAsync(IbVerbsHeader.Mainline, Types, Buffers, Control);

    // The same code against the v4.9 header, whose helpers defer to a device's own DMA operations.
    [Fact]
    public Task IserInitiator_WithDmaOpsHeader_NoDiagnostic() => KernelVerify.RunAsync(IbVerbsHeader.WithDmaOps, Types, Buffers, Control);
}
