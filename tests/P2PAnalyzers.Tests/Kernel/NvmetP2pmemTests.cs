namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// The NVMe-oF target's P2P memory (drivers/nvme/target/core.c, rdma.c; mainline as read at torvalds/linux, the
/// core.c text around nvmet_p2pmem_ns_add_p2p, and 2021's nvmet_req_alloc_p2pmem_sgls/nvmet_req_find_p2p_dev split),
/// correct code: the distance is used to choose a provider, never to decide how to map. nvmet_p2pmem_ns_enable
/// refuses a configured p2pmem device the namespace's block device cannot reach (pci_p2pdma_distance &lt; 0) or looks
/// for any (pci_p2pmem_find); nvmet_p2pmem_ns_add_p2p, when a host connects, keeps per namespace the device that both
/// the RDMA device and the namespace reach (the distance again, or pci_p2pmem_find_many) in ctrl->p2p_ns_map;
/// nvmet_req_alloc_sgls takes a P2P sgl from it (pci_p2pmem_alloc_sgl) or falls back to RAM (sgl_alloc); nvmet-rdma
/// hands the sgl to rdma_rw_ctx_init (mainline rw.c, P2P-aware dma_map_sgtable) and releases it in
/// nvmet_rdma_release_rsp after rdma_rw_ctx_destroy. Must draw nothing.
/// pci_p2pmem_alloc_sgl and pci_p2pmem_free_sgl are the library's (PciP2PDma.AllocSgl, FreeSgl; the trial that wrote
/// this test had to stub them).
/// </summary>
public sealed class NvmetP2pmemTests
{
    private const string Nvmet = """
        sealed class NvmetNs
        {
            public uint Nsid;
            public bool UseP2PMem;
            public PciDevice? P2PDev;          // configfs p2pmem=<bdf>
            public PciDevice Bdev = null!;     // nvmet_ns_dev(ns): the namespace's block device's controller
            public string DevicePath = "";
        }

        sealed class NvmetSubsys
        {
            public List<NvmetNs> Namespaces = new();
        }

        sealed class NvmetCtrl
        {
            public NvmetSubsys Subsys = null!;
            public Device? P2PClient;
            public Dictionary<uint, PciDevice> P2PNsMap = new();   // radix tree p2p_ns_map
        }

        sealed class NvmetSq
        {
            public NvmetCtrl? Ctrl;
            public ushort Qid;
        }

        sealed class NvmetReq
        {
            public NvmetSq Sq = null!;
            public NvmetNs? Ns;
            public Device? P2PClient;
            public PciDevice? P2PDev;
            public SgTable? Sg;
            public int SgCnt;
            public SgTable? MetadataSg;
            public int MetadataSgCnt;
            public uint TransferLen;
            public uint MetadataLen;
        }

        static class Sgl
        {
            // sgl_alloc: RAM pages
            public static SgTable? Alloc(PciDevice anyDev, uint length, out int nents)
            {
                int pages = (int)((length + 4095) / 4096);
                nents = pages;
                return pages == 0 ? null : SgTable.FromPages(anyDev.Topology.Memory.AllocPages(pages));
            }

            public static void Free(SgTable sg)
            {
            }
        }
        """;

    private const string Core = """
        static class NvmetCore
        {
            // nvmet_p2pmem_ns_enable
            public static int P2PmemNsEnable(NvmetNs ns)
            {
                if (!ns.UseP2PMem)
                {
                    return 0;
                }

                if (ns.P2PDev is not null)
                {
                    int ret = PciP2PDma.Distance(ns.P2PDev, ns.Bdev);
                    if (ret < 0)
                    {
                        return -22;
                    }
                }
                else
                {
                    // Right now we just check that there is p2pmem available so we can report an error to the user
                    // right away if there is not.
                    PciDevice? p2pDev = PciP2PDma.FindMany(new Device[] { ns.Bdev });
                    if (p2pDev is null)
                    {
                        return -22;
                    }
                }

                return 0;
            }

            // nvmet_p2pmem_ns_add_p2p
            public static void P2PmemNsAddP2P(NvmetCtrl ctrl, NvmetNs ns)
            {
                var clients = new Device[2];
                PciDevice? p2pDev;
                int ret;

                if (ctrl.P2PClient is null || !ns.UseP2PMem)
                {
                    return;
                }

                if (ns.P2PDev is not null)
                {
                    ret = PciP2PDma.Distance(ns.P2PDev, ctrl.P2PClient);
                    if (ret < 0)
                    {
                        return;
                    }

                    p2pDev = ns.P2PDev;
                }
                else
                {
                    clients[0] = ctrl.P2PClient;
                    clients[1] = ns.Bdev;

                    p2pDev = PciP2PDma.FindMany(clients);
                    if (p2pDev is null)
                    {
                        return; // "no peer-to-peer memory is available that's supported by %s and %s"
                    }
                }

                ctrl.P2PNsMap[ns.Nsid] = p2pDev;
            }

            // nvmet_setup_p2p_ns_map
            public static void SetupP2PNsMap(NvmetCtrl ctrl, NvmetReq req)
            {
                if (req.P2PClient is null)
                {
                    return;
                }

                ctrl.P2PClient = req.P2PClient;
                foreach (NvmetNs ns in ctrl.Subsys.Namespaces)
                {
                    P2PmemNsAddP2P(ctrl, ns);
                }
            }

            private static uint DataTransferLen(NvmetReq req) => req.TransferLen - req.MetadataLen;

            // nvmet_req_alloc_p2pmem_sgls
            private static int AllocP2PmemSgls(PciDevice p2pDev, NvmetReq req)
            {
                req.Sg = PciP2PDma.AllocSgl(p2pDev, DataTransferLen(req), out req.SgCnt);
                if (req.Sg is null)
                {
                    goto out_err;
                }

                if (req.MetadataLen != 0)
                {
                    req.MetadataSg = PciP2PDma.AllocSgl(p2pDev, req.MetadataLen, out req.MetadataSgCnt);
                    if (req.MetadataSg is null)
                    {
                        goto out_free_sg;
                    }
                }

                req.P2PDev = p2pDev;
                return 0;

            out_free_sg:
                PciP2PDma.FreeSgl(p2pDev, req.Sg);
            out_err:
                return -12;
            }

            // nvmet_req_find_p2p_dev
            private static PciDevice? FindP2PDev(NvmetReq req)
            {
                if (req.Sq.Ctrl is null || req.Sq.Qid == 0 || req.Ns is null)
                {
                    return null;
                }

                return req.Sq.Ctrl.P2PNsMap.TryGetValue(req.Ns.Nsid, out PciDevice? dev) ? dev : null;
            }

            // nvmet_req_alloc_sgls
            public static int AllocSgls(NvmetReq req, PciDevice anyDev)
            {
                PciDevice? p2pDev = FindP2PDev(req);
                if (p2pDev is not null && AllocP2PmemSgls(p2pDev, req) == 0)
                {
                    return 0;
                }

                req.Sg = Sgl.Alloc(anyDev, DataTransferLen(req), out req.SgCnt);
                if (req.Sg is null)
                {
                    goto @out;
                }

                if (req.MetadataLen != 0)
                {
                    req.MetadataSg = Sgl.Alloc(anyDev, req.MetadataLen, out req.MetadataSgCnt);
                    if (req.MetadataSg is null)
                    {
                        goto out_free;
                    }
                }

                return 0;

            out_free:
                Sgl.Free(req.Sg);
            @out:
                return -12;
            }

            // nvmet_req_free_sgls
            public static void FreeSgls(NvmetReq req)
            {
                if (req.P2PDev is not null)
                {
                    PciP2PDma.FreeSgl(req.P2PDev, req.Sg!);
                    if (req.MetadataSg is not null)
                    {
                        PciP2PDma.FreeSgl(req.P2PDev, req.MetadataSg);
                    }

                    req.P2PDev = null;
                }
                else
                {
                    Sgl.Free(req.Sg!);
                    if (req.MetadataSg is not null)
                    {
                        Sgl.Free(req.MetadataSg);
                    }
                }

                req.Sg = null;
                req.MetadataSg = null;
            }
        }
        """;

