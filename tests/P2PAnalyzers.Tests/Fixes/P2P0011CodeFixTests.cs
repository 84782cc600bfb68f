using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0011DistanceAsMappingDecisionAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

public sealed class P2P0011CodeFixTests
{
    internal const string Before = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        public static class Scenario
        {
            // xe/amdgpu: "P2P is possible" (distance >= 0) taken as "map it with dma_map_resource".
            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                if ({|P2P0011:PciP2PDma.Distance(provider.Owner, client) < 0|})
                {
                    return Array.Empty<byte>();
                }

                DmaAddr addr = Dma.MapResource(client, provider.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice);
                if (Dma.MappingError(client, addr))
                {
                    return Array.Empty<byte>();
                }

                byte[] data = t.Fabric.Read(client, addr, length).Data;
                Dma.UnmapResource(client, addr, (ulong)length, DmaDirection.ToDevice);
                return data;
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
            // xe/amdgpu: "P2P is possible" (distance >= 0) taken as "map it with dma_map_resource".
            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                if (PciP2PDma.Distance(provider.Owner, client) < 0)
                {
                    return Array.Empty<byte>();
                }

                P2PDmaMapping addrMapping = Dma.MapP2P(client, provider, provider.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice);
                DmaAddr addr = addrMapping.Address;
                if (Dma.MappingError(client, addr))
                {
                    return Array.Empty<byte>();
                }

                byte[] data = t.Fabric.Read(client, addr, length).Data;
                addrMapping.Unmap();
                return data;
            }
        }
        """;

    [Fact]
    public Task DistanceGateThenMapResource_GatedCallBecomesMapP2P() => Verifier.CodeFix<P2P0011DistanceAsMappingDecisionCodeFix>(Before, After);
}
