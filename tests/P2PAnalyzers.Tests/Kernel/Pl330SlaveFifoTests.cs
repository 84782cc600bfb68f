namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// Slave DMA to a device FIFO, the use dma_map_resource was made for ("dma-mapping: add dma_{map,unmap}_resource",
/// v4.9). spi-pl022 (drivers/spi/spi-pl022.c: pl022_probe keeps adev->res.start as phybase; configure_dma hands
/// SSP_DR(phybase), the data register of its own MMIO, to dmaengine_slave_config as src_addr / dst_addr). The PL330
/// (drivers/dma/pl330.c, v5.x: pl330_config, pl330_prep_slave_fifo, pl330_unprep_slave_fifo, pl330_prep_slave_sg,
/// fill_px) keeps that address as fifo_addr and maps it for its own device with dma_map_resource before it builds the
/// transfer: behind an IOMMU the engine gets an IOVA for the FIFO, without one the physical address. The FIFO belongs to
/// an AMBA device on the SoC bus, not to a PCI function: there is no P2P provider and no map type to ask; the correct
/// call is dma_map_resource (or dma_map_phys with DMA_ATTR_MMIO), which is what the driver does.
/// </summary>
public sealed class Pl330SlaveFifoTests
{
    // include/linux/ioport.h, include/linux/amba/bus.h, include/linux/dmaengine.h: what the two drivers use.
    private const string Bus = """
        // struct resource
        sealed class Resource
        {
            public ulong Start;
            public ulong End;
        }

        // struct amba_device: an AMBA (platform) peripheral, its registers at res
        sealed class AmbaDevice
        {
            public PlatformDevice Dev = null!;
            public Resource Res = new();
        }

        enum DmaTransferDirection { MemToMem, MemToDev, DevToMem, DevToDev, TransNone }

        // struct dma_slave_config
        sealed class DmaSlaveConfig
        {
            public DmaTransferDirection Direction;
            public PhysAddr SrcAddr;
            public PhysAddr DstAddr;
            public int SrcAddrWidth;
            public int DstAddrWidth;
            public int SrcMaxburst;
            public int DstMaxburst;
            public bool DeviceFc;
        }

        sealed class DmaAsyncTxDescriptor
        {
            public ulong Flags;
        }

        abstract class DmaChan
        {
            // dma_device->dev: the DMA controller. (The model's DMA API takes a PciDevice; the PL330 is an AMBA device.)
            public PciDevice DeviceDev = null!;

            public abstract int Config(DmaSlaveConfig config);                                                  // device_config
            public abstract DmaAsyncTxDescriptor? PrepSlaveSg(SgTable sgt, int sgLen, DmaTransferDirection dir, ulong flags);   // device_prep_slave_sg
        }

        static class DmaEngine
        {
            // dmaengine_slave_config
            public static int SlaveConfig(DmaChan chan, DmaSlaveConfig config) => chan.Config(config);

            // dmaengine_prep_slave_sg
            public static DmaAsyncTxDescriptor? PrepSlaveSg(DmaChan chan, SgTable sgt, int sgLen, DmaTransferDirection dir, ulong flags) =>
                chan.PrepSlaveSg(sgt, sgLen, dir, flags);
        }
        """;

