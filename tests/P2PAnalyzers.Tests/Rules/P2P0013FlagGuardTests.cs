using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0013BusAddressUnmappedAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0013 and the bus-address flags drivers keep (nvme's IOD_P2P_BUS_ADDR, "nvme-pci: fix dma unmapping when using
/// PCI peer-to-peer"): the map path records in the request that the iterator said BUS_ADDR, and the completion skips
/// the unmap when the flag is set, in the unmap's own method or in the caller that reaches it.
/// </summary>
public sealed class P2P0013FlagGuardTests
{
    // blk_rq_dma_map_iter_start for one segment, and the iod that keeps what the completion unmaps.
    private const string Mapping = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        [Flags]
        enum IodFlags { None = 0, Aborted = 1, P2PBusAddr = 8 }

        sealed class Iter
        {
            public DmaAddr Addr;
            public P2PMapState P2PDma = new();
        }

        sealed class Iod
        {
            public IodFlags Flags;
            public bool P2PBus;
            public DmaAddr Addr;
            public ulong Len;
        }

        static class BlkMqDma
        {
            public static bool MapIterStart(PciDevice dev, Page page, ulong len, Iter iter)
            {
                switch (PciP2PDma.State(iter.P2PDma, dev, page))
                {
                    case P2PMapType.BusAddr:
                        iter.Addr = PciP2PDma.BusAddrMap(iter.P2PDma.Provider!, page.Phys);
                        return true;
                    case P2PMapType.ThruHostBridge:
                    case P2PMapType.None:
                        iter.Addr = Dma.MapPhys(dev, page.Phys, len, DmaDirection.ToDevice);
                        return !Dma.MappingError(dev, iter.Addr);
                    default:
                        return false;
                }
            }
        }

        static class Driver
        {
            public static int MapData(PciDevice dev, Page page, ulong len, Iod iod)
            {
                var iter = new Iter();
                if (!BlkMqDma.MapIterStart(dev, page, len, iter))
                {
                    return -5;
                }

                %FLAG%
                iod.Addr = iter.Addr;
                iod.Len = len;
                return 0;
            }
        }

        """;

    private const string SetBit = """
        if (iter.P2PDma.Map == P2PMapType.BusAddr)
                {
                    iod.Flags |= IodFlags.P2PBusAddr;
                }
        """;

    private const string SetBool = """
        if (iter.P2PDma.Map == P2PMapType.BusAddr)
                {
                    iod.P2PBus = true;
                }
        """;

    private static string Code(string flag, string completion) => Mapping.Replace("%FLAG%", flag) + completion;

    [Fact]
    public Task BitTestedAroundTheUnmap_NoDiagnostic() => Verifier.Analyzer(Code(SetBit, """
        static class Completion
        {
            public static void UnmapData(PciDevice dev, Iod iod)
            {
                if ((iod.Flags & IodFlags.P2PBusAddr) == 0)
                {
                    Dma.UnmapPhys(dev, iod.Addr, iod.Len, DmaDirection.ToDevice);
                }
            }
        }
        """));

    [Fact]
    public Task BoolTestedByEarlyReturn_NoDiagnostic() => Verifier.Analyzer(Code(SetBool, """
        static class Completion
        {
            public static void UnmapData(PciDevice dev, Iod iod)
            {
                if (iod.P2PBus)
                {
                    return;
                }

                Dma.UnmapPhys(dev, iod.Addr, iod.Len, DmaDirection.ToDevice);
            }
        }
        """));

    // nvme_unmap_data: if (!blk_rq_dma_unmap(..., iod->flags & IOD_P2P_BUS_ADDR)) nvme_free_prps(...)
    [Fact]
    public Task CallerGuardsThroughHelperThatReturnsTrueForP2P_NoDiagnostic() => Verifier.Analyzer(Code(SetBit, """
        static class Completion
        {
            private static bool BlkRqDmaUnmap(PciDevice dev, bool isP2P)
            {
                if (isP2P)
                {
                    return true;
                }

                return false;
            }

            private static void FreePrps(PciDevice dev, Iod iod) => Dma.UnmapPhys(dev, iod.Addr, iod.Len, DmaDirection.ToDevice);

            public static void UnmapData(PciDevice dev, Iod iod)
            {
                if (!BlkRqDmaUnmap(dev, iod.Flags.HasFlag(IodFlags.P2PBusAddr)))
                {
                    FreePrps(dev, iod);
                }
            }
        }
        """));

    // The flag is kept, but the completion unmaps before looking at it.
    [Fact]
    public Task FlagKeptButUnmapNotGuarded_Reports() => Verifier.Analyzer(Code(SetBit, """
        static class Completion
        {
            public static void UnmapData(PciDevice dev, Iod iod)
            {
                {|#0:Dma.UnmapPhys(dev, iod.Addr, iod.Len, DmaDirection.ToDevice)|};
                iod.Flags &= ~IodFlags.P2PBusAddr;
            }
        }
        """), Verifier.Diagnostic("P2P0013").WithLocation(0));

    // One caller checks the flag, the error path of another does not.
    [Fact]
    public Task OneCallerUnguarded_Reports() => Verifier.Analyzer(Code(SetBit, """
        static class Completion
        {
            private static void FreePrps(PciDevice dev, Iod iod) => {|#0:Dma.UnmapPhys(dev, iod.Addr, iod.Len, DmaDirection.ToDevice)|};

            public static void UnmapData(PciDevice dev, Iod iod)
            {
                if ((iod.Flags & IodFlags.P2PBusAddr) == 0)
                {
                    FreePrps(dev, iod);
                }
            }

            public static void Abort(PciDevice dev, Iod iod) => FreePrps(dev, iod);
        }
        """), Verifier.Diagnostic("P2P0013").WithLocation(0));

    // A bit that is not set where the mapping is a bus address says nothing about the address.
    [Fact]
    public Task GuardOnAnotherBit_Reports() => Verifier.Analyzer(Code(SetBit, """
        static class Completion
        {
            public static void UnmapData(PciDevice dev, Iod iod)
            {
                if ((iod.Flags & IodFlags.Aborted) == 0)
                {
                    {|#0:Dma.UnmapPhys(dev, iod.Addr, iod.Len, DmaDirection.ToDevice)|};
                }
            }
        }
        """), Verifier.Diagnostic("P2P0013").WithLocation(0));

    // The flag tested the wrong way round: the unmap runs only for bus addresses.
    [Fact]
    public Task GuardInverted_Reports() => Verifier.Analyzer(Code(SetBool, """
        static class Completion
        {
            public static void UnmapData(PciDevice dev, Iod iod)
            {
                if (iod.P2PBus)
                {
                    {|#0:Dma.UnmapPhys(dev, iod.Addr, iod.Len, DmaDirection.ToDevice)|};
                }
            }
        }
        """), Verifier.Diagnostic("P2P0013").WithLocation(0));
}
