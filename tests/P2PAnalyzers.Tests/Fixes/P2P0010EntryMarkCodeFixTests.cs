using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PAnalyzers.Tests.Kernel;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0010PeerMemoryMappedWithoutMapTypeAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// P2P0010's fix on the 2024 VFIO RFC (drivers/vfio/pci/dma_buf.c): populate_sgt maps each chunk of each BAR range with
/// dma_map_resource and writes the address into the entry it is handed; the table is unmapped entry by entry in
/// populate_sgt's err path and in vfio_pci_dma_buf_unmap. The mapping is decided by the map type of the provider of
/// <c>Vdev.Pdev.Bar(DmaRanges[i].RegionIndex)</c>, asked for in the same iteration (pci_p2pdma_map_segment), the entry
/// is marked when the address is a bus address (sg_dma_mark_bus_address), and every entry unmap skips marked entries
/// (dma_direct_unmap_sg).
/// </summary>
public sealed class P2P0010EntryMarkCodeFixTests
{
    private const string MapResource =
        "Dma.MapResource(attachment.Device, phys + offset, chunkSize, dir, DmaAttrs.SkipCpuSync)";

    /// <summary>vfio_pci_core's structs, as VfioTests has them.</summary>
    internal static readonly string Core = KernelVerify.Usings + VfioTests.Core;

    /// <summary>dma_buf.c of the RFC, as VfioTests has it, with only P2P0010 marked.</summary>
    internal static readonly string DmaBuf = KernelVerify.Usings + Unmarked(VfioTests.RfcHead + VfioTests.RfcMapUnmap)
        .Replace(MapResource, "{|P2P0010:" + MapResource + "|}");

    /// <summary>The RFC after the fix.</summary>
    internal static readonly string DmaBufFixed = KernelVerify.Usings + Unmarked(VfioTests.RfcHead + VfioTests.RfcMapUnmap)
        .Replace(Lines(16, "DmaAddr dmaAddr = " + MapResource + ";"), Lines(16,
            "P2PProvider? provider = PciP2PDma.Init(Vdev.Pdev) == DmaError.None ? PciP2PDma.Provider(Vdev.Pdev, DmaRanges[i].RegionIndex) : null;",
            "if (provider is null)",
            "{",
            "    goto err;",
            "}",
            "",
            "P2PMapType dmaAddrType = PciP2PDma.MapType(provider, attachment.Device);",
            "DmaAddr dmaAddr = dmaAddrType switch",
            "{",
            "    P2PMapType.BusAddr => PciP2PDma.BusAddrMap(provider, phys + offset),",
            "    P2PMapType.ThruHostBridge => " + MapResource + ",",
            "    _ => DmaAddr.MappingError,",
            "};"))
        .Replace(Lines(16, "sgl.DmaAddress = dmaAddr;"), Lines(16,
            "sgl.DmaAddress = dmaAddr;",
            "if (dmaAddrType == P2PMapType.BusAddr)",
            "{",
            "    sgl.MarkBusAddress();",
            "}",
            "else",
            "{",
            "    sgl.UnmarkBusAddress();",
            "}",
            ""))
        .Replace(Lines(12, Unmap), Lines(12,
            "if (!sgl.IsDmaBusAddress)",
            "{",
            "    " + Unmap,
            "}"));

    private const string Unmap = "Dma.UnmapResource(attachment.Device, sgl.DmaAddress, sgl.DmaLength, dir, DmaAttrs.SkipCpuSync);";

    private static string Lines(int indent, params string[] lines) =>
        string.Concat(lines.Select(l => l.Length == 0 ? "\n" : new string(' ', indent) + l + "\n"));

    private static string Unmarked(string source) => ScenarioRunner.StripMarkup(source).Replace("%PEER2PEER%", "attachment.Peer2Peer");

    [Fact]
    public Task VfioRfcPopulateSgt_MapsByMapType_MarksTheEntries_SkipsThemAtEveryUnmap()
    {
        Assert.Equal(2, DmaBufFixed.Split("if (!sgl.IsDmaBusAddress)").Length - 1);
        Assert.Contains("sgl.MarkBusAddress();", DmaBufFixed);
        Assert.Contains("P2PMapType dmaAddrType = PciP2PDma.MapType(provider, attachment.Device);", DmaBufFixed);
        var test = new Verifier.CodeFixTest<P2P0010PeerMemoryMappedWithoutMapTypeCodeFix>();
        test.Configure(withLibrary: true);
        test.TestState.Sources.Add(("/0/VfioPciCore.cs", Core));
        test.TestState.Sources.Add(("/0/DmaBuf.cs", DmaBuf));
        test.FixedState.Sources.Add(("/0/VfioPciCore.cs", Core));
        test.FixedState.Sources.Add(("/0/DmaBuf.cs", DmaBufFixed));
        return test.RunAsync();
    }

