namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// spi-rockchip-sfc (drivers/spi/spi-rockchip-sfc.c) before "spi: rockchip-sfc: Fix DMA-API usage" (2025,
/// CVE-2025-40356): probe allocates the bounce buffer and caches <c>virt_to_phys(sfc-&gt;buffer)</c> as its DMA address;
/// rockchip_sfc_xfer_data_dma syncs that address for the device or the CPU and rockchip_sfc_fifo_transfer_dma writes it
/// into the controller's DMA address register. Nothing is ever mapped (an IOMMU or a bounce buffer is bypassed, and
/// DMA-API debug sees syncs of memory it never mapped); the fix maps the buffer at probe with dma_map_single, checks it,
/// and unmaps it at remove.
/// </summary>
public sealed class RockchipSfcTests
{
    // struct rockchip_sfc, the register writes and the transfer, as in the driver.
    internal const string Sfc = """
        sealed class Regbase
        {
            public uint DmaAddrReg;
            public uint Trigger;
        }

        enum SpiMemDataDir { In, Out }

        sealed class SpiMemOp
        {
            public SpiMemDataDir Dir;
            public byte[] Buf = Array.Empty<byte>();
        }

        // struct rockchip_sfc
        sealed class RockchipSfc
        {
            public PciDevice Dev = null!;
            public Regbase Regbase = new();
            public KernelBuffer? Buffer;
            public DmaAddr DmaBuffer;
            public bool UseDma;
            public ulong MaxIosize;
        }

        static partial class SpiRockchipSfc
        {
            const uint SfcDmaTriggerStart = 1;

            // rockchip_sfc_fifo_transfer_dma
            static int FifoTransferDma(RockchipSfc sfc, DmaAddr dmaBuf, ulong len)
            {
                sfc.Regbase.DmaAddrReg = (uint)dmaBuf.Raw;
                sfc.Regbase.Trigger = SfcDmaTriggerStart;
                return (int)len;
            }

            // rockchip_sfc_xfer_data_dma
            public static int XferDataDma(RockchipSfc sfc, SpiMemOp op, ulong len)
            {
                if (op.Dir == SpiMemDataDir.Out)
                {
                    sfc.Buffer!.Write(0, op.Buf[..(int)len]);  // memcpy(sfc->buffer, op->data.buf.out, len)
                    Dma.SyncSingleForDevice(sfc.Dev, sfc.DmaBuffer, len, DmaDirection.ToDevice);
                }

                int ret = FifoTransferDma(sfc, sfc.DmaBuffer, len);
                if (op.Dir == SpiMemDataDir.In)
                {
                    Dma.SyncSingleForCpu(sfc.Dev, sfc.DmaBuffer, len, DmaDirection.FromDevice);
                    sfc.Buffer!.Read(0, (int)len).CopyTo(op.Buf, 0);  // memcpy(op->data.buf.in, sfc->buffer, len)
                }

                return ret;
            }
        }

        """;

    // rockchip_sfc_probe before the fix, the DMA part: the buffer's CPU physical address cached as its DMA address.
    internal const string ProbeBeforeFix = """
        static partial class SpiRockchipSfc
        {
            public static int Probe(RockchipSfc sfc, SystemMemory mem)
            {
                int ret = 0;
                if (sfc.UseDma)
                {
                    sfc.Buffer = mem.Kmalloc(sfc.MaxIosize);  // __get_free_pages(GFP_KERNEL | GFP_DMA32, get_order(max_iosize))
                    if (sfc.Buffer is null)
                    {
                        ret = -12;
                        goto errDma;
                    }

                    sfc.DmaBuffer = {|P2P0001:DmaAddr.FromRaw(sfc.Buffer.VirtToPhys().Raw)|};
                }

                return 0;

            errDma:
                return ret;
            }
        }
        """;

    [Fact]
    public Task RockchipSfcProbe_CachesVirtToPhysAsDmaBuffer_XferDataDmaSyncsAndProgramsIt_Reports() => KernelVerify.RunAsync(Sfc, ProbeBeforeFix);

    // As fixed: dma_map_single at probe, checked; dma_unmap_single at remove.
    [Fact]
    public Task RockchipSfcProbe_AsFixed_DmaMapSingleCheckedAndUnmappedAtRemove_NoDiagnostic() => KernelVerify.RunAsync(
        Sfc,
        """
        static partial class SpiRockchipSfc
        {
            public static int Probe(RockchipSfc sfc, SystemMemory mem)
            {
                int ret = 0;
                if (sfc.UseDma)
                {
                    sfc.Buffer = mem.Kmalloc(sfc.MaxIosize);
                    if (sfc.Buffer is null)
                    {
                        ret = -12;
                        goto errDma;
                    }

                    sfc.DmaBuffer = Dma.MapSingle(sfc.Dev, sfc.Buffer, 0, sfc.MaxIosize, DmaDirection.Bidirectional);
                    if (Dma.MappingError(sfc.Dev, sfc.DmaBuffer))
                    {
                        ret = -12;
                        goto errDmaMap;
                    }
                }

                return 0;

            errDmaMap:
                sfc.Buffer = null;  // free_pages
            errDma:
                return ret;
            }

            // rockchip_sfc_remove
            public static void Remove(RockchipSfc sfc)
            {
                if (sfc.UseDma)
                {
                    Dma.UnmapSingle(sfc.Dev, sfc.DmaBuffer, sfc.MaxIosize, DmaDirection.Bidirectional);
                }

                sfc.Buffer = null;
            }
        }
        """);
}
