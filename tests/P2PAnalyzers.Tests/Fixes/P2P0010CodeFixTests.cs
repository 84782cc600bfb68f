using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0010PeerMemoryMappedWithoutMapTypeAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

public sealed class P2P0010CodeFixTests
{
    internal const string Before = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Fabric;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        public static class Scenario
        {
            // The 2022 VFIO RFC: dma_map_resource() of the peer's BAR, never asking the map type; the client device reads it.
            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                DmaAddr addr = {|P2P0010:Dma.MapResource(client, provider.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice)|};
                if (Dma.MappingError(client, addr))
                {
                    return Array.Empty<byte>();
                }

                DmaTransfer transfer = t.Fabric.Read(client, addr, length);
                Dma.UnmapResource(client, addr, (ulong)length, DmaDirection.ToDevice);
                return transfer.Data;
            }
        }
        """;

    internal const string After = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Fabric;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        public static class Scenario
        {
            // The 2022 VFIO RFC: dma_map_resource() of the peer's BAR, never asking the map type; the client device reads it.
            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                P2PDmaMapping addrMapping = Dma.MapP2P(client, provider, provider.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice);
                DmaAddr addr = addrMapping.Address;
                if (Dma.MappingError(client, addr))
                {
                    return Array.Empty<byte>();
                }

                DmaTransfer transfer = t.Fabric.Read(client, addr, length);
                addrMapping.Unmap();
                return transfer.Data;
            }
        }
        """;

    [Fact]
    public Task VfioRfcMapResource_BecomesMapP2P() => Verifier.CodeFix<P2P0010PeerMemoryMappedWithoutMapTypeCodeFix>(Before, After);

    [Fact]
    public Task NoErrorCheck_AddsOne() => Verifier.CodeFix<P2P0010PeerMemoryMappedWithoutMapTypeCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        class C
        {
            P2PProvider _provider = null!;

            DmaError Kick(PciDevice client)
            {
                var addr = {|P2P0010:Dma.MapPhys(client, _provider.Bar.CpuStart, 4096, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
                Dma.SyncSingleForDevice(client, addr, 4096, DmaDirection.ToDevice);
                return DmaError.None;
            }
        }
        """, """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        class C
        {
            P2PProvider _provider = null!;

            DmaError Kick(PciDevice client)
            {
                P2PDmaMapping addrMapping = Dma.MapP2P(client, _provider, _provider.Bar.CpuStart, 4096, DmaDirection.ToDevice);
                var addr = addrMapping.Address;
                if (addrMapping.Failed)
                {
                    return addrMapping.Error;
                }

                Dma.SyncSingleForDevice(client, addr, 4096, DmaDirection.ToDevice);
                return DmaError.None;
            }
        }
        """);

    [Fact]
    public Task AddressEscapesTheMethod_ReportsWithoutFix() => Verifier.NoCodeFix<P2P0010PeerMemoryMappedWithoutMapTypeCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        class C
        {
            DmaAddr _saved;

            void M(PciDevice client, P2PProvider provider)
            {
                DmaAddr addr = {|P2P0010:Dma.MapResource(client, provider.Bar.CpuStart, 4096, DmaDirection.ToDevice)|};
                _saved = addr;
            }
        }
        """);
}