    [Fact]
    public async Task VfioRfcPopulateSgt_TitleSaysTheEntriesAreMarked()
    {
        string[] titles = await UnitFixHarness.OfferedAsync(new P2P0010PeerMemoryMappedWithoutMapTypeCodeFix(), "P2P0010", "MapResource",
            VfioTests.Core, VfioTests.RfcHead + VfioTests.RfcMapUnmap.Replace("%PEER2PEER%", "attachment.Peer2Peer"));
        Assert.Equal(new[] { "Map by map type and mark bus-address entries" }, titles);
    }

    // No entries, no provider in scope: a range list walked per BAR (vfio's dma_ranges), each range mapped, handed to
    // the device and unmapped in the same iteration. The provider is the iteration's BAR's; the mapping is MapP2P with
    // its own Unmap(), as for a provider in scope, and a null provider leaves the way the mapping error does.
    [Fact]
    public Task PerIterationBarIndex_NoEntries_MapP2PWithTheIterationsProvider() => Verifier.CodeFix<P2P0010PeerMemoryMappedWithoutMapTypeCodeFix>(
        KernelVerify.Usings + """
        struct Range
        {
            public int Bar;
            public ulong Offset;
            public ulong Length;
        }

        static class Copier
        {
            public static int CopyAll(PciDevice pdev, PciDevice client, Range[] ranges, Action<DmaAddr, ulong> run)
            {
                for (int i = 0; i < ranges.Length; i++)
                {
                    PhysAddr phys = pdev.Bar(ranges[i].Bar).CpuStart + ranges[i].Offset;
                    DmaAddr addr = {|P2P0010:Dma.MapResource(client, phys, ranges[i].Length, DmaDirection.ToDevice)|};
                    if (Dma.MappingError(client, addr))
                    {
                        return -12;
                    }

                    run(addr, ranges[i].Length);
                    Dma.UnmapResource(client, addr, ranges[i].Length, DmaDirection.ToDevice);
                }

                return 0;
            }
        }
        """,
        KernelVerify.Usings + """
        struct Range
        {
            public int Bar;
            public ulong Offset;
            public ulong Length;
        }

        static class Copier
        {
            public static int CopyAll(PciDevice pdev, PciDevice client, Range[] ranges, Action<DmaAddr, ulong> run)
            {
                for (int i = 0; i < ranges.Length; i++)
                {
                    PhysAddr phys = pdev.Bar(ranges[i].Bar).CpuStart + ranges[i].Offset;
                    P2PProvider? provider = PciP2PDma.Init(pdev) == DmaError.None ? PciP2PDma.Provider(pdev, ranges[i].Bar) : null;
                    if (provider is null)
                    {
                        return -12;
                    }

                    P2PDmaMapping addrMapping = Dma.MapP2P(client, provider, phys, ranges[i].Length, DmaDirection.ToDevice);
                    DmaAddr addr = addrMapping.Address;
                    if (Dma.MappingError(client, addr))
                    {
                        return -12;
                    }

                    run(addr, ranges[i].Length);
                    addrMapping.Unmap();
                }

                return 0;
            }
        }
        """);

    // The BAR index changes between the read and the mapping (the next range's BAR): the provider asked for at the
    // mapping would be another BAR's.
    [Fact]
    public Task BarIndexAssignedBetweenTheReadAndTheMapping_NoFix()
    {
        string source = DmaBuf
            .Replace("public VfioRegionDmaRange[] DmaRanges = Array.Empty<VfioRegionDmaRange>();",
                "public VfioRegionDmaRange[] DmaRanges = Array.Empty<VfioRegionDmaRange>();\n    public int Region;")
            .Replace("PhysAddr phys = Vdev.Pdev.Bar(DmaRanges[i].RegionIndex).CpuStart;",
                "Region = DmaRanges[i].RegionIndex;\n            PhysAddr phys = Vdev.Pdev.Bar(Region).CpuStart;\n            Region++;");
        Assert.Contains("Region++;", source);
        return NoFix(source);
    }

