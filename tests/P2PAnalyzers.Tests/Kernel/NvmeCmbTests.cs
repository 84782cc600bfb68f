namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// nvme-pci's Controller Memory Buffer (drivers/nvme/host/pci.c): nvme_map_cmb reads CMBSZ/CMBLOC at probe, keeps the
/// CMB's address in struct nvme_dev, and nvme_alloc_sq_cmds (queue creation) places I/O submission queues there, the
/// address going to the controller in the Create I/O SQ command (adapter_alloc_sq). Three shapes:
/// <list type="bullet">
/// <item>v4.13 (read as it stood before 8969f1f82917 "nvme-pci: Use PCI bus address for data/queues in CMB", Abhishek
/// Shah, 2017): <c>dma_addr_t dma_addr = pci_resource_start(pdev, NVME_CMB_BIR(cmbloc)) + offset;</c> is both the
/// ioremap_wc argument and <c>dev->cmb_dma_addr</c>, the SQ base handed to the controller: wrong behind a translating
/// host bridge.</item>
/// <item>After that commit: <c>dev->cmb_bus_addr = pci_bus_address(pdev, bar) + offset</c> (a pci_bus_addr_t),
/// <c>nvmeq->sq_dma_addr = dev->cmb_bus_addr + offset</c>. Must draw nothing.</item>
/// <item>v4.20, 0f238ff5cc92 "nvme-pci: Use PCI p2pmem subsystem to manage the CMB" (Logan Gunthorpe): the CMB is
/// registered with pci_p2pdma_add_resource, SQs come from pci_alloc_p2pmem and their address from
/// pci_p2pmem_virt_to_bus (the gen_pool chunk's "phys" is pci_bus_address() + offset). Must draw nothing.</item>
/// </list>
/// Library gap: no ioremap_wc (an IoMem stub keeps the CPU address). pci_alloc_p2pmem, pci_p2pmem_virt_to_bus and
/// pci_free_p2pmem are the library's (PciP2PDma.AllocMem, VirtToBus, FreeMem; the trial that wrote this test stubbed them).
/// </summary>
public sealed class NvmeCmbTests
{
    private const string Common = """
        // ioremap_wc: a CPU mapping of MMIO; the CPU physical address is what it takes
        sealed class IoMem
        {
            public PhysAddr Phys;
            public ulong Size;

            public static IoMem? RemapWc(PhysAddr phys, ulong size) => new IoMem { Phys = phys, Size = size };

            public IoMem Add(ulong offset) => new IoMem { Phys = Phys + offset, Size = Size - offset };
        }

        sealed class NvmeRegs
        {
            public uint Cmbsz;
            public uint Cmbloc;
        }

        sealed class NvmeCommand
        {
            public byte Opcode;
            public ulong Prp1;      // create_sq.prp1 = cpu_to_le64(nvmeq->sq_dma_addr)
            public ushort Sqid;
            public ushort Qsize;
            public ushort Cqid;
        }

        static class NvmeConst
        {
            public const bool UseCmbSqes = true;   // module parameter use_cmb_sqes
            public const uint CmbszSqs = 1 << 0;   // NVME_CMBSZ_SQS
            public const uint CmbszRds = 1 << 3;
            public const uint CmbszWds = 1 << 4;

            public static ulong CmbSz(uint cmbsz) => (cmbsz >> 12) & 0xfffff;      // NVME_CMB_SZ
            public static int CmbSzu(uint cmbsz) => (int)((cmbsz >> 8) & 0xf);     // NVME_CMB_SZU
            public static ulong CmbOfst(uint cmbloc) => (cmbloc >> 12) & 0xfffff;  // NVME_CMB_OFST
            public static int CmbBir(uint cmbloc) => (int)(cmbloc & 0x7);          // NVME_CMB_BIR
            public static ulong SqSize(int depth) => (ulong)depth * 64;            // SQ_SIZE
            public static ulong RoundUp(ulong x, ulong y) => (x + y - 1) / y * y;
        }
        """;