    private const string Rdma = """
        sealed class NvmetRdmaDevice
        {
            public IbDevice Device = null!;
            public PciDevice PciDev = null!;
        }

        sealed class NvmetRdmaQueue
        {
            public NvmetRdmaDevice Dev = null!;
            public IbQp Qp = null!;
            public byte PortNum = 1;
        }

        sealed class NvmetRdmaRsp
        {
            public NvmetRdmaQueue Queue = null!;
            public NvmetReq Req = new();
            public RdmaRwCtx Rw = new();
            public int NRdma;
            public bool DataDirToDevice;
        }

        static class NvmetRdma
        {
            private static DmaDirection DataDir(NvmetRdmaRsp rsp) =>
                rsp.DataDirToDevice ? DmaDirection.ToDevice : DmaDirection.FromDevice;

            // nvmet_rdma_alloc_queue's p2p_client: the RDMA device's DMA device is the client of the P2P memory
            public static void SetP2PClient(NvmetRdmaQueue queue, NvmetReq req)
            {
                req.P2PClient = queue.Dev.Device.DmaDevice;
            }

            // nvmet_rdma_rw_ctx_init (no PI)
            private static int RwCtxInit(NvmetRdmaRsp rsp, ulong addr, uint key)
            {
                return RdmaRw.CtxInit(rsp.Rw, rsp.Queue.Qp, rsp.Queue.PortNum, rsp.Req.Sg!, 0, addr, key, DataDir(rsp));
            }

            // nvmet_rdma_rw_ctx_destroy
            private static void RwCtxDestroy(NvmetRdmaRsp rsp)
            {
                RdmaRw.CtxDestroy(rsp.Rw, rsp.Queue.Qp, rsp.Queue.PortNum, rsp.Req.Sg!, rsp.Req.SgCnt, DataDir(rsp));
            }

            // nvmet_rdma_map_sgl_keyed
            public static ushort MapSglKeyed(NvmetRdmaRsp rsp, ulong addr, uint key, uint length)
            {
                int ret;
                rsp.Req.TransferLen = length;
                if (length == 0)
                {
                    return 0;
                }

                ret = NvmetCore.AllocSgls(rsp.Req, rsp.Queue.Dev.PciDev);
                if (ret < 0)
                {
                    goto error_out;
                }

                ret = RwCtxInit(rsp, addr, key);
                if (ret < 0)
                {
                    goto error_out;
                }

                rsp.NRdma += ret;
                return 0;

            error_out:
                rsp.Req.TransferLen = 0;
                return 0x0006; // NVME_SC_INTERNAL
            }

            // nvmet_rdma_release_rsp
            public static void ReleaseRsp(NvmetRdmaRsp rsp)
            {
                if (rsp.NRdma != 0)
                {
                    RwCtxDestroy(rsp);
                }

                if (rsp.Req.Sg is not null)
                {
                    NvmetCore.FreeSgls(rsp.Req);
                }
            }
        }
        """;

    [Fact]
    public Task NvmetP2pmem_DistanceChoosesProvider_RdmaRwMapsSgtable_NoDiagnostic() => KernelVerify.RunAsync(
        RdmaRwTests.Verbs,
        RdmaRwTests.IbVerbsMainline,
        RdmaRwTests.Wrs,
        RdmaRwTests.RwMainline,
        Nvmet,
        Core,
        Rdma);
}
