namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// A PCI function handing its own BAR to itself: the Synopsys DesignWare eDMA behind a PCIe endpoint, driven from the
/// host (drivers/dma/dw-edma/dw-edma-pcie.c at torvalds/linux 002bbaa2f60e, dw_edma_pcie_probe). The eDMA's linked lists
/// live in the endpoint's own BAR 2: the probe records each channel's list as pci_bus_address(pdev, bar) + off (an
/// earlier version used pdev->resource[bar].start, the CPU address, and was fixed to the bus address), and the core
/// (drivers/dma/dw-edma/dw-edma-v0-core.c, dw_edma_v0_core_write_chunk and dw_edma_v0_core_start) writes it into the
/// last list element's link pointer and the channel's LLP register. The device fetches from its own BAR: the bus
/// address is the right value, no mapping is involved, and no other device is in the picture.
/// Before "dmaengine: dw-edma: Convert ll/dt phys-address to PCIe bus/DMA address" (Serge Semin, 2022, Fixes:
/// 41aaff2a2ac0 "dmaengine: Add Synopsys eDMA IP PCIe glue-logic") the probe stored pdev->resource[bar].start, the
/// CPU physical address, into a phys_addr_t paddr: the eDMA missed its own lists behind a translating host bridge.
/// </summary>
public sealed class DwEdmaPcieTests
{
    // Known misses (MissedP2P0002): the CPU address stays a PhysAddr and reaches the device as .Raw in a plain register
    // write; P2P0002 needs a bus-address sink (PciBusAddr.FromRaw or a [PciBusAddress] member), which the port has not.
    // include/linux/dma/edma.h (struct dw_edma_region, struct dw_edma_chip) and dw-edma-pcie.c.
    private const string Pcie = """
        // struct dw_edma_region: paddr is what the eDMA uses to reach the region (u64 since the fix)
        sealed class DwEdmaRegion
        {
            public ulong Paddr;
            public ulong Vaddr;      // void __iomem *: the CPU mapping (pcim_iomap_table)
            public ulong Sz;
        }

        sealed class DwEdmaChip
        {
            public PciDevice Dev = null!;
            public int Id;
            public int LlWrCnt;
            public int LlRdCnt;
            public ulong RegBase;
            public DwEdmaRegion[] LlRegionWr = { new(), new() };
            public DwEdmaRegion[] LlRegionRd = { new(), new() };
            public DwEdmaRegion[] DtRegionWr = { new(), new() };
            public DwEdmaRegion[] DtRegionRd = { new(), new() };
        }

        // struct dw_edma_block
        struct DwEdmaBlock
        {
            public int Bar;
            public ulong Off;
            public ulong Sz;

            public DwEdmaBlock(int bar, ulong off, ulong sz)
            {
                Bar = bar;
                Off = off;
                Sz = sz;
            }
        }

        // struct dw_edma_pcie_data
        sealed class DwEdmaPcieData
        {
            public DwEdmaBlock Rg;
            public DwEdmaBlock[] LlWr = new DwEdmaBlock[2];
            public DwEdmaBlock[] LlRd = new DwEdmaBlock[2];
            public DwEdmaBlock[] DtWr = new DwEdmaBlock[2];
            public DwEdmaBlock[] DtRd = new DwEdmaBlock[2];
            public int WrChCnt;
            public int RdChCnt;

            public DwEdmaPcieData Clone() => new()
            {
                Rg = Rg,
                LlWr = (DwEdmaBlock[])LlWr.Clone(),
                LlRd = (DwEdmaBlock[])LlRd.Clone(),
                DtWr = (DwEdmaBlock[])DtWr.Clone(),
                DtRd = (DwEdmaBlock[])DtRd.Clone(),
                WrChCnt = WrChCnt,
                RdChCnt = RdChCnt,
            };
        }

        static class DwEdmaPcie
        {
            const int Bar0 = 0, Bar2 = 2;

            // snps_edda_data
            public static readonly DwEdmaPcieData SnpsEddaData = new()
            {
                Rg = new DwEdmaBlock(Bar0, 0x00001000, 0x00002000),
                LlWr = new[] { new DwEdmaBlock(Bar2, 0x00000000, 0x00000800), new DwEdmaBlock(Bar2, 0x00200000, 0x00000800) },
                LlRd = new[] { new DwEdmaBlock(Bar2, 0x00400000, 0x00000800), new DwEdmaBlock(Bar2, 0x00600000, 0x00000800) },
                DtWr = new[] { new DwEdmaBlock(Bar2, 0x00800000, 0x00000800), new DwEdmaBlock(Bar2, 0x00900000, 0x00000800) },
                DtRd = new[] { new DwEdmaBlock(Bar2, 0x00a00000, 0x00000800), new DwEdmaBlock(Bar2, 0x00b00000, 0x00000800) },
                WrChCnt = 2,
                RdChCnt = 2,
            };

            // dw_edma_pcie_probe
            public static int Probe(PciDevice pdev, DwEdmaPcieData pdata, ulong[] iomapTable, out DwEdmaChip? chipOut)
            {
                chipOut = null;
                DwEdmaPcieData vsecData = pdata.Clone();

                /* DMA configuration */
                DmaError err = Dma.SetMaskAndCoherent(pdev, Dma.BitMask(64));
                if (err != DmaError.None)
                {
                    return (int)err;
                }

                var chip = new DwEdmaChip { Dev = pdev, Id = 0 };
                chip.LlWrCnt = vsecData.WrChCnt;
                chip.LlRdCnt = vsecData.RdChCnt;

                chip.RegBase = iomapTable[vsecData.Rg.Bar];
                if (chip.RegBase == 0)
                {
                    return -12;
                }

                for (int i = 0; i < chip.LlWrCnt; i++)
                {
                    DwEdmaRegion llRegion = chip.LlRegionWr[i];
                    DwEdmaRegion dtRegion = chip.DtRegionWr[i];
                    DwEdmaBlock llBlock = vsecData.LlWr[i];
                    DwEdmaBlock dtBlock = vsecData.DtWr[i];

                    llRegion.Vaddr = iomapTable[llBlock.Bar];
                    if (llRegion.Vaddr == 0)
                    {
                        return -12;
                    }

                    llRegion.Vaddr += llBlock.Off;
                    llRegion.Paddr = pdev.Bar(llBlock.Bar).BusStart.Raw;
                    llRegion.Paddr += llBlock.Off;
                    llRegion.Sz = llBlock.Sz;

                    dtRegion.Vaddr = iomapTable[dtBlock.Bar];
                    if (dtRegion.Vaddr == 0)
                    {
                        return -12;
                    }

                    dtRegion.Vaddr += dtBlock.Off;
                    dtRegion.Paddr = pdev.Bar(dtBlock.Bar).BusStart.Raw;
                    dtRegion.Paddr += dtBlock.Off;
                    dtRegion.Sz = dtBlock.Sz;
                }

                for (int i = 0; i < chip.LlRdCnt; i++)
                {
                    DwEdmaRegion llRegion = chip.LlRegionRd[i];
                    DwEdmaRegion dtRegion = chip.DtRegionRd[i];
                    DwEdmaBlock llBlock = vsecData.LlRd[i];
                    DwEdmaBlock dtBlock = vsecData.DtRd[i];

                    llRegion.Vaddr = iomapTable[llBlock.Bar];
                    if (llRegion.Vaddr == 0)
                    {
                        return -12;
                    }

                    llRegion.Vaddr += llBlock.Off;
                    llRegion.Paddr = pdev.Bar(llBlock.Bar).BusStart.Raw;
                    llRegion.Paddr += llBlock.Off;
                    llRegion.Sz = llBlock.Sz;

                    dtRegion.Vaddr = iomapTable[dtBlock.Bar];
                    if (dtRegion.Vaddr == 0)
                    {
                        return -12;
                    }

                    dtRegion.Vaddr += dtBlock.Off;
                    dtRegion.Paddr = pdev.Bar(dtBlock.Bar).BusStart.Raw;
                    dtRegion.Paddr += dtBlock.Off;
                    dtRegion.Sz = dtBlock.Sz;
                }

                chipOut = chip;
                return 0;
            }
        }
        """;

