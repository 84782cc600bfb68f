namespace P2PAnalyzers.Corpus;

/// <summary>
/// Violation templates split the way the kernel splits the code around its callbacks: an ops table's function pointer,
/// a request's SGL built in another function than the mapping, a mapping freed by the completion.
/// </summary>
internal static partial class ViolationTemplates
{
    // ath10k before "fix dma unmap direction for management frames", reached through wmi_ops->gen_mgmt_tx_send: the op
    // keeps the address in the pending-frame struct and the completion unmaps it DMA_FROM_DEVICE.
    private static string Ath10kWmiOpsMgmtTx(string c, Rng r) => $$"""
        public sealed class {{c}}OpsPktAddr
        {
            public uint Len;
            public DmaAddr Paddr;
        }

        public sealed class {{c}}WmiOps
        {
            public Func<{{c}}OpsAr, uint, DmaAddr, int>? GenMgmtTxSend;
        }

        public sealed class {{c}}OpsAr
        {
            public PciDevice Dev = null!;
            public {{c}}WmiOps Ops = new();
            public {{c}}OpsPktAddr? Pending;
        }

        public static class {{c}}WmiTlv
        {
            public static void Attach({{c}}OpsAr ar) => ar.Ops.GenMgmtTxSend = OpGenMgmtTxSend;

            // ath10k_wmi_tlv_op_gen_mgmt_tx_send: the address goes into the pending-frame struct
            private static int OpGenMgmtTxSend({{c}}OpsAr ar, uint len, DmaAddr paddr)
            {
                ar.Pending = new {{c}}OpsPktAddr { Len = len, Paddr = paddr };
                return {{r.Next(0, 1)}};
            }
        }

        public static class {{c}}WmiMac
        {
            // ath10k_mgmt_over_wmi_tx_work
            public static int MgmtTx({{c}}OpsAr ar, KernelBuffer frame, uint len)
            {
                DmaAddr paddr = Dma.MapSingle(ar.Dev, frame, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(ar.Dev, paddr))
                {
                    return -12;
                }

                return ar.Ops.GenMgmtTxSend!(ar, len, paddr);
            }

            // wmi_process_mgmt_tx_comp
            public static void MgmtTxComp({{c}}OpsAr ar)
            {
                if (ar.Pending is {{c}}OpsPktAddr pkt)
                {
                    Dma.UnmapSingle(ar.Dev, pkt.Paddr, pkt.Len, DmaDirection.FromDevice);⟦P2P0021⟧
                    ar.Pending = null;
                }
            }
        }
        """;

    // isci's request build: the list mapped in isci_io_request_build with its count kept, the SGL written by
    // sci_request_build_sgl walking every entry with sg_next, and the buffer of a task without a list mapped unchecked
    // into the request and freed by the completion.
    private static string IsciRequestSgl(string c, Rng r) => $$"""
        public sealed class {{c}}SasTask
        {
            public SgTable Scatter = null!;
            public int NumScatter;
            public KernelBuffer Buf = null!;
            public uint TotalXferLen;
        }

        public sealed class {{c}}IsciRequest
        {
            public PciDevice Dev = null!;
            public {{c}}SasTask Task = null!;
            public int NumSgEntries;
            public DmaAddr ZeroScatterDaddr;
            public ulong[] Sgl = new ulong[{{r.Pick(new[] { 8, 16, 32 })}}];
        }

        public static class {{c}}IsciSgl
        {
            // init_sgl_element
            private static void InitElement({{c}}IsciRequest ireq, int i, Scatterlist sg) => ireq.Sgl[i] = sg.DmaAddress.Raw + sg.DmaLength;

            // sci_request_build_sgl
            public static void Build({{c}}IsciRequest ireq)
            {
                if (ireq.Task.NumScatter > 0)
                {
                    Scatterlist? sg = ireq.Task.Scatter[0];
                    int i = 0;
                    while (sg != null)⟦P2P0024⟧
                    {
                        InitElement(ireq, i++, sg);
                        sg = sg.Next();
                    }
                }
                else
                {
                    DmaAddr dmaHandle = Dma.MapSingle(ireq.Dev, ireq.Task.Buf, 0, ireq.Task.TotalXferLen, DmaDirection.ToDevice);⟦P2P0020⟧
                    ireq.ZeroScatterDaddr = dmaHandle;
                    ireq.Sgl[0] = dmaHandle.Raw;
                }
            }

            // isci_io_request_build
            public static int MapRequest({{c}}IsciRequest ireq)
            {
                ireq.NumSgEntries = Dma.MapSg(ireq.Dev, ireq.Task.Scatter, ireq.Task.NumScatter, DmaDirection.ToDevice);
                return ireq.NumSgEntries == 0 ? -12 : 0;
            }

            // isci_request_io_request_complete
            public static void Complete({{c}}IsciRequest ireq)
            {
                if (ireq.Task.NumScatter > 0)
                {
                    Dma.UnmapSg(ireq.Dev, ireq.Task.Scatter, ireq.Task.NumScatter, DmaDirection.ToDevice);
                }
                else
                {
                    Dma.UnmapSingle(ireq.Dev, ireq.ZeroScatterDaddr, ireq.Task.TotalXferLen, DmaDirection.ToDevice);
                }
            }
        }
        """;

