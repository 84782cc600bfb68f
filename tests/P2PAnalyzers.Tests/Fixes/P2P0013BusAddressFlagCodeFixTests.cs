using Microsoft.CodeAnalysis.Testing;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Rules;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0013BusAddressUnmappedAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// P2P0013 where the address is a bus address on only some paths: nvme before IOD_P2P_BUS_ADDR. blk_rq_dma_map_iter_start
/// (block/blk-mq-dma.c) hands back a bus address for a switch-local peer and a mapping otherwise, nvme_map_data keeps it
/// in the iod (nvme_pci_setup_data_prp), and the completion (nvme_unmap_data, nvme_free_prps) unmaps every one. The
/// fix tracks the bit beside the address and guards the unmap in the completion, three files away from the bus address.
/// </summary>
public sealed class P2P0013BusAddressFlagCodeFixTests
{
    private const string Usings = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    // block/blk-mq-dma.c, as the kernel-shaped nvme tests transliterate it.
    internal const string BlkMqDma = Usings + Kernel.NvmeTests.BlkMqDma;

    // struct nvme_iod: dma_vecs keeps what the completion must unmap.
    internal const string Iod = Usings + """
        struct NvmeDmaVec
        {
            public DmaAddr Addr;
            public ulong Len;
        }

        sealed class NvmeIod
        {
            public Request Req = null!;
            public NvmeDmaVec[] DmaVecs = new NvmeDmaVec[8];
            public int NrDmaVecs;
            public ulong TotalLen;
        }
        """;

    internal const string MapData = Usings + """
        static class NvmePci
        {
            // nvme_pci_setup_data_prp: each mapped segment is remembered for the completion
            private static void SetupDataPrp(NvmeIod iod, BlkDmaIter iter)
            {
                iod.DmaVecs[iod.NrDmaVecs].Addr = iter.Addr;
                iod.DmaVecs[iod.NrDmaVecs].Len = iter.Len;
                iod.NrDmaVecs++;
                iod.TotalLen += iter.Len;
            }

            // nvme_map_data
            public static int MapData(PciDevice dev, NvmeIod iod)
            {
                var iter = new BlkDmaIter();
                if (!BlkMqDma.MapIterStart(iod.Req, dev, iter))
                {
                    return iter.Status;
                }

                SetupDataPrp(iod, iter);
                return 0;
            }
        }
        """;

    internal const string Completion = Usings + """
        static class NvmeCompletion
        {
            // nvme_free_prps (dma_unmap_phys of each dma_vec)
            private static void FreePrps(PciDevice dev, NvmeIod iod)
            {
                for (int i = 0; i < iod.NrDmaVecs; i++)
                {
                    {|#0:Dma.UnmapPhys(dev, iod.DmaVecs[i].Addr, iod.DmaVecs[i].Len, iod.Req.Dir)|};
                }
            }

            // nvme_unmap_data (nvme_pci_complete_rq)
            public static void UnmapData(PciDevice dev, NvmeIod iod) => FreePrps(dev, iod);
        }
        """;

    private const string Flag = "public bool P2PBusAddr; // Addr is a PCI bus address: never mapped, so never unmapped (sg_dma_mark_bus_address)";

    // The fixed driver, as a diff of the one above: the bit beside each address, set where the address is stored.
    internal static readonly string BlkMqDmaFixed = BlkMqDma
        .Replace("public DmaAddr Addr;\n    public ulong Len;\n    public int Status;", "public DmaAddr Addr;\n    " + Flag + "\n    public ulong Len;\n    public int Status;")
        .Replace("iter.Addr = PciP2PDma.BusAddrMap(iter.P2PDma.Provider!, paddr);\n", "iter.Addr = PciP2PDma.BusAddrMap(iter.P2PDma.Provider!, paddr);\n                iter.P2PBusAddr = true;\n")
        .Replace("iter.Addr = Dma.MapPhys(dmaDev, paddr, vec.Len, req.Dir, attrs);\n", "iter.Addr = Dma.MapPhys(dmaDev, paddr, vec.Len, req.Dir, attrs);\n        iter.P2PBusAddr = false;\n");