    // drivers/dma/dw-edma/dw-edma-core.h and dw-edma-v0-core.c: the chunk keeps its channel's list region and the core
    // programs its address into the hardware.
    private const string Core = """
        sealed class DwEdmaBurst
        {
            public ulong Sar;
            public ulong Dar;
            public uint Sz;
        }

        sealed class DwEdmaChunk
        {
            public DwEdmaChan Chan = null!;
            public DwEdmaRegion LlRegion = new();
            public List<DwEdmaBurst> Bursts = new();
            public bool Cb;
        }

        sealed class DwEdmaChan
        {
            public DwEdmaChip Chip = null!;
            public int Id;
            public bool Write;
        }

        // struct dw_edma_v0_lli / dw_edma_v0_llp, in the list region (the BAR, through vaddr)
        sealed class LlElement
        {
            public uint Control;
            public uint TransferSize;
            public ulong Sar;
            public ulong Dar;
            public ulong Llp;
        }

        // the channel registers (struct dw_edma_v0_ch_regs)
        sealed class ChRegs
        {
            public uint ChControl1;
            public uint LlpLsb;
            public uint LlpMsb;
        }

        static class DwEdmaV0Core
        {
            const uint DwEdmaV0Cb = 1u << 0, DwEdmaV0Tcb = 1u << 1, DwEdmaV0Llp = 1u << 2, DwEdmaV0Lie = 1u << 3,
                DwEdmaV0Ccs = 1u << 8, DwEdmaV0Lle = 1u << 9;

            // dw_edma_alloc_chunk (dw-edma-core.c): the chunk's list is its channel's region
            public static DwEdmaChunk AllocChunk(DwEdmaChan chan)
            {
                var chunk = new DwEdmaChunk { Chan = chan };
                DwEdmaRegion region = chan.Write ? chan.Chip.LlRegionWr[chan.Id] : chan.Chip.LlRegionRd[chan.Id];
                chunk.LlRegion.Paddr = region.Paddr;
                chunk.LlRegion.Vaddr = region.Vaddr;
                chunk.LlRegion.Sz = region.Sz;
                return chunk;
            }

            // dw_edma_v0_core_write_chunk: the last element links back to the start of the list
            public static void WriteChunk(DwEdmaChunk chunk, LlElement[] lli)
            {
                uint control = 0;
                int i = 0;
                int j = chunk.Bursts.Count;
                foreach (DwEdmaBurst child in chunk.Bursts)
                {
                    control = DwEdmaV0Cb;
                    if (--j == 0)
                    {
                        control |= DwEdmaV0Lie;
                    }

                    lli[i].Control = control;
                    lli[i].TransferSize = child.Sz;
                    lli[i].Sar = child.Sar;
                    lli[i].Dar = child.Dar;
                    i++;
                }

                LlElement llp = lli[i];
                control = DwEdmaV0Llp | DwEdmaV0Tcb;
                if (!chunk.Cb)
                {
                    control |= DwEdmaV0Cb;
                }

                /* Channel control */
                llp.Control = control;
                /* Linked list */
                llp.Llp = chunk.LlRegion.Paddr;
            }

            // dw_edma_v0_core_start
            public static void Start(DwEdmaChunk chunk, bool first, ChRegs regs, LlElement[] lli)
            {
                WriteChunk(chunk, lli);
                if (first)
                {
                    regs.ChControl1 = DwEdmaV0Ccs | DwEdmaV0Lle;
                    /* Linked list */
                    regs.LlpLsb = (uint)chunk.LlRegion.Paddr;
                    regs.LlpMsb = (uint)(chunk.LlRegion.Paddr >> 32);
                }
            }
        }
        """;

