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

    // blk_dma_map_iter_start without its default arm: a bool function whose failures set iter->status first. The new
    // NotSupported arm fails the same way, so the caller that reads the status sees why.
    [Fact]
    public Task NotSupportedArm_InBoolFunctionThatSetsAStatus_SetsItToo() => Verifier.CodeFix<P2P0012IncompleteMapTypeHandlingCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        sealed class BlkDmaIter
        {
            public DmaAddr Addr;
            public int Status;
            public P2PMapState P2PDma = new();
        }

        static class BlkMqDma
        {
            static bool MapIterStart(PciDevice dmaDev, BlkDmaIter iter, Page page, ulong len, DmaDirection dir)
            {
                DmaAttrs attrs = DmaAttrs.None;
                {|#0:switch|} (PciP2PDma.State(iter.P2PDma, dmaDev, page))
                {
                    case P2PMapType.BusAddr:
                        iter.Addr = PciP2PDma.BusAddrMap(iter.P2PDma.Provider!, page.Phys);
                        return true;
                    case P2PMapType.ThruHostBridge:
                        attrs |= DmaAttrs.Mmio;
                        break;
                    case P2PMapType.None:
                        break;
                }

                iter.Addr = Dma.MapPhys(dmaDev, page.Phys, len, dir, attrs);
                if (Dma.MappingError(dmaDev, iter.Addr))
                {
                    iter.Status = -5;
                    return false;
                }

                return true;
            }
        }
        """, """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        sealed class BlkDmaIter
        {
            public DmaAddr Addr;
            public int Status;
            public P2PMapState P2PDma = new();
        }

        static class BlkMqDma
        {
            static bool MapIterStart(PciDevice dmaDev, BlkDmaIter iter, Page page, ulong len, DmaDirection dir)
            {
                DmaAttrs attrs = DmaAttrs.None;
                switch (PciP2PDma.State(iter.P2PDma, dmaDev, page))
                {
                    case P2PMapType.BusAddr:
                        iter.Addr = PciP2PDma.BusAddrMap(iter.P2PDma.Provider!, page.Phys);
                        return true;
                    case P2PMapType.ThruHostBridge:
                        attrs |= DmaAttrs.Mmio;
                        break;
                    case P2PMapType.None:
                        break;
                    case P2PMapType.NotSupported:
                        iter.Status = (int)DmaError.RemoteIo;
                        return false;
                }

                iter.Addr = Dma.MapPhys(dmaDev, page.Phys, len, dir, attrs);
                if (Dma.MappingError(dmaDev, iter.Addr))
                {
                    iter.Status = -5;
                    return false;
                }

                return true;
            }
        }
        """,
        Verifier.Diagnostic("P2P0012").WithLocation(0).WithArguments("switch", "has no arm for NotSupported and no default: an unsupported peer must fail the mapping"));

    // A table filled per entry: the new BusAddr arm marks the entry (sg_dma_mark_bus_address), so that the table's
    // unmap skips it instead of unmapping a bus address (the defect the first version of this fix had).
    [Fact]
    public Task BusAddrArm_StoredInAnEntry_MarksTheEntry() => Verifier.CodeFix<P2P0012IncompleteMapTypeHandlingCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        static class Filler
        {
            static DmaError Fill(PciDevice dev, P2PProvider provider, Scatterlist sg, PhysAddr phys, ulong len)
            {
                {|#0:switch|} (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.ThruHostBridge:
                        sg.DmaAddress = Dma.MapPhys(dev, phys, len, DmaDirection.ToDevice, DmaAttrs.Mmio);
                        break;
                    default:
                        return DmaError.RemoteIo;
                }

                sg.DmaLength = len;
                return DmaError.None;
            }
        }
        """, """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        static class Filler
        {
            static DmaError Fill(PciDevice dev, P2PProvider provider, Scatterlist sg, PhysAddr phys, ulong len)
            {
                switch (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr:
                        sg.DmaAddress = PciP2PDma.BusAddrMap(provider, phys);
                        sg.MarkBusAddress();
                        break;
                    case P2PMapType.ThruHostBridge:
                        sg.DmaAddress = Dma.MapPhys(dev, phys, len, DmaDirection.ToDevice, DmaAttrs.Mmio);
                        break;
                    default:
                        return DmaError.RemoteIo;
                }

                sg.DmaLength = len;
                return DmaError.None;
            }
        }
        """,
        Verifier.Diagnostic("P2P0012").WithLocation(0).WithArguments("switch", "has no arm for BusAddr: a switch-local peer needs its bus address (PciP2PDma.BusAddrMap)"));

    // The function unmaps what it kept (its own error path): a bus address there would be unmapped, so no local fix.
    [Fact]
    public Task BusAddrArm_WhereTheFunctionUnmapsTheAddress_NoFix() => Verifier.NoCodeFix<P2P0012IncompleteMapTypeHandlingCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        static class Mapper
        {
            static DmaAddr Map(PciDevice dev, P2PProvider provider, PhysAddr phys, ulong len, bool ringFull)
            {
                DmaAddr addr = DmaAddr.MappingError;
                {|#0:switch|} (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.ThruHostBridge:
                        addr = Dma.MapPhys(dev, phys, len, DmaDirection.ToDevice, DmaAttrs.Mmio);
                        break;
                    default:
                        return DmaAddr.MappingError;
                }

                if (ringFull)
                {
                    Dma.UnmapPhys(dev, addr, len, DmaDirection.ToDevice, DmaAttrs.Mmio);
                    return DmaAddr.MappingError;
                }

                return addr;
            }
        }
        """,
        Verifier.Diagnostic("P2P0012").WithLocation(0).WithArguments("switch", "has no arm for BusAddr: a switch-local peer needs its bus address (PciP2PDma.BusAddrMap)"));

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
