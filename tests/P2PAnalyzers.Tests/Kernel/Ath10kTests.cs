namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// ath10k management frames sent by reference (drivers/net/wireless/ath/ath10k/mac.c, wmi-tlv.c, wmi.c) before
/// "ath10k: fix dma unmap direction for management frames" (Rakesh Pillai, 2019, 6e8a8991e210) and "ath10k: Correct
/// error handling of dma_map_single()" (Bjorn Andersson, 2019). ath10k_mgmt_over_wmi_tx_work (mac.c) maps the frame
/// DMA_TO_DEVICE, tests the address against zero instead of dma_mapping_error(), and hands it to
/// ath10k_wmi_mgmt_tx_send; the WMI-TLV op (wmi-tlv.c) keeps {skb, paddr} in a kmalloc'd ath10k_mgmt_tx_pkt_addr
/// registered in the mgmt_pending_tx idr under the msdu id and writes the address into the firmware command. When the
/// send fails, the work item unmaps DMA_FROM_DEVICE; when the firmware reports the completion,
/// wmi_process_mgmt_tx_comp (wmi.c) finds the pkt_addr by desc_id and unmaps it DMA_FROM_DEVICE too.
/// </summary>
public sealed class Ath10kTests
{
    // struct ath10k, struct ath10k_wmi, struct ath10k_mgmt_tx_pkt_addr, the wmi_ops table and an idr.
    internal const string Core = """
        sealed class SkBuff
        {
            public KernelBuffer Data = null!;
            public uint Len;
            public int MsduId;  // ATH10K_SKB_CB(skb)->msdu_id
            public bool Acked;  // IEEE80211_SKB_CB(skb)->flags & IEEE80211_TX_STAT_ACK
        }

        // include/linux/idr.h, as the driver uses it
        sealed class Idr<T> where T : class
        {
            private readonly Dictionary<int, T> _map = new();

            public int Alloc(T ptr, int start, int end)
            {
                for (int id = start; id < end; id++)
                {
                    if (!_map.ContainsKey(id))
                    {
                        _map[id] = ptr;
                        return id;
                    }
                }

                return -28;  // -ENOSPC
            }

            public T? Find(int id) => _map.TryGetValue(id, out T? ptr) ? ptr : null;

            public T? Remove(int id) => _map.Remove(id, out T? ptr) ? ptr : null;
        }

        // struct ath10k_mgmt_tx_pkt_addr
        sealed class Ath10kMgmtTxPktAddr
        {
            public SkBuff Vaddr = null!;
            public DmaAddr Paddr;
        }

        // struct wmi_ops: the TLV firmware's ops are set by ath10k_wmi_tlv_attach
        sealed class WmiOps
        {
            public Func<Ath10k, SkBuff, DmaAddr, SkBuff?>? GenMgmtTxSend;
        }

        // struct ath10k_wmi
        sealed class Ath10kWmi
        {
            public WmiOps Ops = new();
            public Idr<Ath10kMgmtTxPktAddr> MgmtPendingTx = new();
            public int MgmtMaxNumPendingTx = 128;
            public uint MgmtTxSendCmdid = 0x0b001;
        }

        // struct ath10k
        sealed class Ath10k
        {
            public PciDevice Dev = null!;
            public SystemMemory Mem = null!;
            public object DataLock = new();
            public Ath10kWmi Wmi = new();
            public Queue<SkBuff> WmiMgmtTxQueue = new();
            public bool MgmtTxByRef;  // test_bit(ATH10K_FW_FEATURE_MGMT_TX_BY_REF, running_fw->fw_file.fw_features)
            public List<SkBuff> WmiCmdQueue = new();
        }

        static class Ath10kWmiCmd
        {
            // ath10k_wmi_cmd_send
            public static int CmdSend(Ath10k ar, SkBuff skb, uint cmdId)
            {
                if (ar.WmiCmdQueue.Count > 64)
                {
                    return -11;  // -EAGAIN
                }

                ar.WmiCmdQueue.Add(skb);
                return 0;
            }

            // ath10k_wmi_mgmt_tx_send (wmi-ops.h)
            public static int MgmtTxSend(Ath10k ar, SkBuff msdu, DmaAddr paddr)
            {
                SkBuff? skb;
                int ret;

                if (ar.Wmi.Ops.GenMgmtTxSend is null)
                {
                    return -95;  // -EOPNOTSUPP
                }

                skb = ar.Wmi.Ops.GenMgmtTxSend(ar, msdu, paddr);
                if (skb is null)
                {
                    return -12;  // PTR_ERR(skb)
                }

                ret = CmdSend(ar, skb, ar.Wmi.MgmtTxSendCmdid);
                if (ret != 0)
                {
                    return ret;
                }

                return 0;
            }

            // ath10k_wmi_mgmt_tx (by value)
            public static int MgmtTx(Ath10k ar, SkBuff msdu) => CmdSend(ar, msdu, 0x0b000);
        }
        """;