    [Fact]
    public Task DwEdmaPcieProbe_OwnBarBusAddressAsLinkedListAddress_NoDiagnostic() => KernelVerify.RunAsync(Pcie, Core);

    // v5.2 - v5.19: paddr is a phys_addr_t and the probe stores pdev->resource[bar].start (+ off) in it.
    private static readonly string PcieBeforeFix = Pcie
        .Replace("public ulong Paddr;", "public PhysAddr Paddr;")
        .Replace("(u64 since the fix)", "(phys_addr_t before the fix)")
        .Replace("llRegion.Paddr = pdev.Bar(llBlock.Bar).BusStart.Raw;", "llRegion.Paddr = {|MissedP2P0002:pdev.Bar(llBlock.Bar).CpuStart|};")
        .Replace("dtRegion.Paddr = pdev.Bar(dtBlock.Bar).BusStart.Raw;", "dtRegion.Paddr = {|MissedP2P0002:pdev.Bar(dtBlock.Bar).CpuStart|};");

    private static readonly string CoreBeforeFix = Core
        .Replace("llp.Llp = chunk.LlRegion.Paddr;", "llp.Llp = chunk.LlRegion.Paddr.Raw;")
        .Replace("regs.LlpLsb = (uint)chunk.LlRegion.Paddr;", "regs.LlpLsb = (uint)chunk.LlRegion.Paddr.Raw;")
        .Replace("regs.LlpMsb = (uint)(chunk.LlRegion.Paddr >> 32);", "regs.LlpMsb = (uint)(chunk.LlRegion.Paddr.Raw >> 32);");

    [Fact]
    public Task DwEdmaPcieProbe_BeforeFix_ResourceStartAsLinkedListAddress_Reports() => KernelVerify.RunAsync(PcieBeforeFix, CoreBeforeFix);
}
