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

    // ntb_perf / a DMA engine: the mapped address is written into the device's descriptor ring, then unmapped when the
    // transfer is done. Handing it to the device does not stop the fix; the ring keeps nothing and unmaps nothing.
    private const string DeviceRing = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        sealed class DescriptorRing
        {
            private readonly ulong[] _slots = new ulong[16];
            private int _head;

            // writes the address into a hardware descriptor (a register write, not a kept mapping)
            public void Post(DmaAddr dst, ulong len) => _slots[_head++ % 16] = len;

            public void Kick() { }
        }

        """;

    [Fact]
    public Task AddressHandedToTheDevice_GatedCallBecomesMapP2P() => Verifier.CodeFix<P2P0011DistanceAsMappingDecisionCodeFix>(DeviceRing + """
        static class Engine
        {
            static int Copy(PciDevice chan, P2PProvider provider, DescriptorRing ring, ulong len)
            {
                if ({|P2P0011:PciP2PDma.Distance(provider.Owner, chan) < 0|})
                {
                    return -19;
                }

                DmaAddr dst = Dma.MapResource(chan, provider.Bar.CpuStart, len, DmaDirection.FromDevice);
                if (Dma.MappingError(chan, dst))
                {
                    return -5;
                }

                ring.Post(dst, len);
                ring.Kick();
                Dma.UnmapResource(chan, dst, len, DmaDirection.FromDevice);
                return 0;
            }
        }
        """, DeviceRing + """
        static class Engine
        {
            static int Copy(PciDevice chan, P2PProvider provider, DescriptorRing ring, ulong len)
            {
                if (PciP2PDma.Distance(provider.Owner, chan) < 0)
                {
                    return -19;
                }

                P2PDmaMapping dstMapping = Dma.MapP2P(chan, provider, provider.Bar.CpuStart, len, DmaDirection.FromDevice);
                DmaAddr dst = dstMapping.Address;
                if (Dma.MappingError(chan, dst))
                {
                    return -5;
                }

                ring.Post(dst, len);
                ring.Kick();
                dstMapping.Unmap();
                return 0;
            }
        }
        """);

    // A helper of the project that keeps the address (for a completion to unmap later) would unmap a bus address
    // after the rewrite: no fix.
    [Fact]
    public Task AddressHandedToAHelperThatKeepsIt_NoFix() => Verifier.NoCodeFix<P2P0011DistanceAsMappingDecisionCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        sealed class Request
        {
            public DmaAddr Dst;

            public void Keep(DmaAddr dst) => Dst = dst;
        }

        static class Engine
        {
            static int Copy(PciDevice chan, P2PProvider provider, Request rq, ulong len)
            {
                if ({|P2P0011:PciP2PDma.Distance(provider.Owner, chan) < 0|})
                {
                    return -19;
                }

                DmaAddr dst = Dma.MapResource(chan, provider.Bar.CpuStart, len, DmaDirection.FromDevice);
                if (Dma.MappingError(chan, dst))
                {
                    return -5;
                }

                rq.Keep(dst);
                return 0;
            }
        }
        """);
}
