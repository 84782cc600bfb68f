namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// KFD's SG BO for a GPU's MMIO remap page and doorbells: the register BAR cached at device init
/// (amdgpu_device.c, soc15.c), its address handed through kfd_ioctl_alloc_memory_of_gpu (kfd_chardev.c) to
/// amdgpu_amdkfd_gpuvm_alloc_memory_of_gpu, which keeps it in the BO's one-entry table (create_sg_table), and read back
/// and mapped with dma_map_resource when a peer GPU attaches (kfd_mem_dmamap_sg_bo, amdgpu_amdkfd_gpuvm.c).
/// </summary>
public sealed class KfdTests
{
    private const string Device = """
        sealed class AmdgpuMmioRemap
        {
            public uint RegOffset;
            public ulong BusAddr;
        }

        sealed class AmdgpuDoorbell
        {
            public ulong Base;
            public ulong Size;
        }

        sealed class AmdgpuDevice
        {
            public PciDevice Pdev = null!;
            public ulong RmmioBase;
            public ulong RmmioSize;
            public AmdgpuMmioRemap RmmioRemap = new();
            public AmdgpuDoorbell Doorbell = new();
        }

        static class AmdgpuDeviceInit
        {
            private const uint MmioRegHoleOffset = 0x80000 - 4096;

            // amdgpu_device_init: adev->rmmio_base = pci_resource_start(adev->pdev, 5)
            public static int Init(AmdgpuDevice adev)
            {
                adev.RmmioBase = adev.Pdev.Bar(5).CpuStart.Raw;
                adev.RmmioSize = adev.Pdev.Bar(5).Size;
                return 0;
            }

            // soc15_common_early_init: rmmio_remap.bus_addr = rmmio_base + MMIO_REG_HOLE_OFFSET (a CPU address, despite the name)
            public static int Soc15CommonEarlyInit(AmdgpuDevice adev)
            {
                adev.RmmioRemap.RegOffset = MmioRegHoleOffset;
                adev.RmmioRemap.BusAddr = adev.RmmioBase + MmioRegHoleOffset;
                return 0;
            }

            // amdgpu_doorbell_init: adev->doorbell.base = pci_resource_start(adev->pdev, 2)
            public static int DoorbellInit(AmdgpuDevice adev)
            {
                adev.Doorbell.Base = adev.Pdev.Bar(2).CpuStart.Raw;
                adev.Doorbell.Size = adev.Pdev.Bar(2).Size;
                return 0;
            }
        }
        """;

    private const string Gpuvm = """
        [Flags]
        enum KfdAllocFlags : uint
        {
            Vram = 1 << 0,
            Gtt = 1 << 1,
            Userptr = 1 << 2,
            Doorbell = 1 << 3,
            MmioRemap = 1 << 4,
            Writable = 1u << 31,
        }

        sealed class AmdgpuBo
        {
            public AmdgpuDevice Adev = null!;
            public SgTable? TboSg;     // bo->tbo.sg
            public SgTable? TtmSg;     // bo->tbo.ttm->sg
        }

        sealed class KgdMem
        {
            public AmdgpuBo Bo = null!;
            public KfdAllocFlags AllocFlags;
        }

        sealed class KfdMemAttachment
        {
            public AmdgpuDevice Adev = null!;
            public AmdgpuBo Bo = null!;
        }

        static class AmdgpuAmdkfdGpuvm
        {
            // create_sg_table: a one-entry table carrying addr in sg_dma_address. Not a P2P0001 site: the owning GPU uses
            // the CPU address of its own doorbell/MMIO page on purpose (loopback, see the kfd_mem_dmamap_sg_bo comment),
            // and the function is also called with the mapped address, so its call sites disagree (the rule stays silent).
            private static SgTable CreateSgTable(ulong addr, uint size)
            {
                SgTable sg = SgTable.Alloc(1);
                sg[0].DmaAddress = DmaAddr.FromRaw(addr);
                sg[0].SetPage(null, size, 0);
                sg[0].DmaLength = size;
                return sg;
            }

            // amdgpu_amdkfd_gpuvm_alloc_memory_of_gpu: doorbell and MMIO-remap BOs are SG BOs over *offset
            public static int AllocMemoryOfGpu(AmdgpuDevice adev, ulong va, ulong size, out KgdMem? mem, ref ulong offset, KfdAllocFlags flags)
            {
                mem = new KgdMem { AllocFlags = flags, Bo = new AmdgpuBo { Adev = adev } };
                if ((flags & (KfdAllocFlags.Doorbell | KfdAllocFlags.MmioRemap)) != 0)
                {
                    mem.Bo.TboSg = CreateSgTable(offset, (uint)size);
                }

                return 0;
            }

            // kfd_mem_dmamap_sg_bo: the address kept in the SG BO is read back and mapped for the peer, map type never asked
            public static int DmamapSgBo(KgdMem mem, KfdMemAttachment attachment)
            {
                AmdgpuDevice adev = attachment.Adev;
                DmaDirection dir = (mem.AllocFlags & KfdAllocFlags.Writable) != 0 ? DmaDirection.Bidirectional : DmaDirection.ToDevice;
                DmaAddr dmaAddr = mem.Bo.TboSg![0].DmaAddress;
                dmaAddr = {|P2P0010:Dma.MapResource(adev.Pdev, PhysAddr.FromRaw(dmaAddr.Raw), mem.Bo.TboSg[0].Length, dir, {|P2P0014:DmaAttrs.SkipCpuSync|})|};
                if (Dma.MappingError(adev.Pdev, dmaAddr))
                {
                    return -12;
                }

                attachment.Bo.TtmSg = CreateSgTable(dmaAddr.Raw, (uint)mem.Bo.TboSg[0].Length);
                return 0;
            }

            // kfd_mem_dmaunmap_sg_bo
            public static void DmaunmapSgBo(KgdMem mem, KfdMemAttachment attachment)
            {
                AmdgpuDevice adev = attachment.Adev;
                DmaDirection dir = (mem.AllocFlags & KfdAllocFlags.Writable) != 0 ? DmaDirection.Bidirectional : DmaDirection.ToDevice;
                SgTable? ttmSg = attachment.Bo.TtmSg;
                if (ttmSg is null)
                {
                    return;
                }

                Dma.UnmapResource(adev.Pdev, ttmSg[0].DmaAddress, ttmSg[0].Length, dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
                attachment.Bo.TtmSg = null;
            }
        }
        """;

