using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// io_uring zcrx's area mapping, before and after P2P0022's guarded unmap (<c>P2P0022FixProofTests</c>): the table is
/// mapped unless the area is a dma-buf, its segments handed to the area's net_iovs, and the error return is also the
/// success return, so the fix unmaps before it only where the table was mapped and the population failed.
/// </summary>
public sealed class P2P0022GuardProofScenario
{
    private const string Area = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        public sealed class IoZcrxMem
        {
            public bool IsDmabuf;
            public SgTable PageSgTable = null!;
        }

        public sealed class IoZcrxArea
        {
            public IoZcrxMem Mem = new();
            public DmaAddr[] Niovs = Array.Empty<DmaAddr>();
            public bool IsMapped;
        }

        public static partial class Scenario
        {
            // io_populate_area_dma: each DMA segment to a net_iov; -EFAULT when the segments outnumber them
            static int PopulateAreaDma(IoZcrxArea area)
            {
                int idx = 0;
                foreach (Scatterlist sg in area.Mem.PageSgTable.DmaSegments)
                {
                    if (idx >= area.Niovs.Length)
                    {
                        return -14;
                    }

                    area.Niovs[idx++] = sg.DmaAddress;
                }

                return 0;
            }

            // io_zcrx_unmap_area: only an area marked mapped is unmapped
            public static void UnmapArea(PciDevice dev, IoZcrxArea area)
            {
                if (!area.IsMapped)
                {
                    return;
                }

                area.IsMapped = false;
                if (!area.Mem.IsDmabuf)
                {
                    Dma.UnmapSgTable(dev, area.Mem.PageSgTable, DmaDirection.FromDevice);
                }
            }

            // map the area's pages for the device, then tear it down as the ring's release does
            public static int MapAndRelease(PciTopology t, PciDevice dev, int pages, int niovs)
            {
                var area = new IoZcrxArea { Niovs = new DmaAddr[niovs] };
                area.Mem.PageSgTable = SgTable.FromPages(t.Memory.AllocPages(pages));
                int ret = MapArea(dev, area);
                UnmapArea(dev, area);
                return ret;
            }
        }

        """;

    internal const string Before = Area + """
        public static partial class Scenario
        {
            // io_zcrx_map_area before "io_uring/zcrx: fix sgtable leak on mapping failures"
            public static int MapArea(PciDevice dev, IoZcrxArea area)
            {
                int ret;
                if (area.IsMapped)
                {
                    return 0;
                }

                if (!area.Mem.IsDmabuf)
                {
                    ret = (int){|P2P0022:Dma.MapSgTable(dev, area.Mem.PageSgTable, DmaDirection.FromDevice)|};
                    if (ret < 0)
                    {
                        return ret;
                    }
                }

                ret = PopulateAreaDma(area);
                if (ret == 0)
                {
                    area.IsMapped = true;
                }

                return ret;
            }
        }
        """;

    internal const string After = Area + """
        public static partial class Scenario
        {
            // io_zcrx_map_area before "io_uring/zcrx: fix sgtable leak on mapping failures"
            public static int MapArea(PciDevice dev, IoZcrxArea area)
            {
                int ret;
                if (area.IsMapped)
                {
                    return 0;
                }

                if (!area.Mem.IsDmabuf)
                {
                    ret = (int)Dma.MapSgTable(dev, area.Mem.PageSgTable, DmaDirection.FromDevice);
                    if (ret < 0)
                    {
                        return ret;
                    }
                }

                ret = PopulateAreaDma(area);
                if (ret == 0)
                {
                    area.IsMapped = true;
                }

                if (ret != 0 && !area.Mem.IsDmabuf)
                {
                    Dma.UnmapSgTable(dev, area.Mem.PageSgTable, DmaDirection.FromDevice);
                }

                return ret;
            }
        }
        """;

    [Fact]
    public Task MapArea_UnmapsWhereTheTableWasMappedAndThePopulationFailed() =>
        Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0022MappingLeakedCodeFix>(Before, After);
}
