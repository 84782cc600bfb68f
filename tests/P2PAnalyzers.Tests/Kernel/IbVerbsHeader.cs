namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// include/rdma/ib_verbs.h's DMA helpers, transliterated as the header writes them, for the RDMA drivers that map
/// through them. Two generations:
/// <list type="bullet">
/// <item><see cref="Mainline"/>: since v5.10 ("RDMA: Remove dma_virt_ops" and its series, Christoph Hellwig), each
/// helper first asks <c>ib_uses_virt_dma(dev)</c> (a software device, rxe or siw, with no DMA device: the kernel
/// virtual address is the "DMA address") and otherwise calls the DMA API on <c>dev-&gt;dma_device</c>;
/// <c>ib_dma_map_sg</c> goes through <c>ib_dma_map_sg_attrs</c>.</item>
/// <item><see cref="WithDmaOps"/>: v4.x before "IB/core: remove ib_dma_*_ops" (v4.11), where a device could bring its
/// own <c>struct ib_dma_mapping_ops</c>: <c>if (dev-&gt;dma_ops) return dev-&gt;dma_ops-&gt;map_single(..); return
/// dma_map_single(..);</c>, with an <c>else</c> on the unmaps.</item>
/// </list>
/// Deviations: a kernel virtual address is not modelled, so the virtual-DMA path returns address 0 where the kernel
/// returns <c>(uintptr_t)cpu_addr</c>; <c>ib_dma_virt_map_sg</c> (drivers/infiniband/core/device.c, which writes
/// <c>sg_virt(s)</c> as each entry's DMA address) returns its count without writing the entries; <c>u64</c> DMA
/// addresses are <c>DmaAddr</c>.
/// </summary>
internal static class IbVerbsHeader
{
    /// <summary>The header since v5.10 (the form of every current kernel).</summary>
    public const string Mainline = """
        sealed class IbDevice
        {
            public PciDevice? DmaDevice;   // ib_device->dma_device, NULL for rxe / siw
        }

        static class IbVerbs
        {
            // IS_ENABLED(CONFIG_INFINIBAND_VIRT_DMA) && !dev->dma_device
            public static bool IbUsesVirtDma(IbDevice dev) => dev.DmaDevice is null;

            public static bool IbDmaMappingError(IbDevice dev, DmaAddr dmaAddr)
            {
                if (IbUsesVirtDma(dev))
                {
                    return false;
                }

                return Dma.MappingError(dev.DmaDevice!, dmaAddr);
            }

            public static DmaAddr IbDmaMapSingle(IbDevice dev, KernelBuffer cpuAddr, ulong size, DmaDirection direction)
            {
                if (IbUsesVirtDma(dev))
                {
                    return DmaAddr.FromRaw(0);   // (uintptr_t)cpu_addr
                }

                return Dma.MapSingle(dev.DmaDevice!, cpuAddr, 0, size, direction);
            }

            public static void IbDmaUnmapSingle(IbDevice dev, DmaAddr addr, ulong size, DmaDirection direction)
            {
                if (!IbUsesVirtDma(dev))
                {
                    Dma.UnmapSingle(dev.DmaDevice!, addr, size, direction);
                }
            }

            public static DmaAddr IbDmaMapPage(IbDevice dev, Page page, ulong offset, ulong size, DmaDirection direction)
            {
                if (IbUsesVirtDma(dev))
                {
                    return DmaAddr.FromRaw(0);   // (uintptr_t)(page_address(page) + offset)
                }

                return Dma.MapPage(dev.DmaDevice!, page, offset, size, direction);
            }

            public static void IbDmaUnmapPage(IbDevice dev, DmaAddr addr, ulong size, DmaDirection direction)
            {
                if (!IbUsesVirtDma(dev))
                {
                    Dma.UnmapPage(dev.DmaDevice!, addr, size, direction);
                }
            }

            // drivers/infiniband/core/device.c
            public static int IbDmaVirtMapSg(IbDevice dev, SgTable sg, int nents) => nents;

            public static int IbDmaMapSgAttrs(IbDevice dev, SgTable sg, int nents, DmaDirection direction, DmaAttrs dmaAttrs)
            {
                if (IbUsesVirtDma(dev))
                {
                    return IbDmaVirtMapSg(dev, sg, nents);
                }

                return Dma.MapSg(dev.DmaDevice!, sg, nents, direction, dmaAttrs);
            }

            public static void IbDmaUnmapSgAttrs(IbDevice dev, SgTable sg, int nents, DmaDirection direction, DmaAttrs dmaAttrs)
            {
                if (!IbUsesVirtDma(dev))
                {
                    Dma.UnmapSg(dev.DmaDevice!, sg, nents, direction, dmaAttrs);
                }
            }

            public static int IbDmaMapSg(IbDevice dev, SgTable sg, int nents, DmaDirection direction) =>
                IbDmaMapSgAttrs(dev, sg, nents, direction, DmaAttrs.None);

            public static void IbDmaUnmapSg(IbDevice dev, SgTable sg, int nents, DmaDirection direction) =>
                IbDmaUnmapSgAttrs(dev, sg, nents, direction, DmaAttrs.None);

            public static void IbDmaSyncSingleForCpu(IbDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
            {
                if (!IbUsesVirtDma(dev))
                {
                    Dma.SyncSingleForCpu(dev.DmaDevice!, addr, size, dir);
                }
            }

            public static void IbDmaSyncSingleForDevice(IbDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
            {
                if (!IbUsesVirtDma(dev))
                {
                    Dma.SyncSingleForDevice(dev.DmaDevice!, addr, size, dir);
                }
            }
        }
        """;

