using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0013BusAddressUnmappedAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// Runnable scenarios for the P2P0013 fix kinds not covered by <see cref="P2P0013ProofScenario"/>: the unmap of a
/// definite bus address (removed), the per-entry unmap of a P2P-aware table (guarded by the entry's bus-address mark)
/// and the pre-6.2 dma_unmap_sg of such a table (Dma.UnmapSgTable). Each reads a peer's p2pmem as one DMA.
/// </summary>
public sealed class P2P0013KindScenarios
{
    private const string Head = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        public static class Scenario
        {
        """;

    // pci_p2pdma_bus_addr_map for a switch-local peer, then the same dma_unmap_phys as for a mapping.
    internal const string DefiniteBefore = Head + """
            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                if (PciP2PDma.MapType(provider, client) != P2PMapType.BusAddr)
                {
                    return Array.Empty<byte>();
                }

                DmaAddr bus = PciP2PDma.BusAddrMap(provider, provider.Bar.CpuStart);
                byte[] data = t.Fabric.Read(client, bus, length).Data;
                // the transfer is done
                {|P2P0013:Dma.UnmapPhys(client, bus, (ulong)length, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
                return data;
            }
        }
        """;

    internal const string DefiniteAfter = Head + """
            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                if (PciP2PDma.MapType(provider, client) != P2PMapType.BusAddr)
                {
                    return Array.Empty<byte>();
                }

                DmaAddr bus = PciP2PDma.BusAddrMap(provider, provider.Bar.CpuStart);
                byte[] data = t.Fabric.Read(client, bus, length).Data;
                // the transfer is done
                return data;
            }
        }
        """;

    // The table of a p2pmem buffer mapped with dma_map_sgtable; the completion unmaps segment by segment (nvme's
    // nvme_unmap_data before the dma_vec rework), or hands the table to the pre-6.2 dma_unmap_sg.
    private const string Table = Head + """
            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                PciP2PDma.AddResource(provider.Bar.Device, provider.Bar.Index);
                SgTable sgt = SgTable.FromPages(new[] { t.Memory.PhysToPage(provider.Bar.CpuStart) });
                if (Dma.MapSgTable(client, sgt, DmaDirection.ToDevice) != DmaError.None)
                {
                    return Array.Empty<byte>();
                }

                byte[] data = t.Fabric.Read(client, sgt[0].DmaAddress, length).Data;
                %UNMAP%
                return data;
            }
        }
        """;

    internal static readonly string EntryBefore = Table.Replace("%UNMAP%", """
        foreach (Scatterlist sg in sgt.DmaSegments)
                {
                    {|P2P0013:Dma.UnmapPhys(client, sg.DmaAddress, sg.DmaLength, DmaDirection.ToDevice)|};
                }
        """);

    internal static readonly string EntryAfter = Table.Replace("%UNMAP%", """
        foreach (Scatterlist sg in sgt.DmaSegments)
                {
                    if (!sg.IsDmaBusAddress)
                    {
                        Dma.UnmapPhys(client, sg.DmaAddress, sg.DmaLength, DmaDirection.ToDevice);
                    }
                }
        """);

    internal static readonly string LegacyBefore = Table.Replace("%UNMAP%", "{|P2P0013:Dma.LegacyUnmapSg(client, sgt, sgt.OrigNents, DmaDirection.ToDevice)|};");

    internal static readonly string LegacyAfter = Table.Replace("%UNMAP%", "Dma.UnmapSgTable(client, sgt, DmaDirection.ToDevice);");

    [Fact]
    public Task Definite_UnmapIsRemoved() => Verifier.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0013BusAddressUnmappedCodeFix>(DefiniteBefore, DefiniteAfter);

    [Fact]
    public Task Entry_UnmapIsGuardedByTheMark() => Verifier.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0013BusAddressUnmappedCodeFix>(EntryBefore, EntryAfter);

    [Fact]
    public Task Legacy_BecomesUnmapSgTable() => Verifier.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0013BusAddressUnmappedCodeFix>(LegacyBefore, LegacyAfter);
}
