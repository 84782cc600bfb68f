namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// sdhci (drivers/mmc/host/sdhci.c, mainline v6.x, bounce-buffer and external-DMA branches left out), correct code:
/// sdhci_pre_dma_transfer maps data->sg with dma_map_sg(.., data->sg_len, ..), returns -ENOSPC for a count of 0, and
/// keeps the count in data->sg_count with the cookie in data->host_cookie; sdhci_pre_req maps ahead
/// (COOKIE_PRE_MAPPED), sdhci_prepare_data maps (COOKIE_MAPPED) unless pre-mapped and writes the ADMA table with
/// for_each_sg(data->sg, sg, host->sg_count, i) (sdhci_adma_table_pre), or the SDMA address of the one segment;
/// sdhci_adma_table_post scans the same host->sg_count segments and syncs with data->sg_len; sdhci_request_done
/// unmaps a COOKIE_MAPPED request and sdhci_post_req a pre-mapped one, both with data->sg_len.
/// No diagnostic is expected.
/// </summary>
public sealed class CorrectSdhciTests
{
    internal const string Types = """
        // struct mmc_data
        sealed class MmcData
        {
            public uint Blksz;
            public uint Blocks;
            public int Error;
            public uint Flags;
            public SgTable Sg = null!;  // struct scatterlist *sg
            public int SgLen;           // size of scatter list
            public int SgCount;         // mapped sg entries
            public int HostCookie;
            public uint BytesXfered;
        }

        sealed class MmcCommand
        {
            public uint Opcode;
            public int Error;
            public MmcData? Data;
        }

        sealed class MmcRequest
        {
            public MmcCommand Cmd = null!;
            public MmcData? Data;
        }

        // struct sdhci_host (the DMA part)
        sealed class SdhciHost
        {
            public PciDevice MmcDev = null!;  // mmc_dev(host->mmc)
            public uint Flags;
            public MmcData? Data;
            public MmcRequest? Mrq;
            public int SgCount;               // Entries mapped (host->sg_count)
            public KernelBuffer AdmaTable = null!;
            public DmaAddr AdmaAddr;
            public KernelBuffer AlignBuffer = null!;
            public DmaAddr AlignAddr;
            public ulong AdmaTableSz;
            public ulong DescSz;
            [DmaAddress] public ulong SdmaAddressReg;  // SDHCI_DMA_ADDRESS
            [DmaAddress] public ulong AdmaAddressReg;  // SDHCI_ADMA_ADDRESS
        }

        // struct sdhci_adma2_64_desc
        sealed class SdhciAdma2Desc
        {
            public ushort Cmd;
            public ushort Len;
            [DmaAddress] public ulong Addr;
        }

        static partial class Sdhci
        {
            public const uint SdhciReqUseDma = 1 << 2, SdhciUseAdma = 1 << 1, SdhciUseSdma = 1 << 0;
            public const uint MmcDataWrite = 1 << 8, MmcDataRead = 1 << 9;
            public const int CookieUnmapped = 0, CookiePreMapped = 1, CookieMapped = 2;
            public const int Enospc = 28;
            public const ulong SdhciAdma2Align = 4, SdhciAdma2Mask = 3;
            public const ushort Adma2TranValid = 0x21, Adma2NopEndValid = 0x3;

            public static readonly List<SdhciAdma2Desc> AdmaDescs = new();

            // mmc_get_dma_dir
            public static DmaDirection MmcGetDmaDir(MmcData data) =>
                (data.Flags & MmcDataWrite) != 0 ? DmaDirection.ToDevice : DmaDirection.FromDevice;

            // __sdhci_adma_write_desc
            public static void AdmaWriteDesc(SdhciHost host, ref int desc, DmaAddr addr, int len, ushort cmd)
            {
                AdmaDescs.Add(new SdhciAdma2Desc { Cmd = cmd, Len = (ushort)len, Addr = addr.Raw });
                desc++;
            }
        }
        """;