    // wmi-tlv.c: the op that registers {skb, paddr} under an msdu id and builds the firmware command.
    internal const string WmiTlv = """
        // struct wmi_tlv_mgmt_tx_cmd: what the firmware reads
        sealed class WmiTlvMgmtTxCmd
        {
            public uint VdevId;
            public uint DescId;
            public uint ChanFreq;
            public uint PaddrLo;
            public uint PaddrHi;
            public uint FrameLen;
            public uint BufLen;
        }

        static class Ath10kWmiTlv
        {
            // ath10k_wmi_tlv_attach: the ops table
            public static void Attach(Ath10k ar) => ar.Wmi.Ops.GenMgmtTxSend = OpGenMgmtTxSend;

            // ath10k_wmi_mgmt_tx_alloc_msdu_id
            static int MgmtTxAllocMsduId(Ath10k ar, SkBuff skb, DmaAddr paddr)
            {
                Ath10kWmi wmi = ar.Wmi;
                Ath10kMgmtTxPktAddr pktAddr;
                int ret;

                pktAddr = new Ath10kMgmtTxPktAddr();  // kmalloc(sizeof(*pkt_addr), GFP_ATOMIC)
                pktAddr.Vaddr = skb;
                pktAddr.Paddr = paddr;

                lock (ar.DataLock)
                {
                    ret = wmi.MgmtPendingTx.Alloc(pktAddr, 0, wmi.MgmtMaxNumPendingTx);
                }

                return ret;
            }

            // ath10k_wmi_tlv_op_gen_mgmt_tx_send
            static SkBuff? OpGenMgmtTxSend(Ath10k ar, SkBuff msdu, DmaAddr paddr)
            {
                var cmd = new WmiTlvMgmtTxCmd();
                uint bufLen = msdu.Len < 64 ? msdu.Len : 64;  // min_t(u32, msdu->len, WMI_TLV_MGMT_TX_FRAME_MAX_LEN)
                int descId;

                descId = MgmtTxAllocMsduId(ar, msdu, paddr);
                if (descId < 0)
                {
                    return null;
                }

                msdu.MsduId = descId;
                cmd.DescId = (uint)descId;
                cmd.PaddrLo = (uint)(paddr.Raw & 0xffffffff);  // cpu_to_le32(lower_32_bits(paddr))
                cmd.PaddrHi = (uint)(paddr.Raw >> 32);          // cpu_to_le32(upper_32_bits(paddr))
                cmd.FrameLen = msdu.Len;
                cmd.BufLen = bufLen;

                return new SkBuff { Data = ar.Mem.Kmalloc(64), Len = 28 };  // ath10k_wmi_alloc_skb + the TLVs
            }
        }
        """;

    // mac.c, before both fixes: `if (!paddr)` and DMA_FROM_DEVICE on the send's failure.
    internal const string MacBeforeFix = """
        static class Ath10kMac
        {
            static void FreeTxskb(Ath10k ar, SkBuff skb) => skb.Len = 0;  // ieee80211_free_txskb

            // ath10k_mgmt_over_wmi_tx_work
            public static void MgmtOverWmiTxWork(Ath10k ar)
            {
                SkBuff? skb;
                DmaAddr paddr;
                int ret;

                for (;;)
                {
                    if (!ar.WmiMgmtTxQueue.TryDequeue(out skb))
                    {
                        break;
                    }

                    if (ar.MgmtTxByRef)
                    {
                        paddr = {|P2P0020:Dma.MapSingle(ar.Dev, skb.Data, 0, skb.Len, DmaDirection.ToDevice)|};
                        if (paddr.Raw == 0)
                        {
                            continue;
                        }

                        ret = Ath10kWmiCmd.MgmtTxSend(ar, skb, paddr);
                        if (ret != 0)
                        {
                            // ath10k_warn(ar, "failed to transmit management frame by ref via WMI: %d\n", ret);
                            Dma.UnmapSingle(ar.Dev, paddr, skb.Len, {|P2P0021:DmaDirection.FromDevice|});
                            FreeTxskb(ar, skb);
                        }
                    }
                    else
                    {
                        ret = Ath10kWmiCmd.MgmtTx(ar, skb);
                        if (ret != 0)
                        {
                            FreeTxskb(ar, skb);
                        }
                    }
                }
            }
        }
        """;