    // drivers/dma/pl330.c
    private const string Pl330 = """
        sealed class Pl330Xfer
        {
            public DmaAddr SrcAddr;
            public DmaAddr DstAddr;
            public ulong Bytes;
        }

        sealed class Pl330Reqcfg
        {
            public bool SrcInc;
            public bool DstInc;
            public int BrstSize;
            public int BrstLen;
        }

        sealed class DmaPl330Desc
        {
            public Pl330Xfer Px = new();
            public Pl330Reqcfg Rqcfg = new();
            public DmaTransferDirection Rqtype;
            public ulong BytesRequested;
            public DmaAsyncTxDescriptor Txd = new();
        }

        sealed class DmaPl330Chan : DmaChan
        {
            public PhysAddr FifoAddr;              // resource_size_t fifo_addr
            public DmaAddr FifoDma;
            public DmaDirection Dir = DmaDirection.None;
            public int BurstSz;
            public int BurstLen;
            public int Quirks;

            const int Pl330QuirkBrokenNoFlushp = 1 << 0;
            const int Pl330MaxBurst = 16;

            // pl330_dma_slave_map_dir: the direction between the DMAC and the FIFO, from the FIFO's point of view
            static DmaDirection SlaveMapDir(DmaTransferDirection dir) => dir switch
            {
                DmaTransferDirection.MemToDev => DmaDirection.FromDevice,
                DmaTransferDirection.DevToMem => DmaDirection.ToDevice,
                DmaTransferDirection.DevToDev => DmaDirection.Bidirectional,
                _ => DmaDirection.None,
            };

            // pl330_unprep_slave_fifo
            public void UnprepSlaveFifo()
            {
                if (Dir != DmaDirection.None)
                {
                    Dma.UnmapResource(DeviceDev, FifoDma, 1UL << BurstSz, Dir, 0);
                }

                Dir = DmaDirection.None;
            }

            // pl330_prep_slave_fifo
            bool PrepSlaveFifo(DmaTransferDirection dir)
            {
                PciDevice dev = DeviceDev;
                DmaDirection dmaDir = SlaveMapDir(dir);

                /* Already mapped for this config? */
                if (Dir == dmaDir)
                {
                    return true;
                }

                UnprepSlaveFifo();
                FifoDma = Dma.MapResource(dev, FifoAddr, 1UL << BurstSz, dmaDir, 0);
                if (Dma.MappingError(dev, FifoDma))
                {
                    return false;
                }

                Dir = dmaDir;
                return true;
            }

            // fixup_burst_len
            static int FixupBurstLen(int maxBurstLen, int quirks)
            {
                if ((quirks & Pl330QuirkBrokenNoFlushp) != 0)
                {
                    return 1;
                }
                else if (maxBurstLen > Pl330MaxBurst)
                {
                    return Pl330MaxBurst;
                }
                else if (maxBurstLen < 1)
                {
                    return 1;
                }
                else
                {
                    return maxBurstLen;
                }
            }

            // pl330_config
            public override int Config(DmaSlaveConfig slaveConfig)
            {
                UnprepSlaveFifo();
                if (slaveConfig.Direction == DmaTransferDirection.MemToDev)
                {
                    if (slaveConfig.DstAddr.Raw != 0)
                    {
                        FifoAddr = slaveConfig.DstAddr;
                    }

                    if (slaveConfig.DstAddrWidth != 0)
                    {
                        BurstSz = System.Numerics.BitOperations.TrailingZeroCount(slaveConfig.DstAddrWidth);   // __ffs
                    }

                    BurstLen = FixupBurstLen(slaveConfig.DstMaxburst, Quirks);
                }
                else if (slaveConfig.Direction == DmaTransferDirection.DevToMem)
                {
                    if (slaveConfig.SrcAddr.Raw != 0)
                    {
                        FifoAddr = slaveConfig.SrcAddr;
                    }

                    if (slaveConfig.SrcAddrWidth != 0)
                    {
                        BurstSz = System.Numerics.BitOperations.TrailingZeroCount(slaveConfig.SrcAddrWidth);
                    }

                    BurstLen = FixupBurstLen(slaveConfig.SrcMaxburst, Quirks);
                }

                return 0;
            }

            // fill_px
            static void FillPx(Pl330Xfer px, DmaAddr dst, DmaAddr src, ulong len)
            {
                px.Bytes = len;
                px.DstAddr = dst;
                px.SrcAddr = src;
            }

            // pl330_prep_slave_sg
            public override DmaAsyncTxDescriptor? PrepSlaveSg(SgTable sgt, int sgLen, DmaTransferDirection direction, ulong flg)
            {
                DmaPl330Desc? desc = null;
                if (sgLen == 0)
                {
                    return null;
                }

                if (!PrepSlaveFifo(direction))
                {
                    return null;
                }

                for (int i = 0; i < sgLen; i++)
                {
                    Scatterlist sg = sgt[i];
                    desc = new DmaPl330Desc();   // pl330_get_desc
                    if (direction == DmaTransferDirection.MemToDev)
                    {
                        desc.Rqcfg.SrcInc = true;
                        desc.Rqcfg.DstInc = false;
                        FillPx(desc.Px, FifoDma, sg.DmaAddress, sg.DmaLength);
                    }
                    else
                    {
                        desc.Rqcfg.SrcInc = false;
                        desc.Rqcfg.DstInc = true;
                        FillPx(desc.Px, sg.DmaAddress, FifoDma, sg.DmaLength);
                    }

                    desc.Rqcfg.BrstSize = BurstSz;
                    desc.Rqcfg.BrstLen = BurstLen;
                    desc.Rqtype = direction;
                    desc.BytesRequested = sg.DmaLength;
                }

                /* Return the last desc in the chain */
                desc!.Txd.Flags = flg;
                return desc.Txd;
            }
        }
        """;