    // sdhci_pre_dma_transfer, sdhci_adma_table_pre, sdhci_prepare_data, sdhci_pre_req
    internal const string Prepare = """
        static partial class Sdhci
        {
            public static int PreDmaTransfer(SdhciHost host, MmcData data, int cookie)
            {
                int sgCount;

                // If the data buffers are already mapped, return the previous dma_map_sg() result.
                if (data.HostCookie == CookiePreMapped)
                {
                    return data.SgCount;
                }

                // Just access the data directly from memory
                sgCount = Dma.MapSg(host.MmcDev, data.Sg, data.SgLen, MmcGetDmaDir(data));

                if (sgCount == 0)
                {
                    return -Enospc;
                }

                data.SgCount = sgCount;
                data.HostCookie = cookie;

                return sgCount;
            }

            public static void AdmaTablePre(SdhciHost host, MmcData data, int sgCount)
            {
                Scatterlist? sg;
                DmaAddr addr, alignAddr;
                int desc, align;
                int len, offset, i;

                // The spec does not specify endianness of descriptor table. We currently guess that it is LE.
                host.SgCount = sgCount;

                desc = 0;
                align = 0;

                alignAddr = host.AlignAddr;

                for (i = 0, sg = data.Sg[0]; i < host.SgCount; i++, sg = sg.Next()!)
                {
                    addr = sg.DmaAddress;
                    len = (int)sg.DmaLength;

                    // The SDHCI specification states that ADMA addresses must be 32-bit aligned. If they aren't,
                    // then we use a bounce buffer for the (up to three) bytes that screw up the alignment.
                    offset = (int)((SdhciAdma2Align - (addr.Raw & SdhciAdma2Mask)) & SdhciAdma2Mask);
                    if (offset != 0)
                    {
                        if ((data.Flags & MmcDataWrite) != 0)
                        {
                            // memcpy(align, sg_virt(sg), offset) through kmap_local_page
                        }

                        // tran, valid
                        AdmaWriteDesc(host, ref desc, alignAddr, offset, Adma2TranValid);

                        align += (int)SdhciAdma2Align;
                        alignAddr += SdhciAdma2Align;

                        addr += (ulong)offset;
                        len -= offset;
                    }

                    // tran, valid
                    if (len > 0)
                    {
                        AdmaWriteDesc(host, ref desc, addr, len, Adma2TranValid);
                    }
                }

                // Add a terminating entry: nop, end, valid
                AdmaWriteDesc(host, ref desc, default, 0, Adma2NopEndValid);
            }

            public static void PrepareData(SdhciHost host, MmcCommand cmd)
            {
                MmcData? data = cmd.Data;

                if (data == null)
                {
                    return;
                }

                host.Data = data;
                data.BytesXfered = 0;

                if ((host.Flags & (SdhciUseSdma | SdhciUseAdma)) != 0)
                {
                    host.Flags |= SdhciReqUseDma;
                }

                if ((host.Flags & SdhciReqUseDma) != 0)
                {
                    int sgCnt = PreDmaTransfer(host, data, CookieMapped);

                    if (sgCnt <= 0)
                    {
                        // This only happens when someone fed us an invalid request.
                        host.Flags &= ~SdhciReqUseDma;
                    }
                    else if ((host.Flags & SdhciUseAdma) != 0)
                    {
                        AdmaTablePre(host, data, sgCnt);
                        host.AdmaAddressReg = host.AdmaAddr.Raw;  // sdhci_set_adma_addr(host, host->adma_addr)
                    }
                    else
                    {
                        // WARN_ON(sg_cnt != 1);
                        host.SdmaAddressReg = data.Sg[0].DmaAddress.Raw;  // sdhci_set_sdma_addr(host, sdhci_sdma_address(host))
                    }
                }
            }

            public static void PreReq(SdhciHost host, MmcRequest mrq)
            {
                mrq.Data!.HostCookie = CookieUnmapped;

                // No pre-mapping in the pre hook if we're using the bounce buffer.
                if ((host.Flags & SdhciReqUseDma) != 0)
                {
                    PreDmaTransfer(host, mrq.Data, CookiePreMapped);
                }
            }
        }
        """;

    // sdhci_adma_table_post, sdhci_request_done, sdhci_post_req
    internal const string Done = """
        static partial class Sdhci
        {
            public static void AdmaTablePost(SdhciHost host, MmcData data)
            {
                Scatterlist? sg;
                int i, size;

                if ((data.Flags & MmcDataRead) != 0)
                {
                    bool hasUnaligned = false;

                    // Do a quick scan of the SG list for any unaligned mappings
                    for (i = 0, sg = data.Sg[0]; i < host.SgCount; i++, sg = sg.Next()!)
                    {
                        if ((sg.DmaAddress.Raw & SdhciAdma2Mask) != 0)
                        {
                            hasUnaligned = true;
                            break;
                        }
                    }

                    if (hasUnaligned)
                    {
                        Dma.SyncSgForCpu(host.MmcDev, data.Sg, data.SgLen, DmaDirection.FromDevice);

                        for (i = 0, sg = data.Sg[0]; i < host.SgCount; i++, sg = sg.Next()!)
                        {
                            if ((sg.DmaAddress.Raw & SdhciAdma2Mask) != 0)
                            {
                                size = (int)(SdhciAdma2Align - (sg.DmaAddress.Raw & SdhciAdma2Mask));
                                // memcpy(sg_virt(sg), align, size); align += SDHCI_ADMA2_ALIGN;
                            }
                        }
                    }
                }
            }

            public static bool RequestDone(SdhciHost host)
            {
                MmcRequest? mrq = host.Mrq;

                if (mrq == null)
                {
                    return true;
                }

                // Always unmap the data buffers if they were mapped by sdhci_prepare_data() whenever we finish
                // with a request. This avoids leaking DMA mappings on error.
                if ((host.Flags & SdhciReqUseDma) != 0)
                {
                    MmcData? data = mrq.Data;

                    if (data != null && data.HostCookie == CookieMapped)
                    {
                        if ((host.Flags & SdhciUseAdma) != 0)
                        {
                            AdmaTablePost(host, data);
                        }

                        // Unmap the raw data
                        Dma.UnmapSg(host.MmcDev, data.Sg, data.SgLen, MmcGetDmaDir(data));
                        data.HostCookie = CookieUnmapped;
                    }
                }

                host.Mrq = null;
                // mmc_request_done(host->mmc, mrq);
                return false;
            }

            public static void PostReq(SdhciHost host, MmcRequest mrq, int err)
            {
                MmcData data = mrq.Data!;

                if (data.HostCookie != CookieUnmapped)
                {
                    Dma.UnmapSg(host.MmcDev, data.Sg, data.SgLen, MmcGetDmaDir(data));
                }

                data.HostCookie = CookieUnmapped;
            }
        }
        """;

    [Fact]
    public Task Sdhci_PreDmaTransfer_AdmaTable_RequestDone_NoDiagnostic() => KernelVerify.RunAsync(Types, Prepare, Done);
}
