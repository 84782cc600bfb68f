using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0012IncompleteMapTypeHandlingAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

public sealed class P2P0012CodeFixTests
{
    internal const string Before = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        public static class Scenario
        {
            // A driver that asks the map type but treats BusAddr like ThruHostBridge, and forgets NotSupported.
            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                DmaAddr addr = DmaAddr.MappingError;
                {|#0:{|#1:switch|}|} (PciP2PDma.MapType(provider, client))
                {
                    case P2PMapType.BusAddr:
                    case P2PMapType.ThruHostBridge:
                        addr = Dma.MapPhys(client, provider.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice, DmaAttrs.Mmio);
                        break;
                    case P2PMapType.None:
                        break;
                }

                if (Dma.MappingError(client, addr))
                {
                    return Array.Empty<byte>();
                }

                return t.Fabric.Read(client, addr, length).Data;
            }
        }
        """;

    internal const string After = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        public static class Scenario
        {
            // A driver that asks the map type but treats BusAddr like ThruHostBridge, and forgets NotSupported.
            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                DmaAddr addr = DmaAddr.MappingError;
                switch (PciP2PDma.MapType(provider, client))
                {
                    case P2PMapType.BusAddr:
                        addr = PciP2PDma.BusAddrMap(provider, provider.Bar.CpuStart);
                        break;
                    case P2PMapType.ThruHostBridge:
                        addr = Dma.MapPhys(client, provider.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice, DmaAttrs.Mmio);
                        break;
                    case P2PMapType.None:
                        break;
                    case P2PMapType.NotSupported:
                        return null;
                }

                if (Dma.MappingError(client, addr))
                {
                    return Array.Empty<byte>();
                }

                return t.Fabric.Read(client, addr, length).Data;
            }
        }
        """;

    [Fact]
    public Task SharedBusAddrSectionAndMissingNotSupported_AreFixed() => Verifier.CodeFix<P2P0012IncompleteMapTypeHandlingCodeFix>(Before, After,
        Verifier.Diagnostic("P2P0012").WithLocation(0).WithArguments("switch", "sends BusAddr into Dma.MapPhys: a bus-address peer must get its bus address, not a mapping"),
        Verifier.Diagnostic("P2P0012").WithLocation(1).WithArguments("switch", "has no arm for NotSupported and no default: an unsupported peer must fail the mapping"));

    [Fact]
    public Task SwitchExpression_ReportsWithoutFix() => Verifier.NoCodeFix<P2P0012IncompleteMapTypeHandlingCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        class C
        {
            DmaAddr M(P2PProvider p, PciDevice dev) => PciP2PDma.MapType(p, dev) {|P2P0012:switch|}
            {
                P2PMapType.ThruHostBridge => Dma.MapPhys(dev, p.Bar.CpuStart, 4096, DmaDirection.ToDevice, DmaAttrs.Mmio),
                _ => DmaAddr.MappingError,
            };
        }
        """);
}
