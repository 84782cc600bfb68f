namespace P2PAnalyzers.Corpus;

/// <summary>The templates of family 3 whose habit is a use of a DMA address where it maps nothing: after its unmap, or past the segments a scatterlist map returned.</summary>
internal static partial class ViolationTemplates
{
    // aml_sfc_dma_buffer_setup as merged: the info buffer's mapping failure unmaps the data buffer inline, then
    // out_map_data unmaps it again (CVE-2026-43461). The controller keeps both addresses; the release unmaps them.
    private static string AmlSfcDmaBufferSetup(string c, Rng r) => $$"""
        public sealed class {{c}}AmlSfc
        {
            public PciDevice Dev = null!;
            public DmaAddr Daddr;
            public DmaAddr Iaddr;
            public uint LastCmd;

            private int RegmapWrite(uint cmd)
            {
                LastCmd = cmd;
                return cmd == 0 ? -5 : 0;
            }

            public int DmaBufferSetup(KernelBuffer databuf, ulong datalen, KernelBuffer? infobuf, ulong infolen, DmaDirection dir)
            {
                int ret;
                Daddr = Dma.MapSingle(Dev, databuf, 0, datalen, dir);
                if (Dma.MappingError(Dev, Daddr))
                {
                    return -12;
                }

                ret = RegmapWrite(0x{{r.Next(0x100, 0xfff):x}}u | (uint)(Daddr.Raw & 0xffff));
                if (ret != 0)
                {
                    goto outMapData;
                }

                if (infobuf != null)
                {
                    Iaddr = Dma.MapSingle(Dev, infobuf, 0, infolen, dir);
                    if (Dma.MappingError(Dev, Iaddr))
                    {
                        ret = -12;
                        Dma.UnmapSingle(Dev, Daddr, datalen, dir);
                        goto outMapData;
                    }

                    ret = RegmapWrite(0x{{r.Next(0x100, 0xfff):x}}u | (uint)(Iaddr.Raw & 0xffff));
                    if (ret != 0)
                    {
                        goto outMapInfo;
                    }
                }

                return 0;

            outMapInfo:
                Dma.UnmapSingle(Dev, Iaddr, infolen, dir);
            outMapData:
                Dma.UnmapSingle(Dev, Daddr, datalen, dir);⟦P2P0023⟧
                return ret;
            }

            // aml_sfc_dma_buffer_release
            public void DmaBufferRelease(ulong datalen, ulong infolen, DmaDirection dir)
            {
                Dma.UnmapSingle(Dev, Daddr, datalen, dir);
                if (infolen != 0)
                {
                    Dma.UnmapSingle(Dev, Iaddr, infolen, dir);
                }
            }
        }
        """;

    // Documentation/core-api/dma-api-howto.rst's descriptor loop, bounded by the nents given instead of the count
    // dma_map_sg returned: behind an IOMMU the entries past it hold DMA_MAPPING_ERROR.
    private static string SgDescriptorsPastTheCount(string c, Rng r) => $$"""
        public sealed class {{c}}SgDescriptors
        {
            public PciDevice Dev = null!;
            public DmaAddr[] HwAddress = new DmaAddr[{{r.Next(8, 33)}}];
            public ulong[] HwLen = new ulong[{{r.Next(8, 33)}}];

            public int Program(SgTable sglist, int nents)
            {
                int count = Dma.MapSg(Dev, sglist, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                for (int i = 0; i < nents;⟦P2P0024⟧ i++)
                {
                    HwAddress[i] = sglist[i].DmaAddress;
                    HwLen[i] = sglist[i].DmaLength;
                }

                return count;
            }

            public void Unprogram(SgTable sglist, int nents) => Dma.UnmapSg(Dev, sglist, nents, DmaDirection.ToDevice);
        }
        """;