    [Fact]
    public Task NvmeMapCmb_BeforeUsePciBusAddressForDataQueuesInCmb_ResourceStartAsDmaAddr_Reports() => KernelVerify.RunAsync(
        Common,
        """
        sealed class NvmeQueue
        {
            public NvmeDev Dev = null!;
            public KernelBuffer? SqCmds;
            public IoMem? SqCmdsIo;
            public DmaAddr SqDmaAddr;
            public int QDepth;
        }

        sealed class NvmeDev
        {
            public PciDevice Pdev = null!;
            public NvmeRegs Bar = new();
            public IoMem? Cmb;
            public DmaAddr CmbDmaAddr;
            public ulong CmbSize;
            public uint Cmbsz;
            public ulong PageSize = 4096;
            public Func<NvmeCommand, int> SubmitAdmin = _ => 0;   // nvme_submit_sync_cmd(dev->ctrl.admin_q, ...)
        }
        """,
        """
        static class NvmeProbe
        {
            // nvme_map_cmb (v4.13), called from nvme_pci_enable at probe: dev->cmb = nvme_map_cmb(dev)
            public static IoMem? MapCmb(NvmeDev dev)
            {
                PciDevice pdev = dev.Pdev;

                if (!NvmeConst.UseCmbSqes)
                {
                    return null;
                }

                dev.Cmbsz = dev.Bar.Cmbsz;
                if (NvmeConst.CmbSz(dev.Cmbsz) == 0)
                {
                    return null;
                }

                uint cmbloc = dev.Bar.Cmbloc;

                ulong szu = 1UL << (12 + 4 * NvmeConst.CmbSzu(dev.Cmbsz));
                ulong size = szu * NvmeConst.CmbSz(dev.Cmbsz);
                ulong offset = szu * NvmeConst.CmbOfst(cmbloc);
                ulong barSize = pdev.Bar(NvmeConst.CmbBir(cmbloc)).Size;

                if (offset > barSize)
                {
                    return null;
                }

                // Controllers may support a CMB size larger than their BAR, for example, due to being behind a
                // bridge. Reduce the CMB to the reported size of the BAR
                if (size > barSize - offset)
                {
                    size = barSize - offset;
                }

                DmaAddr dmaAddr = {|P2P0001:DmaAddr.FromRaw(pdev.Bar(NvmeConst.CmbBir(cmbloc)).CpuStart.Raw + offset)|};
                IoMem? cmb = IoMem.RemapWc(PhysAddr.FromRaw(dmaAddr.Raw), size);
                if (cmb is null)
                {
                    return null;
                }

                dev.CmbDmaAddr = dmaAddr;
                dev.CmbSize = size;
                return cmb;
            }
        }
        """,
        """
        static class NvmeQueues
        {
            // nvme_alloc_sq_cmds (v4.13)
            public static int AllocSqCmds(NvmeDev dev, NvmeQueue nvmeq, int qid, int depth)
            {
                if (qid != 0 && dev.Cmb is not null && NvmeConst.UseCmbSqes && (dev.Cmbsz & NvmeConst.CmbszSqs) != 0)
                {
                    ulong offset = (ulong)(qid - 1) * NvmeConst.RoundUp(NvmeConst.SqSize(depth), dev.PageSize);
                    nvmeq.SqDmaAddr = dev.CmbDmaAddr + offset;
                    nvmeq.SqCmdsIo = dev.Cmb.Add(offset);
                }
                else
                {
                    nvmeq.SqCmds = Dma.AllocCoherent(dev.Pdev, NvmeConst.SqSize(depth), out nvmeq.SqDmaAddr);
                    if (nvmeq.SqCmds is null)
                    {
                        return -12;
                    }
                }

                return 0;
            }

            // adapter_alloc_sq: the SQ base goes to the controller
            public static int AdapterAllocSq(NvmeDev dev, ushort qid, NvmeQueue nvmeq)
            {
                var c = new NvmeCommand
                {
                    Opcode = 0x01,   // nvme_admin_create_sq
                    Prp1 = nvmeq.SqDmaAddr.Raw,
                    Sqid = qid,
                    Qsize = (ushort)(nvmeq.QDepth - 1),
                    Cqid = qid,
                };
                return dev.SubmitAdmin(c);
            }

            // nvme_free_queue: SQs in the CMB were never allocated
            public static void FreeQueue(NvmeQueue nvmeq)
            {
                if (nvmeq.SqCmds is not null)
                {
                    Dma.FreeCoherent(nvmeq.Dev.Pdev, NvmeConst.SqSize(nvmeq.QDepth), nvmeq.SqCmds, nvmeq.SqDmaAddr);
                }
            }
        }
        """);