    /// <summary>The header of v4.9/v4.10, with a device's own DMA mapping operations.</summary>
    public const string WithDmaOps = """
        // struct ib_dma_mapping_ops (the part used here)
        sealed class IbDmaMappingOps
        {
            public System.Func<IbDevice, DmaAddr, bool> MappingError = null!;
            public System.Func<IbDevice, KernelBuffer, ulong, DmaDirection, DmaAddr> MapSingle = null!;
            public System.Action<IbDevice, DmaAddr, ulong, DmaDirection> UnmapSingle = null!;
            public System.Action<IbDevice, DmaAddr, ulong, DmaDirection> SyncSingleForCpu = null!;
            public System.Action<IbDevice, DmaAddr, ulong, DmaDirection> SyncSingleForDevice = null!;
        }

        sealed class IbDevice
        {
            public PciDevice DmaDevice = null!;
            public IbDmaMappingOps? DmaOps;
        }

        static class IbVerbs
        {
            public static bool IbDmaMappingError(IbDevice dev, DmaAddr dmaAddr)
            {
                if (dev.DmaOps is not null)
                {
                    return dev.DmaOps.MappingError(dev, dmaAddr);
                }

                return Dma.MappingError(dev.DmaDevice, dmaAddr);
            }

            public static DmaAddr IbDmaMapSingle(IbDevice dev, KernelBuffer cpuAddr, ulong size, DmaDirection direction)
            {
                if (dev.DmaOps is not null)
                {
                    return dev.DmaOps.MapSingle(dev, cpuAddr, size, direction);
                }

                return Dma.MapSingle(dev.DmaDevice, cpuAddr, 0, size, direction);
            }

            public static void IbDmaUnmapSingle(IbDevice dev, DmaAddr addr, ulong size, DmaDirection direction)
            {
                if (dev.DmaOps is not null)
                {
                    dev.DmaOps.UnmapSingle(dev, addr, size, direction);
                }
                else
                {
                    Dma.UnmapSingle(dev.DmaDevice, addr, size, direction);
                }
            }

            public static void IbDmaSyncSingleForCpu(IbDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
            {
                if (dev.DmaOps is not null)
                {
                    dev.DmaOps.SyncSingleForCpu(dev, addr, size, dir);
                }
                else
                {
                    Dma.SyncSingleForCpu(dev.DmaDevice, addr, size, dir);
                }
            }

            public static void IbDmaSyncSingleForDevice(IbDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
            {
                if (dev.DmaOps is not null)
                {
                    dev.DmaOps.SyncSingleForDevice(dev, addr, size, dir);
                }
                else
                {
                    Dma.SyncSingleForDevice(dev.DmaDevice, addr, size, dir);
                }
            }
        }
        """;
}