    // nvme_map_data before "nvme-pci: fix error unwind in nvme_map_data" (2021): out: calls nvme_unmap_data whenever ret is
    // not BLK_STS_OK, also when dma_map_sg mapped nothing; the helper reaches the table through blk_mq_rq_to_pdu(req).
    private static string NvmeMapDataOutUnmapsData(string c, Rng r) => $$"""
        public sealed class {{c}}UnwindRequest
        {
            public object Pdu = null!;
            public DmaDirection Dir;
            public int NrPhysSegments;
        }

        public sealed class {{c}}UnwindIod
        {
            public SgTable Sg = null!;
            public int Nents;
            public int Npages;
            public bool UseSgl;
            public DmaAddr FirstDma;
            public KernelBuffer[] List = new KernelBuffer[4];
        }

        public static class {{c}}UnwindNvmePci
        {
            private const int BlkStsOk = 0;
            private const int BlkStsResource = {{r.Next(9, 13)}};

            private static {{c}}UnwindIod BlkMqRqToPdu({{c}}UnwindRequest rq) => ({{c}}UnwindIod)rq.Pdu;

            private static int SetupPrps({{c}}UnwindIod iod, int mapped) => mapped > 0 ? BlkStsOk : BlkStsResource;

            private static int SetupSgls({{c}}UnwindIod iod, int mapped) => mapped > {{r.Next(1, 4)}} ? BlkStsOk : BlkStsResource;

            // nvme_unmap_data: the table, then the PRP or SGL list pages
            public static void UnmapData(PciDevice dev, DmaPool pool, {{c}}UnwindRequest req)
            {
                {{c}}UnwindIod iod = BlkMqRqToPdu(req);
                DmaAddr dmaAddr = iod.FirstDma;
                Dma.LegacyUnmapSg(dev, iod.Sg, iod.Nents, req.Dir);
                for (int i = 0; i < iod.Npages; i++)
                {
                    KernelBuffer list = iod.List[i];
                    ulong next = BitConverter.ToUInt64(list.Read(iod.UseSgl ? {{r.Pick(new[] { 4080, 4088 })}}UL : 4088UL, 8), 0);
                    pool.Free(list, dmaAddr);
                    dmaAddr = DmaAddr.FromRaw(next);
                }
            }

            // nvme_map_data
            public static int MapData(PciDevice dev, DmaPool pool, {{c}}UnwindRequest req)
            {
                {{c}}UnwindIod iod = BlkMqRqToPdu(req);
                int ret = BlkStsResource;
                iod.Sg = SgTable.Alloc(req.NrPhysSegments);
                iod.Nents = req.NrPhysSegments;
                int nrMapped = Dma.LegacyMapSg(dev, iod.Sg, iod.Nents, req.Dir);
                if (nrMapped == 0)
                {
                    goto out_;
                }

                iod.UseSgl = req.NrPhysSegments > {{r.Next(1, 3)}};
                ret = iod.UseSgl ? SetupSgls(iod, nrMapped) : SetupPrps(iod, nrMapped);
            out_:
                if (ret != BlkStsOk)
                {
                    UnmapData(dev, pool, req);⟦P2P0023⟧
                }

                return ret;
            }
        }
        """;

    // rockchip_sfc_probe before "spi: rockchip-sfc: Fix DMA-API usage" (2025): the bounce buffer's virt_to_phys cached
    // as its DMA address, synced and programmed by the transfers.
    private static string RockchipSfcVirtToPhysBuffer(string c, Rng r) => $$"""
        public sealed class {{c}}RockchipSfc
        {
            public PciDevice Dev = null!;
            public KernelBuffer? Buffer;
            public DmaAddr DmaBuffer;
            public uint DmaAddrReg;
            public ulong MaxIosize = {{r.Pick(new[] { 4096, 8192, 16384 })}};

            public int Probe(SystemMemory mem)
            {
                Buffer = mem.Kmalloc(MaxIosize);
                DmaBuffer = DmaAddr.FromRaw(Buffer.VirtToPhys().Raw);⟦P2P0001⟧
                return 0;
            }

            public int XferDataDma(ulong len, bool write)
            {
                if (write)
                {
                    Dma.SyncSingleForDevice(Dev, DmaBuffer, len, DmaDirection.ToDevice);
                }

                DmaAddrReg = (uint)DmaBuffer.Raw;
                if (!write)
                {
                    Dma.SyncSingleForCpu(Dev, DmaBuffer, len, DmaDirection.FromDevice);
                }

                return (int)len;
            }
        }
        """;
}