    [Fact]
    public Task NvmeMapCmb_AfterUsePciBusAddressForDataQueuesInCmb_NoDiagnostic() => KernelVerify.RunAsync(
        Common,
        """
        sealed class NvmeQueue
        {
            public NvmeDev Dev = null!;
            public KernelBuffer? SqCmds;
            public IoMem? SqCmdsIo;
            public DmaAddr SqDmaAddr;
            public int QDepth;
        }

        sealed class NvmeDev
        {
            public PciDevice Pdev = null!;
            public NvmeRegs Bar = new();
            public IoMem? Cmb;
            public PciBusAddr CmbBusAddr;   // pci_bus_addr_t cmb_bus_addr
            public ulong CmbSize;
            public uint Cmbsz;
            public uint Cmbloc;
            public ulong PageSize = 4096;
            public Func<NvmeCommand, int> SubmitAdmin = _ => 0;
        }
        """,
        """
        static class NvmeProbe
        {
            // nvme_map_cmb after 8969f1f82917
            public static IoMem? MapCmb(NvmeDev dev)
            {
                PciDevice pdev = dev.Pdev;

                dev.Cmbsz = dev.Bar.Cmbsz;
                if (NvmeConst.CmbSz(dev.Cmbsz) == 0)
                {
                    return null;
                }

                dev.Cmbloc = dev.Bar.Cmbloc;

                if (!NvmeConst.UseCmbSqes)
                {
                    return null;
                }

                ulong szu = 1UL << (12 + 4 * NvmeConst.CmbSzu(dev.Cmbsz));
                ulong size = szu * NvmeConst.CmbSz(dev.Cmbsz);
                ulong offset = szu * NvmeConst.CmbOfst(dev.Cmbloc);
                int bar = NvmeConst.CmbBir(dev.Cmbloc);
                ulong barSize = pdev.Bar(bar).Size;

                if (offset > barSize)
                {
                    return null;
                }

                if (size > barSize - offset)
                {
                    size = barSize - offset;
                }

                IoMem? cmb = IoMem.RemapWc(pdev.Bar(bar).CpuStart + offset, size);
                if (cmb is null)
                {
                    return null;
                }

                dev.CmbBusAddr = pdev.Bar(bar).BusStart + offset;
                dev.CmbSize = size;
                return cmb;
            }
        }
        """,
        """
        static class NvmeQueues
        {
            // nvme_alloc_sq_cmds after 8969f1f82917
            public static int AllocSqCmds(NvmeDev dev, NvmeQueue nvmeq, int qid, int depth)
            {
                if (qid != 0 && dev.Cmb is not null && NvmeConst.UseCmbSqes && (dev.Cmbsz & NvmeConst.CmbszSqs) != 0)
                {
                    ulong offset = (ulong)(qid - 1) * NvmeConst.RoundUp(NvmeConst.SqSize(depth), dev.PageSize);
                    nvmeq.SqDmaAddr = DmaAddr.FromRaw(dev.CmbBusAddr.Raw + offset);
                    nvmeq.SqCmdsIo = dev.Cmb.Add(offset);
                }
                else
                {
                    nvmeq.SqCmds = Dma.AllocCoherent(dev.Pdev, NvmeConst.SqSize(depth), out nvmeq.SqDmaAddr);
                    if (nvmeq.SqCmds is null)
                    {
                        return -12;
                    }
                }

                return 0;
            }

            // adapter_alloc_sq
            public static int AdapterAllocSq(NvmeDev dev, ushort qid, NvmeQueue nvmeq)
            {
                var c = new NvmeCommand
                {
                    Opcode = 0x01,
                    Prp1 = nvmeq.SqDmaAddr.Raw,
                    Sqid = qid,
                    Qsize = (ushort)(nvmeq.QDepth - 1),
                    Cqid = qid,
                };
                return dev.SubmitAdmin(c);
            }

            // nvme_free_queue
            public static void FreeQueue(NvmeQueue nvmeq)
            {
                if (nvmeq.SqCmds is not null)
                {
                    Dma.FreeCoherent(nvmeq.Dev.Pdev, NvmeConst.SqSize(nvmeq.QDepth), nvmeq.SqCmds, nvmeq.SqDmaAddr);
                }
            }
        }
        """);