    // wmi.c, before the direction fix: the completion unmaps what the idr kept, DMA_FROM_DEVICE.
    internal const string WmiBeforeFix = """
        static class Ath10kWmiEvents
        {
            // wmi_process_mgmt_tx_comp
            public static int ProcessMgmtTxComp(Ath10k ar, uint descId, uint status)
            {
                Ath10kMgmtTxPktAddr? pktAddr;
                Ath10kWmi wmi = ar.Wmi;
                SkBuff msdu;
                int ret;

                System.Threading.Monitor.Enter(ar.DataLock);  // spin_lock_bh(&ar->data_lock)

                pktAddr = wmi.MgmtPendingTx.Find((int)descId);
                if (pktAddr is null)
                {
                    // ath10k_warn(ar, "received mgmt tx completion for invalid msdu_id: %d\n", desc_id);
                    ret = -2;  // -ENOENT
                    goto @out;
                }

                msdu = pktAddr.Vaddr;
                Dma.UnmapSingle(ar.Dev, pktAddr.Paddr, msdu.Len, {|P2P0021:DmaDirection.FromDevice|});

                msdu.Acked = status == 0;
                // ieee80211_tx_status_irqsafe(ar->hw, msdu);

                ret = 0;

            @out:
                wmi.MgmtPendingTx.Remove((int)descId);
                System.Threading.Monitor.Exit(ar.DataLock);
                return ret;
            }
        }
        """;

    [Fact]
    public Task Ath10kMgmtTxByRef_BeforeFixes_ZeroTestAndFromDeviceUnmapsOnSendFailureAndCompletion_Reports() =>
        KernelVerify.RunAsync(Core, WmiTlv, MacBeforeFix, WmiBeforeFix);

    // As fixed by both commits: dma_mapping_error() (the dequeued skb freed), DMA_TO_DEVICE at both unmaps.
    [Fact]
    public Task Ath10kMgmtTxByRef_AsFixed_MappingErrorChecked_ToDeviceUnmaps_NoDiagnostic() => KernelVerify.RunAsync(
        Core,
        WmiTlv,
        """
        static class Ath10kMac
        {
            static void FreeTxskb(Ath10k ar, SkBuff skb) => skb.Len = 0;

            // ath10k_mgmt_over_wmi_tx_work
            public static void MgmtOverWmiTxWork(Ath10k ar)
            {
                SkBuff? skb;
                DmaAddr paddr;
                int ret;

                for (;;)
                {
                    if (!ar.WmiMgmtTxQueue.TryDequeue(out skb))
                    {
                        break;
                    }

                    if (ar.MgmtTxByRef)
                    {
                        paddr = Dma.MapSingle(ar.Dev, skb.Data, 0, skb.Len, DmaDirection.ToDevice);
                        if (Dma.MappingError(ar.Dev, paddr))
                        {
                            FreeTxskb(ar, skb);
                            continue;
                        }

                        ret = Ath10kWmiCmd.MgmtTxSend(ar, skb, paddr);
                        if (ret != 0)
                        {
                            Dma.UnmapSingle(ar.Dev, paddr, skb.Len, DmaDirection.ToDevice);
                            FreeTxskb(ar, skb);
                        }
                    }
                    else
                    {
                        ret = Ath10kWmiCmd.MgmtTx(ar, skb);
                        if (ret != 0)
                        {
                            FreeTxskb(ar, skb);
                        }
                    }
                }
            }
        }
        """,
        """
        static class Ath10kWmiEvents
        {
            // wmi_process_mgmt_tx_comp
            public static int ProcessMgmtTxComp(Ath10k ar, uint descId, uint status)
            {
                Ath10kMgmtTxPktAddr? pktAddr;
                Ath10kWmi wmi = ar.Wmi;
                SkBuff msdu;
                int ret;

                System.Threading.Monitor.Enter(ar.DataLock);

                pktAddr = wmi.MgmtPendingTx.Find((int)descId);
                if (pktAddr is null)
                {
                    ret = -2;
                    goto @out;
                }

                msdu = pktAddr.Vaddr;
                Dma.UnmapSingle(ar.Dev, pktAddr.Paddr, msdu.Len, DmaDirection.ToDevice);

                msdu.Acked = status == 0;

                ret = 0;

            @out:
                wmi.MgmtPendingTx.Remove((int)descId);
                System.Threading.Monitor.Exit(ar.DataLock);
                return ret;
            }
        }
        """);
}