    // drivers/spi/spi-pl022.c
    private const string Pl022 = """
        sealed class Pl022
        {
            public AmbaDevice Adev = null!;
            public PhysAddr Phybase;               // resource_size_t phybase
            public DmaChan? DmaRxChannel;
            public DmaChan? DmaTxChannel;
            public SgTable SgtRx = null!;
            public SgTable SgtTx = null!;
            public int RxLevTrig;
            public int TxLevTrig;
            public int FifoDepth;
        }

        static class SpiPl022
        {
            // #define SSP_DR(r) (r + 0x008)
            static PhysAddr SspDr(PhysAddr r) => r + 0x008;

            // pl022_probe: the controller's registers
            public static int Probe(AmbaDevice adev, Pl022 pl022)
            {
                pl022.Adev = adev;
                pl022.Phybase = PhysAddr.FromRaw(adev.Res.Start);
                return 0;
            }

            // configure_dma: the FIFO is the slave address of both channels
            public static int ConfigureDma(Pl022 pl022)
            {
                var rxConf = new DmaSlaveConfig
                {
                    SrcAddr = SspDr(pl022.Phybase),
                    Direction = DmaTransferDirection.DevToMem,
                    DeviceFc = false,
                };
                var txConf = new DmaSlaveConfig
                {
                    DstAddr = SspDr(pl022.Phybase),
                    Direction = DmaTransferDirection.MemToDev,
                    DeviceFc = false,
                };
                DmaChan? rxchan = pl022.DmaRxChannel;
                DmaChan? txchan = pl022.DmaTxChannel;

                /* Check that the channels are available */
                if (rxchan is null || txchan is null)
                {
                    return -19;
                }

                rxConf.SrcMaxburst = pl022.RxLevTrig switch { 0 => 1, 1 => 4, 2 => 8, 3 => 16, 4 => 32, _ => pl022.FifoDepth >> 1 };
                txConf.DstMaxburst = pl022.TxLevTrig switch { 0 => 1, 1 => 4, 2 => 8, 3 => 16, 4 => 32, _ => pl022.FifoDepth >> 1 };
                rxConf.SrcAddrWidth = 1;
                txConf.DstAddrWidth = 1;

                DmaEngine.SlaveConfig(rxchan, rxConf);
                DmaEngine.SlaveConfig(txchan, txConf);

                int rxSglen = Dma.MapSg(rxchan.DeviceDev, pl022.SgtRx, pl022.SgtRx.OrigNents, DmaDirection.FromDevice);
                if (rxSglen == 0)
                {
                    return -12;
                }

                int txSglen = Dma.MapSg(txchan.DeviceDev, pl022.SgtTx, pl022.SgtTx.OrigNents, DmaDirection.ToDevice);
                if (txSglen == 0)
                {
                    Dma.UnmapSg(rxchan.DeviceDev, pl022.SgtRx, pl022.SgtRx.OrigNents, DmaDirection.FromDevice);
                    return -12;
                }

                DmaAsyncTxDescriptor? rxdesc = DmaEngine.PrepSlaveSg(rxchan, pl022.SgtRx, rxSglen, DmaTransferDirection.DevToMem, 0);
                if (rxdesc is null)
                {
                    Dma.UnmapSg(txchan.DeviceDev, pl022.SgtTx, pl022.SgtTx.OrigNents, DmaDirection.ToDevice);
                    Dma.UnmapSg(rxchan.DeviceDev, pl022.SgtRx, pl022.SgtRx.OrigNents, DmaDirection.FromDevice);
                    return -12;
                }

                DmaAsyncTxDescriptor? txdesc = DmaEngine.PrepSlaveSg(txchan, pl022.SgtTx, txSglen, DmaTransferDirection.MemToDev, 0);
                if (txdesc is null)
                {
                    Dma.UnmapSg(txchan.DeviceDev, pl022.SgtTx, pl022.SgtTx.OrigNents, DmaDirection.ToDevice);
                    Dma.UnmapSg(rxchan.DeviceDev, pl022.SgtRx, pl022.SgtRx.OrigNents, DmaDirection.FromDevice);
                    return -12;
                }

                return 0;
            }
        }
        """;

    [Fact]
    public Task Pl330PrepSlaveFifo_DmaMapResourceOfPl022DataRegister_NoDiagnostic() => KernelVerify.RunAsync(Bus, Pl330, Pl022);
}
