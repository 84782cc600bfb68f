using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0012IncompleteMapTypeHandlingAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// A dma-buf exporter filling its sg table entry by entry (xe_ttm_vram_mgr_alloc_sgt's loop, with the map type asked
/// as __pci_p2pdma_map_sg did) that sends BusAddr into the through-host-bridge mapping, and a free_sgt that already
/// skips bus-address entries (sg_dma_is_bus_address). The fix's BusAddr arm must mark the entry, or free_sgt would
/// unmap the new bus address: the executed proof runs the whole map, DMA and free.
/// </summary>
public sealed class P2P0012BusAddrEntryScenario
{
    private const string Exporter = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        public static class Scenario
        {
            // one entry of the exporter's table for BAR memory at phys
            private static DmaError FillEntry(PciDevice dev, P2PProvider provider, Scatterlist sg, PhysAddr phys, ulong len)
            {
                {|#0:switch|} (PciP2PDma.MapType(provider, dev))
                {%ARMS%
                        sg.DmaAddress = Dma.MapResource(dev, phys, len, DmaDirection.ToDevice, DmaAttrs.Mmio);
                        if (Dma.MappingError(dev, sg.DmaAddress))
                        {
                            return DmaError.NoMemory;
                        }

                        break;
                    default:
                        return DmaError.RemoteIo;
                }

                sg.DmaLength = len;
                return DmaError.None;
            }

            // free_sgt: bus-address entries were never mapped
            private static void FreeSgt(PciDevice dev, SgTable sgt)
            {
                foreach (Scatterlist sg in sgt)
                {
                    if (!sg.IsDmaBusAddress)
                    {
                        Dma.UnmapResource(dev, sg.DmaAddress, sg.DmaLength, DmaDirection.ToDevice, DmaAttrs.Mmio);
                    }
                }
            }

            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                SgTable sgt = SgTable.Alloc(1);
                if (FillEntry(client, provider, sgt[0], provider.Bar.CpuStart, (ulong)length) != DmaError.None)
                {
                    return Array.Empty<byte>();
                }

                byte[] data = t.Fabric.Read(client, sgt[0].DmaAddress, length).Data;
                FreeSgt(client, sgt);
                return data;
            }
        }
        """;

    internal static readonly string Before = Exporter.Replace("%ARMS%", """

                    case P2PMapType.BusAddr:
                    case P2PMapType.ThruHostBridge:
        """);

    internal static readonly string After = Exporter.Replace("{|#0:switch|}", "switch").Replace("%ARMS%", """

                    case P2PMapType.BusAddr:
                        sg.DmaAddress = PciP2PDma.BusAddrMap(provider, phys);
                        sg.MarkBusAddress();
                        break;
                    case P2PMapType.ThruHostBridge:
        """);

    [Fact]
    public Task SharedBusAddrLabel_StoredInAnEntry_GetsItsArmAndTheMark() => Verifier.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0012IncompleteMapTypeHandlingCodeFix>(Before, After,
        Verifier.Diagnostic("P2P0012").WithLocation(0).WithArguments("switch", "sends BusAddr into Dma.MapResource: a bus-address peer must get its bus address, not a mapping"));
}