    // sahara before Ovidiu Panait's 2023 fixes: sahara_hw_descriptor_create jumps to unmap_in when in_sg fails to map,
    // links in_sg for nb_in_sg entries with a last-link test (the count dma_map_sg returned was overwritten by out_sg's),
    // and returns with both lists mapped; sahara_aes_process returns -ETIMEDOUT before unmapping them.
    private static string SaharaAesDescriptor(string c, Rng r) => $$"""
        public sealed class {{c}}SaharaDev
        {
            public PciDevice Device = null!;
            public SgTable InSg = null!, OutSg = null!;
            public int NbInSg, NbOutSg;
            public uint[] Link = new uint[{{r.Pick(new[] { 16, 32, 64 })}}];
            public uint[] Next = new uint[{{r.Pick(new[] { 16, 32, 64 })}}];
            public bool Completed;
        }

        public static class {{c}}Sahara
        {
            // sahara_hw_descriptor_create
            private static int HwDescriptorCreate({{c}}SaharaDev dev)
            {
                int ret;
                int i;
                Scatterlist? sg;

                ret = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    goto unmap_in;
                }

                ret = Dma.MapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                if (ret == 0)
                {
                    goto unmap_in;
                }

                sg = dev.InSg[0];
                for (i = 0; i < dev.NbInSg; i++)⟦P2P0024⟧
                {
                    dev.Link[i] = (uint)sg!.DmaAddress.Raw;
                    if (i == dev.NbInSg - 1)
                    {
                        dev.Next[i] = 0;
                    }
                    else
                    {
                        dev.Next[i] = (uint)(i + {{r.Next(1, 2)}});
                        sg = sg.Next();
                    }
                }

                return 0;

            unmap_in:
                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);⟦P2P0023⟧
                return -22;
            }

            // sahara_aes_process
            public static int AesProcess({{c}}SaharaDev dev)
            {
                int ret = HwDescriptorCreate(dev);⟦P2P0022⟧
                if (ret != 0)
                {
                    return -22;
                }

                if (!dev.Completed)
                {
                    return -110;
                }

                Dma.UnmapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return 0;
            }
        }
        """;

    // 8139cp's cp_rx_poll before "8139cp: Add dma_mapping_error checking": the old buffer unmapped, the replacement
    // mapped unchecked into the descriptor the device reads.
    private static string Cp8139RxRefill(string c, Rng r) => $$"""
        public sealed class {{c}}CpDesc
        {
            public uint Opts1;
            [DmaAddress] public ulong Addr;
        }

        public sealed class {{c}}Cp
        {
            public PciDevice Pdev = null!;
            public SystemMemory Mem = null!;
            public {{c}}CpDesc[] RxRing = new {{c}}CpDesc[{{r.Pick(new[] { 16, 32, 64 })}}];
            public KernelBuffer?[] RxBuf = new KernelBuffer?[{{r.Pick(new[] { 16, 32, 64 })}}];
            public uint RxBufSz = {{r.Pick(new[] { 1536, 2048 })}};
            public int RxDropped;
        }

        public static class {{c}}Rx
        {
            private static KernelBuffer? AllocRxBuffer({{c}}Cp cp, uint len) => cp.Mem.Kmalloc(len);

            // cp_rx_poll
            public static int Poll({{c}}Cp cp, int budget)
            {
                int rx = 0;
                for (int tail = 0; tail < budget && tail < cp.RxRing.Length; tail++)
                {
                    DmaAddr mapping = DmaAddr.FromRaw(cp.RxRing[tail].Addr);
                    KernelBuffer? newBuf = AllocRxBuffer(cp, cp.RxBufSz);
                    if (newBuf is null)
                    {
                        cp.RxDropped++;
                        goto rxNext;
                    }

                    Dma.UnmapSingle(cp.Pdev, mapping, cp.RxBufSz, DmaDirection.FromDevice);

                    mapping = Dma.MapSingle(cp.Pdev, newBuf, 0, cp.RxBufSz, DmaDirection.FromDevice);⟦P2P0020⟧
                    cp.RxBuf[tail] = newBuf;
                    rx++;

                rxNext:
                    cp.RxRing[tail].Addr = mapping.Raw;
                    cp.RxRing[tail].Opts1 = (1u << 31) | cp.RxBufSz;
                }

                return rx;
            }
        }
        """;
}
