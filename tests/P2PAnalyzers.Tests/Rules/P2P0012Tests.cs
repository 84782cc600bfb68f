using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0012IncompleteMapTypeHandlingAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0012: a switch statement, switch expression or ==-if-chain on a P2PMapType that decides a mapping and has no
/// BusAddr arm, sends BusAddr into a generic mapping call, has no NotSupported arm and no default, or sends NotSupported
/// into a generic mapping call. One diagnostic per finding, at the switch or if keyword.
/// </summary>
public sealed class P2P0012Tests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    private const string MissingBusAddr = "has no arm for BusAddr: a switch-local peer needs its bus address (PciP2PDma.BusAddrMap)";
    private const string MissingNotSupported = "has no arm for NotSupported and no default: an unsupported peer must fail the mapping";

    // ---------------------------------------------------------------- incomplete handling

    [Fact]
    public Task BlkDmaMapIterStartPortWithoutBusAddrCase_Reports() => Verifier.Analyzer(Usings + """
        class Submitter
        {
            // blk_dma_map_iter_start as a port that dropped PCI_P2PDMA_MAP_BUS_ADDR: bus-address peers now fail.
            DmaAddr Map(PciDevice dmaDev, P2PMapState p2p, Page page, ulong len, DmaDirection dir)
            {
                DmaAttrs attrs = DmaAttrs.None;
                {|#0:switch|} (PciP2PDma.State(p2p, dmaDev, page))
                {
                    case P2PMapType.ThruHostBridge:
                        attrs |= DmaAttrs.Mmio;
                        goto case P2PMapType.None;
                    case P2PMapType.None:
                        break;
                    default:
                        return DmaAddr.MappingError;
                }

                return Dma.MapPhys(dmaDev, page.Phys, len, dir, attrs);
            }
        }
        """,
        Verifier.Diagnostic("P2P0012").WithLocation(0).WithArguments("switch", MissingBusAddr));

    // block/blk-mq-dma.c, as the kernel splits it: blk_dma_map_iter_start dispatches BUS_ADDR and NOT_SUPPORTED, then
    // calls blk_dma_map_direct, which only picks DMA_ATTR_MMIO for THRU_HOST_BRIDGE before dma_map_phys.
    [Fact]
    public Task BlkDmaMapDirect_ThruHostBridgePicksMmioBeforeTheMapping_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class BlkDmaIter
        {
            public DmaAddr Addr;
            public int Status;
            public P2PMapState P2PDma = new();
        }

        static class BlkMqDma
        {
            // blk_dma_map_direct
            static bool MapDirect(PciDevice dmaDev, BlkDmaIter iter, PhysAddr paddr, ulong len, DmaDirection dir)
            {
                DmaAttrs attrs = DmaAttrs.None;
                if (iter.P2PDma.Map == P2PMapType.ThruHostBridge)
                {
                    attrs |= DmaAttrs.Mmio;
                }

                iter.Addr = Dma.MapPhys(dmaDev, paddr, len, dir, attrs);
                if (Dma.MappingError(dmaDev, iter.Addr))
                {
                    iter.Status = -5;
                    return false;
                }

                return true;
            }

            // blk_dma_map_iter_start: BUS_ADDR and NOT_SUPPORTED are handled here, the rest goes to blk_dma_map_direct
            public static bool MapIterStart(PciDevice dmaDev, BlkDmaIter iter, Page page, ulong len, DmaDirection dir)
            {
                switch (PciP2PDma.State(iter.P2PDma, dmaDev, page))
                {
                    case P2PMapType.BusAddr:
                        iter.Addr = PciP2PDma.BusAddrMap(iter.P2PDma.Provider!, page.Phys);
                        return true;
                    case P2PMapType.ThruHostBridge:
                    case P2PMapType.None:
                        break;
                    default:
                        iter.Status = -121;
                        return false;
                }

                return MapDirect(dmaDev, iter, page.Phys, len, dir);
            }
        }
        """);

    // The same if with an else that maps is a dispatch of its own: BusAddr falls into the else's mapping.
    [Fact]
    public Task ThruHostBridgeIfWithMappingElse_StillJudged_Reports() => Verifier.Analyzer(Usings + """
        static class Mapper
        {
            static DmaAddr Map(PciDevice dmaDev, P2PMapState state, PhysAddr paddr, ulong len, DmaDirection dir)
            {
                {|#0:if|} (state.Map == P2PMapType.ThruHostBridge)
                {
                    return Dma.MapPhys(dmaDev, paddr, len, dir, DmaAttrs.Mmio);
                }
                else
                {
                    return Dma.MapPhys(dmaDev, paddr, len, dir);
                }
            }
        }
        """,
        Verifier.Diagnostic("P2P0012").WithLocation(0).WithArguments("if-chain", MissingBusAddr),
        Verifier.Diagnostic("P2P0012").WithLocation(0).WithArguments("if-chain", "sends NotSupported into Dma.MapPhys: an unsupported peer must fail the mapping"));

    [Fact]
    public Task BusAddrSharesArmWithThruHostBridgeAndMapPhys_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                {|#0:switch|} (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr:
                    case P2PMapType.ThruHostBridge:
                        return Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                    default:
                        return DmaAddr.MappingError;
                }
            }
        }
        """,
        Verifier.Diagnostic("P2P0012").WithLocation(0)
            .WithArguments("switch", "sends BusAddr into Dma.MapPhys: a bus-address peer must get its bus address, not a mapping"));

    [Fact]
    public Task BusAddrOrPatternArmMapsResource_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                {|P2P0012:switch|} (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr or P2PMapType.ThruHostBridge:
                        return Dma.MapResource(dev, phys, size, DmaDirection.ToDevice);
                    default:
                        return DmaAddr.MappingError;
                }
            }
        }
        """);

    [Fact]
    public Task NoNotSupportedArmAndNoDefault_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                DmaAddr addr = DmaAddr.MappingError;
                {|#0:switch|} (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr:
                        addr = PciP2PDma.BusAddrMap(provider, phys);
                        break;
                    case P2PMapType.ThruHostBridge:
                        addr = Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                        break;
                    case P2PMapType.None:
                        addr = Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice);
                        break;
                }

                return addr;
            }
        }
        """,
        Verifier.Diagnostic("P2P0012").WithLocation(0).WithArguments("switch", MissingNotSupported));

    [Fact]
    public Task DefaultArmMapsWithMapResource_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                {|#0:switch|} (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr:
                        return PciP2PDma.BusAddrMap(provider, phys);
                    default:
                        return Dma.MapResource(dev, phys, size, DmaDirection.ToDevice);
                }
            }
        }
        """,
        Verifier.Diagnostic("P2P0012").WithLocation(0)
            .WithArguments("switch", "sends NotSupported into Dma.MapResource: an unsupported peer must fail the mapping"));

    [Fact]
    public Task OnlyThruHostBridgeArm_TwoFindingsTwoDiagnostics() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                DmaAddr addr = DmaAddr.MappingError;
                {|#0:switch|} (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.ThruHostBridge:
                        addr = Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                        break;
                }

                return addr;
            }
        }
        """,
        Verifier.Diagnostic("P2P0012").WithLocation(0).WithArguments("switch", MissingBusAddr),
        Verifier.Diagnostic("P2P0012").WithLocation(0).WithArguments("switch", MissingNotSupported));

    [Fact]
    public Task BusAddrArmBreaksIntoMapResourceAfterSwitch_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            // The map type is asked, but BUS_ADDR and THRU_HOST_BRIDGE both fall out into dma_map_resource.
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                {|P2P0012:switch|} (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr:
                    case P2PMapType.ThruHostBridge:
                        break;
                    default:
                        return DmaAddr.MappingError;
                }

                return Dma.MapResource(dev, phys, size, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task SwitchExpressionSendsBusAddrIntoMapResource_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size) =>
                PciP2PDma.MapType(provider, dev) {|#0:switch|}
                {
                    P2PMapType.BusAddr or P2PMapType.ThruHostBridge => Dma.MapResource(dev, phys, size, DmaDirection.ToDevice),
                    _ => DmaAddr.MappingError,
                };
        }
        """,
        Verifier.Diagnostic("P2P0012").WithLocation(0)
            .WithArguments("switch expression", "sends BusAddr into Dma.MapResource: a bus-address peer must get its bus address, not a mapping"));

    [Fact]
    public Task SwitchExpressionDiscardArmMaps_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size) =>
                PciP2PDma.MapType(provider, dev) {|P2P0012:switch|}
                {
                    P2PMapType.BusAddr => PciP2PDma.BusAddrMap(provider, phys),
                    _ => Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio),
                };
        }
        """);

    [Fact]
    public Task IfChainChecksOnlyNotSupportedThenMapResource_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                P2PMapType type = PciP2PDma.MapType(provider, dev);
                {|#0:if|} (type == P2PMapType.NotSupported)
                {
                    return DmaAddr.MappingError;
                }

                return Dma.MapResource(dev, phys, size, DmaDirection.ToDevice);
            }
        }
        """,
        Verifier.Diagnostic("P2P0012").WithLocation(0).WithArguments("if-chain", MissingBusAddr));

    [Fact]
    public Task IfBusAddrElseMapResource_NotSupportedFallsIntoElse_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                DmaAddr addr;
                {|P2P0012:if|} (PciP2PDma.MapType(provider, dev) == P2PMapType.BusAddr)
                {
                    addr = PciP2PDma.BusAddrMap(provider, phys);
                }
                else
                {
                    addr = Dma.MapResource(dev, phys, size, DmaDirection.ToDevice);
                }

                return addr;
            }
        }
        """);

    [Fact]
    public Task IfChainWithoutNotSupportedOrElse_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                P2PMapType type = PciP2PDma.MapType(provider, dev);
                DmaAddr addr = DmaAddr.MappingError;
                {|P2P0012:if|} (type == P2PMapType.BusAddr)
                {
                    addr = PciP2PDma.BusAddrMap(provider, phys);
                }
                else if (type == P2PMapType.ThruHostBridge)
                {
                    addr = Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                }

                return addr;
            }
        }
        """);

    // ---------------------------------------------------------------- complete handling and look-alikes

    [Fact]
    public Task BlkDmaMapIterStart_NoDiagnostic() => Verifier.Analyzer(CanonicalSources.BlkDmaMapIterStart);

    [Fact]
    public Task DmaBufPhysVecToSgt_NoDiagnostic() => Verifier.Analyzer(CanonicalSources.DmaBufPhysVecToSgt);

    [Fact]
    public Task CompleteSwitchStatement_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            // The shape of dma_map_p2p: bus address, MMIO mapping, or -EREMOTEIO.
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                switch (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr:
                        return PciP2PDma.BusAddrMap(provider, phys);
                    case P2PMapType.ThruHostBridge:
                        return Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                    default:
                        return DmaAddr.MappingError;
                }
            }
        }
        """);

    [Fact]
    public Task NotSupportedArmThrowsAndNoDefault_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                DmaAddr addr = DmaAddr.MappingError;
                switch (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr:
                        addr = PciP2PDma.BusAddrMap(provider, phys);
                        break;
                    case P2PMapType.ThruHostBridge:
                        addr = Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                        break;
                    case P2PMapType.NotSupported:
                        throw new DmaMappingException(DmaError.RemoteIo);
                }

                return addr;
            }
        }
        """);

    [Fact]
    public Task DefaultMapsRamAfterExplicitNotSupportedArm_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Submitter
        {
            DmaAddr Map(P2PMapState p2p, PciDevice dev, Page page, ulong len)
            {
                switch (PciP2PDma.State(p2p, dev, page))
                {
                    case P2PMapType.BusAddr:
                        return PciP2PDma.BusAddrMap(p2p.Provider, page.Phys);
                    case P2PMapType.NotSupported:
                        return DmaAddr.MappingError;
                    case P2PMapType.ThruHostBridge:
                        return Dma.MapPhys(dev, page.Phys, len, DmaDirection.FromDevice, DmaAttrs.Mmio);
                    default:
                        return Dma.MapPage(dev, page, 0, len, DmaDirection.FromDevice);
                }
            }
        }
        """);

    [Fact]
    public Task CompleteSwitchExpression_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size) =>
                PciP2PDma.MapType(provider, dev) switch
                {
                    P2PMapType.BusAddr => PciP2PDma.BusAddrMap(provider, phys),
                    P2PMapType.ThruHostBridge => Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio),
                    _ => throw new DmaMappingException(DmaError.RemoteIo),
                };
        }
        """);

    [Fact]
    public Task CompleteIfChainWithElse_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                P2PMapType type = PciP2PDma.MapType(provider, dev);
                if (type == P2PMapType.BusAddr)
                {
                    return PciP2PDma.BusAddrMap(provider, phys);
                }
                else if (type == P2PMapType.ThruHostBridge)
                {
                    return Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                }
                else
                {
                    return DmaAddr.MappingError;
                }
            }
        }
        """);

    [Fact]
    public Task SwitchExpressionWithExplicitArmsAndNoDiscard_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PMapState p2p, PciDevice dev, Page page, ulong len) =>
                PciP2PDma.State(p2p, dev, page) switch
                {
                    P2PMapType.BusAddr => PciP2PDma.BusAddrMap(p2p.Provider, page.Phys),
                    P2PMapType.ThruHostBridge => Dma.MapPhys(dev, page.Phys, len, DmaDirection.ToDevice, DmaAttrs.Mmio),
                    P2PMapType.None => Dma.MapPage(dev, page, 0, len, DmaDirection.ToDevice),
                    P2PMapType.NotSupported => DmaAddr.MappingError,
                };
        }
        """);

    [Fact]
    public Task PerPageStateSwitchInsideLoop_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Submitter
        {
            // dma_map_sgtable's per-entry loop: classify every page, then map each by its type.
            DmaError MapAll(PciDevice dev, IReadOnlyList<Page> pages, DmaAddr[] out_)
            {
                var p2p = new P2PMapState();
                for (int i = 0; i < pages.Count; i++)
                {
                    switch (PciP2PDma.State(p2p, dev, pages[i]))
                    {
                        case P2PMapType.BusAddr:
                            out_[i] = PciP2PDma.BusAddrMap(p2p.Provider, pages[i].Phys);
                            continue;
                        case P2PMapType.ThruHostBridge:
                            out_[i] = Dma.MapPhys(dev, pages[i].Phys, Paging.PageSize, DmaDirection.ToDevice, DmaAttrs.Mmio);
                            break;
                        case P2PMapType.None:
                            out_[i] = Dma.MapPage(dev, pages[i], 0, Paging.PageSize, DmaDirection.ToDevice);
                            break;
                        default:
                            return DmaError.RemoteIo;
                    }

                    if (Dma.MappingError(dev, out_[i]))
                    {
                        return DmaError.Io;
                    }
                }

                return DmaError.None;
            }
        }
        """);

    [Fact]
    public Task TeardownSwitchOnMappingMapType_UnmapsAreNotMappings_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Importer
        {
            void Teardown(P2PDmaMapping m, PciDevice dev)
            {
                switch (m.MapType)
                {
                    case P2PMapType.ThruHostBridge:
                        Dma.UnmapPhys(dev, m.Address, m.Size, m.Direction, DmaAttrs.Mmio);
                        break;
                }
            }
        }
        """);

    [Fact]
    public Task IncompleteSwitchThatDecidesNoMapping_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Diagnostics
        {
            string Describe(P2PProvider provider, PciDevice dev)
            {
                switch (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.ThruHostBridge:
                        return "through the host bridge";
                }

                return "other";
            }

            bool IsSwitchLocal(P2PProvider provider, PciDevice dev)
            {
                if (PciP2PDma.MapType(provider, dev) == P2PMapType.BusAddr)
                {
                    return true;
                }

                return false;
            }
        }
        """);

    [Fact]
    public Task SwitchOnAnotherEnumBeforeMapping_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            DmaAddr Map(PciDevice dev, KernelBuffer buf, DmaDirection dir, ulong size)
            {
                switch (dir)
                {
                    case DmaDirection.ToDevice:
                        break;
                    default:
                        return DmaAddr.MappingError;
                }

                return Dma.MapSingle(dev, buf, 0, size, dir);
            }
        }
        """);

    [Fact]
    public Task LookAlikeMapTypeEnumInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Vendor.Fabric
        {
            enum P2PMapType { None = 1, NotSupported = 2, BusAddr = 3, ThruHostBridge = 4 }
        }

        class Driver
        {
            DmaAddr Map(Vendor.Fabric.P2PMapType type, PciDevice dev, PhysAddr phys, ulong size)
            {
                switch (type)
                {
                    case Vendor.Fabric.P2PMapType.ThruHostBridge:
                        return Dma.MapResource(dev, phys, size, DmaDirection.ToDevice);
                }

                return Dma.MapResource(dev, phys, size, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task WithoutCompanionLibrary_NoDiagnostic() => Verifier.Analyzer("""
        namespace P2PLike
        {
            enum P2PMapType { None = 1, NotSupported = 2, BusAddr = 3, ThruHostBridge = 4 }
            static class Dma { public static ulong MapResource(object dev, ulong phys) => phys; }

            class Driver
            {
                ulong Map(P2PMapType type, object dev, ulong phys)
                {
                    switch (type)
                    {
                        case P2PMapType.ThruHostBridge:
                            return Dma.MapResource(dev, phys);
                    }

                    return 0;
                }
            }
        }
        """, withLibrary: false);
}