    private const string Chardev = """
        sealed class KfdIoctlAllocMemoryOfGpuArgs
        {
            public ulong VaAddr;
            public ulong Size;
            public ulong MmapOffset;
            public KfdAllocFlags Flags;
        }

        sealed class KfdProcessDevice
        {
            public AmdgpuDevice Adev = null!;
            public uint DoorbellIndex;
        }

        static class KfdChardev
        {
            // kfd_get_process_doorbells
            private static ulong GetProcessDoorbells(KfdProcessDevice pdd) => pdd.Adev.Doorbell.Base + pdd.DoorbellIndex * 8192UL;

            // kfd_ioctl_alloc_memory_of_gpu
            public static int IoctlAllocMemoryOfGpu(KfdProcessDevice pdd, KfdIoctlAllocMemoryOfGpuArgs args, out KgdMem? mem)
            {
                ulong offset = args.MmapOffset;
                KfdAllocFlags flags = args.Flags;
                mem = null;
                if ((flags & KfdAllocFlags.Doorbell) != 0)
                {
                    if (args.Size != 8192)
                    {
                        return -22;
                    }

                    offset = GetProcessDoorbells(pdd);
                    if (offset == 0)
                    {
                        return -12;
                    }
                }
                else if ((flags & KfdAllocFlags.MmioRemap) != 0)
                {
                    if (args.Size != 4096)
                    {
                        return -22;
                    }

                    offset = pdd.Adev.RmmioRemap.BusAddr;
                    if (offset == 0)
                    {
                        return -12;
                    }
                }

                return AmdgpuAmdkfdGpuvm.AllocMemoryOfGpu(pdd.Adev, args.VaAddr, args.Size, out mem, ref offset, flags);
            }
        }
        """;

    [Fact(Skip = "Gap: missed P2P0010 at Dma.MapResource in AmdgpuAmdkfdGpuvm.DmamapSgBo. The register BAR address (RmmioBase -> RmmioRemap.BusAddr -> CreateSgTable) is kept in the SG BO's entry as sg.DmaAddress and read back from it. Measured: caught when the address is read from RmmioRemap.BusAddr directly, still missed when CreateSgTable is passed RmmioRemap.BusAddr directly, so one loss is the read-back through Scatterlist.DmaAddress, a library member that is not summarised (what a table's entries hold does not travel with the table). The other: CreateSgTable is also called with the mapped address (dmaAddr.Raw), so its parameter's call sites disagree and a context-insensitive summary keeps nothing for it; catching this needs summaries that give a return's entries as a function of the arguments")]
    public Task KfdMemDmamapSgBo_OfRmmioRemapBusAddrFromKfdIoctlAllocMemoryOfGpu_Reports() => KernelVerify.RunAsync(Device, Gpuvm, Chardev);
}