    // The loop counter itself moves inside the body (a skipped range): the index at the mapping is not the read's.
    [Fact]
    public Task CounterAssignedInsideTheLoop_NoFix()
    {
        string source = DmaBuf.Replace("phys += DmaRanges[i].Offset;", "phys += DmaRanges[i].Offset;\n            i += DmaRanges[i].Length == 0 ? 1 : 0;");
        Assert.Contains("i += ", source);
        return NoFix(source);
    }

    // The BAR index is a variable of the function, set before the loop and changed for the next chunk: it is not the
    // same at the read and at the mapping.
    [Fact]
    public Task IndexFromAnOuterVariableAssignedInTheFunction_NoFix()
    {
        string source = DmaBuf
            .Replace("int j = 0;", "int j = 0;\n        int bar = DmaRanges.Length > 0 ? DmaRanges[0].RegionIndex : 0;")
            .Replace("PhysAddr phys = Vdev.Pdev.Bar(DmaRanges[i].RegionIndex).CpuStart;", "PhysAddr phys = Vdev.Pdev.Bar(bar).CpuStart;")
            .Replace("offset += chunkSize;", "offset += chunkSize;\n                bar = DmaRanges[i].RegionIndex;");
        Assert.Contains("bar = DmaRanges[i].RegionIndex;", source);
        return NoFix(source);
    }

    // amdgpu_ttm_tt_populate of an imported table copies each entry's address into gtt->ttm.dma_address with
    // drm_prime_sg_to_dma_addr_array: a copy loses the mark, and whoever unmaps the copy would unmap a bus address.
    [Fact]
    public Task EntryAddressCopiedIntoADriverStructElsewhere_NoFix()
    {
        var test = new Verifier.CodeFixTest<P2P0010PeerMemoryMappedWithoutMapTypeCodeFix>();
        test.Configure(withLibrary: true);
        test.TestState.Sources.Add(("/0/VfioPciCore.cs", Core));
        test.TestState.Sources.Add(("/0/DmaBuf.cs", DmaBuf));
        test.TestState.Sources.Add(("/0/DrmPrime.cs", KernelVerify.Usings + """
            sealed class TtmTt
            {
                public DmaAddr[] DmaAddress = Array.Empty<DmaAddr>();
                public int NumPages;
            }

            static class DrmPrime
            {
                // drm_prime_sg_to_dma_addr_array
                public static int SgToDmaAddrArray(SgTable sgt, DmaAddr[] addrs, int maxEntries)
                {
                    int a = 0;
                    foreach (Scatterlist sg in sgt.DmaSegments)
                    {
                        for (ulong off = 0; off < sg.DmaLength && a < maxEntries; off += 4096)
                        {
                            addrs[a++] = sg.DmaAddress + off;
                        }
                    }

                    return 0;
                }

                // amdgpu_ttm_tt_populate of an imported BO
                public static int TtPopulate(TtmTt ttm, SgTable sg) => SgToDmaAddrArray(sg, ttm.DmaAddress, ttm.NumPages);
            }
            """));
        test.FixedState.Sources.AddRange(test.TestState.Sources);
        return test.RunAsync();
    }

    // The pre-6.2 dma_unmap_sg does not skip marked entries: with it in the project, a marked entry could be unmapped.
    [Fact]
    public Task LegacyUnmapSgInTheProject_NoFix() => NoFix(DmaBuf.Replace(
        "        sgt.OrigNents = OrigNents;\n    }",
        "        sgt.OrigNents = OrigNents;\n    }\n\n    public static void Legacy(PciDevice dev, SgTable t) => Dma.LegacyUnmapSg(dev, t, t.OrigNents, DmaDirection.ToDevice);"));

    private static Task NoFix(string dmaBuf)
    {
        Assert.NotEqual(DmaBuf, dmaBuf);
        var test = new Verifier.CodeFixTest<P2P0010PeerMemoryMappedWithoutMapTypeCodeFix>();
        test.Configure(withLibrary: true);
        test.TestState.Sources.Add(("/0/VfioPciCore.cs", Core));
        test.TestState.Sources.Add(("/0/DmaBuf.cs", dmaBuf));
        test.FixedState.Sources.AddRange(test.TestState.Sources);
        return test.RunAsync();
    }
}
