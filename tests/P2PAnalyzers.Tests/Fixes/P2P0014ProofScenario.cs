using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

public sealed class P2P0014ProofScenario
{
    internal const string Before = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        public static class Scenario
        {
            // amdgpu/habanalabs: a through-host-bridge peer's BAR mapped with DMA_ATTR_SKIP_CPU_SYNC, i.e. as RAM.
            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                if (PciP2PDma.MapType(provider, client) != P2PMapType.ThruHostBridge)
                {
                    return Array.Empty<byte>();
                }

                DmaAddr addr = Dma.MapPhys(client, provider.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice, {|P2P0014:DmaAttrs.SkipCpuSync|});
                if (Dma.MappingError(client, addr))
                {
                    return Array.Empty<byte>();
                }

                byte[] data = t.Fabric.Read(client, addr, length).Data;
                Dma.UnmapPhys(client, addr, (ulong)length, DmaDirection.ToDevice);
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
            // amdgpu/habanalabs: a through-host-bridge peer's BAR mapped with DMA_ATTR_SKIP_CPU_SYNC, i.e. as RAM.
            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                if (PciP2PDma.MapType(provider, client) != P2PMapType.ThruHostBridge)
                {
                    return Array.Empty<byte>();
                }

                DmaAddr addr = Dma.MapPhys(client, provider.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice, DmaAttrs.Mmio);
                if (Dma.MappingError(client, addr))
                {
                    return Array.Empty<byte>();
                }

                byte[] data = t.Fabric.Read(client, addr, length).Data;
                Dma.UnmapPhys(client, addr, (ulong)length, DmaDirection.ToDevice);
                return data;
            }
        }
        """;

    [Fact]
    public Task ThroughHostBridgeScenario_UsesMmio() =>
        Verify<P2PAnalyzers.Rules.P2P0014SkipCpuSyncForMmioAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0014SkipCpuSyncForMmioCodeFix>(Before, After);
}