    internal static readonly string IodFixed = Iod
        .Replace("public DmaAddr Addr;\n", "public DmaAddr Addr;\n    " + Flag + "\n");

    internal static readonly string MapDataFixed = MapData
        .Replace("iod.DmaVecs[iod.NrDmaVecs].Addr = iter.Addr;\n", "iod.DmaVecs[iod.NrDmaVecs].Addr = iter.Addr;\n        iod.DmaVecs[iod.NrDmaVecs].P2PBusAddr = iter.P2PBusAddr;\n");

    internal static readonly string CompletionFixed = Completion
        .Replace("            {|#0:Dma.UnmapPhys(dev, iod.DmaVecs[i].Addr, iod.DmaVecs[i].Len, iod.Req.Dir)|};\n", """
                        if (!iod.DmaVecs[i].P2PBusAddr)
                        {
                            Dma.UnmapPhys(dev, iod.DmaVecs[i].Addr, iod.DmaVecs[i].Len, iod.Req.Dir);
                        }

            """);

    [Fact]
    public Task NvmeUnmapData_BusAddressOnSomePaths_TracksTheBitAndGuardsTheUnmapInTheCompletion()
    {
        Assert.NotEqual(BlkMqDma, BlkMqDmaFixed);
        Assert.NotEqual(Iod, IodFixed);
        Assert.NotEqual(MapData, MapDataFixed);
        Assert.NotEqual(Completion, CompletionFixed);
        var test = new Verifier.CodeFixTest<P2P0013BusAddressFlagCodeFix>();
        test.Configure(withLibrary: true);
        test.TestState.Sources.Add(("/0/BlkMqDma.cs", BlkMqDma));
        test.TestState.Sources.Add(("/0/Iod.cs", Iod));
        test.TestState.Sources.Add(("/0/MapData.cs", MapData));
        test.TestState.Sources.Add(("/0/Completion.cs", Completion));
        test.ExpectedDiagnostics.Add(Verifier.Diagnostic("P2P0013").WithLocation(0).WithArguments(
            "Dma.UnmapPhys", "iod.DmaVecs[i].Addr",
            "is a PCI bus address on some paths (PciP2PDma.BusAddrMap, stored into BlkDmaIter.Addr in MapIterStart, stored into NvmeDmaVec.Addr in SetupDataPrp): unmap only what was mapped"));
        test.FixedState.Sources.Add(("/0/BlkMqDma.cs", BlkMqDmaFixed));
        test.FixedState.Sources.Add(("/0/Iod.cs", IodFixed));
        test.FixedState.Sources.Add(("/0/MapData.cs", MapDataFixed));
        test.FixedState.Sources.Add(("/0/Completion.cs", CompletionFixed));
        return test.RunAsync();
    }

    // A store whose value the fix cannot classify (an address handed in by a caller): a flag that misses it would be
    // a guess, so the fix declines and the page says to track the bit by hand.
    [Fact]
    public Task StoreOfAnAddressFromACaller_NoFix() => Verifier.NoCodeFix<P2P0013BusAddressFlagCodeFix>(Usings + """
        sealed class Cmd
        {
            public DmaAddr Addr;
        }

        static class Driver
        {
            static void Submit(PciDevice dev, P2PMapState state, Page page, Cmd cmd, DmaAddr fromCaller, bool reuse)
            {
                if (reuse)
                {
                    cmd.Addr = fromCaller;
                }
                else if (PciP2PDma.State(state, dev, page) == P2PMapType.BusAddr)
                {
                    cmd.Addr = PciP2PDma.BusAddrMap(state.Provider!, page.Phys);
                }
                else
                {
                    cmd.Addr = Dma.MapPhys(dev, page.Phys, 4096, DmaDirection.ToDevice);
                }

                {|#0:Dma.UnmapPhys(dev, cmd.Addr, 4096, DmaDirection.ToDevice)|};
            }
        }
        """,
        Verifier.Diagnostic("P2P0013").WithLocation(0).WithArguments("Dma.UnmapPhys", "cmd.Addr",
            "is a PCI bus address on some paths (PciP2PDma.BusAddrMap): unmap only what was mapped"));