    [Fact]
    public Task NvmeMapCmb_UsePciP2PmemSubsystemToManageTheCmb_NoDiagnostic() => KernelVerify.RunAsync(
        Common,
        """
        sealed class NvmeQueue
        {
            public NvmeDev Dev = null!;
            public KernelBuffer? SqCmds;
            public KernelBuffer? SqCmdsP2P;   // pci_alloc_p2pmem'd SQ in the CMB
            public bool SqCmdsIsIo;
            public DmaAddr SqDmaAddr;
            public int QDepth;
        }

        sealed class NvmeDev
        {
            public PciDevice Pdev = null!;
            public NvmeRegs Bar = new();
            public ulong CmbSize;
            public bool CmbUseSqes;
            public uint Cmbsz;
            public uint Cmbloc;
            public ulong PageSize = 4096;
            public Func<NvmeCommand, int> SubmitAdmin = _ => 0;
        }
        """,
        """
        static class NvmeProbe
        {
            // nvme_map_cmb (v4.20)
            public static void MapCmb(NvmeDev dev)
            {
                PciDevice pdev = dev.Pdev;

                if (dev.CmbSize != 0)
                {
                    return;
                }

                dev.Cmbsz = dev.Bar.Cmbsz;
                if (dev.Cmbsz == 0)
                {
                    return;
                }

                dev.Cmbloc = dev.Bar.Cmbloc;

                ulong szu = 1UL << (12 + 4 * NvmeConst.CmbSzu(dev.Cmbsz));
                ulong size = szu * NvmeConst.CmbSz(dev.Cmbsz);
                ulong offset = szu * NvmeConst.CmbOfst(dev.Cmbloc);
                int bar = NvmeConst.CmbBir(dev.Cmbloc);
                ulong barSize = pdev.Bar(bar).Size;

                if (offset > barSize)
                {
                    return;
                }

                if (size > barSize - offset)
                {
                    size = barSize - offset;
                }

                if (PciP2PDma.AddResource(pdev, bar, size, offset) != DmaError.None)
                {
                    return; // "failed to register the CMB"
                }

                dev.CmbSize = size;
                dev.CmbUseSqes = NvmeConst.UseCmbSqes && (dev.Cmbsz & NvmeConst.CmbszSqs) != 0;

                if ((dev.Cmbsz & (NvmeConst.CmbszWds | NvmeConst.CmbszRds)) == (NvmeConst.CmbszWds | NvmeConst.CmbszRds))
                {
                    PciP2PDma.Publish(pdev, true);
                }
            }
        }
        """,
        """
        static class NvmeQueues
        {
            // nvme_alloc_sq_cmds (v4.20)
            public static int AllocSqCmds(NvmeDev dev, NvmeQueue nvmeq, int qid, int depth)
            {
                PciDevice pdev = dev.Pdev;

                if (qid != 0 && dev.CmbUseSqes && (dev.Cmbsz & NvmeConst.CmbszSqs) != 0)
                {
                    nvmeq.SqCmdsP2P = PciP2PDma.AllocMem(pdev, NvmeConst.SqSize(depth));
                    if (nvmeq.SqCmdsP2P is not null)
                    {
                        nvmeq.SqDmaAddr = DmaAddr.FromRaw(PciP2PDma.VirtToBus(pdev, nvmeq.SqCmdsP2P).Raw);
                        nvmeq.SqCmdsIsIo = true;
                    }
                }

                if (!nvmeq.SqCmdsIsIo)
                {
                    nvmeq.SqCmds = Dma.AllocCoherent(dev.Pdev, NvmeConst.SqSize(depth), out nvmeq.SqDmaAddr);
                    if (nvmeq.SqCmds is null)
                    {
                        return -12;
                    }
                }

                return 0;
            }

            // adapter_alloc_sq
            public static int AdapterAllocSq(NvmeDev dev, ushort qid, NvmeQueue nvmeq)
            {
                var c = new NvmeCommand
                {
                    Opcode = 0x01,
                    Prp1 = nvmeq.SqDmaAddr.Raw,
                    Sqid = qid,
                    Qsize = (ushort)(nvmeq.QDepth - 1),
                    Cqid = qid,
                };
                return dev.SubmitAdmin(c);
            }

            // nvme_free_queue
            public static void FreeQueue(NvmeQueue nvmeq)
            {
                if (nvmeq.SqCmdsIsIo)
                {
                    PciP2PDma.FreeMem(nvmeq.Dev.Pdev, nvmeq.SqCmdsP2P!);
                }
                else if (nvmeq.SqCmds is not null)
                {
                    Dma.FreeCoherent(nvmeq.Dev.Pdev, NvmeConst.SqSize(nvmeq.QDepth), nvmeq.SqCmds, nvmeq.SqDmaAddr);
                }
            }
        }
        """);
}