    // nvme_unmap_data chooses nvme_free_sgls or nvme_free_prps by the command's data layout: two unmaps of the same
    // member. Fix All merges their plans: one flag, one flag store per store, a guard at each unmap.
    internal const string CompletionTwoLayouts = Usings + """
        static class NvmeCompletion
        {
            // nvme_free_sgls
            private static void FreeSgls(PciDevice dev, NvmeIod iod)
            {
                for (int i = 0; i < iod.NrDmaVecs; i++)
                {
                    {|#0:Dma.UnmapPhys(dev, iod.DmaVecs[i].Addr, iod.DmaVecs[i].Len, iod.Req.Dir)|};
                }
            }

            // nvme_free_prps
            private static void FreePrps(PciDevice dev, NvmeIod iod)
            {
                for (int i = 0; i < iod.NrDmaVecs; i++)
                {
                    {|#1:Dma.UnmapPhys(dev, iod.DmaVecs[i].Addr, iod.DmaVecs[i].Len, iod.Req.Dir)|};
                }
            }

            // nvme_unmap_data
            public static void UnmapData(PciDevice dev, NvmeIod iod, bool useSgl)
            {
                if (useSgl)
                {
                    FreeSgls(dev, iod);
                }
                else
                {
                    FreePrps(dev, iod);
                }
            }
        }
        """;

    [Fact]
    public Task NvmeUnmapData_TwoUnmapsOfOneMember_FixAllAddsOneFlagAndGuardsBoth()
    {
        string guarded = """
                        if (!iod.DmaVecs[i].P2PBusAddr)
                        {
                            Dma.UnmapPhys(dev, iod.DmaVecs[i].Addr, iod.DmaVecs[i].Len, iod.Req.Dir);
                        }

            """;
        string fixedCompletion = CompletionTwoLayouts
            .Replace("            {|#0:Dma.UnmapPhys(dev, iod.DmaVecs[i].Addr, iod.DmaVecs[i].Len, iod.Req.Dir)|};\n", guarded)
            .Replace("            {|#1:Dma.UnmapPhys(dev, iod.DmaVecs[i].Addr, iod.DmaVecs[i].Len, iod.Req.Dir)|};\n", guarded);
        var test = new Verifier.CodeFixTest<P2P0013BusAddressFlagCodeFix>();
        test.Configure(withLibrary: true);
        test.TestState.Sources.Add(("/0/BlkMqDma.cs", BlkMqDma));
        test.TestState.Sources.Add(("/0/Iod.cs", Iod));
        test.TestState.Sources.Add(("/0/MapData.cs", MapData));
        test.TestState.Sources.Add(("/0/Completion.cs", CompletionTwoLayouts));
        const string Message = "is a PCI bus address on some paths (PciP2PDma.BusAddrMap, stored into BlkDmaIter.Addr in MapIterStart, stored into NvmeDmaVec.Addr in SetupDataPrp): unmap only what was mapped";
        test.ExpectedDiagnostics.Add(Verifier.Diagnostic("P2P0013").WithLocation(0).WithArguments("Dma.UnmapPhys", "iod.DmaVecs[i].Addr", Message));
        test.ExpectedDiagnostics.Add(Verifier.Diagnostic("P2P0013").WithLocation(1).WithArguments("Dma.UnmapPhys", "iod.DmaVecs[i].Addr", Message));
        test.FixedState.Sources.Add(("/0/BlkMqDma.cs", BlkMqDmaFixed));
        test.FixedState.Sources.Add(("/0/Iod.cs", IodFixed));
        test.FixedState.Sources.Add(("/0/MapData.cs", MapDataFixed));
        test.FixedState.Sources.Add(("/0/Completion.cs", fixedCompletion));
        return test.RunAsync();
    }
}
