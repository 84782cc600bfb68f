using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0024ScatterlistCountConfusionAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0024 through the wrappers drivers unmap with: include/rdma/ib_verbs.h's <c>ib_dma_map_sg</c> and
/// <c>ib_dma_unmap_sg</c>, as iSER's iser_memory.c calls them (<c>iser_dma_map_task_data</c> keeps the count in
/// <c>data-&gt;dma_nents</c>, <c>iser_dma_unmap_task_data</c> unmaps <c>data-&gt;size</c>, the nents it was given). A
/// wrapper hands its nents on unchanged, so the count is judged where each caller chose it.
/// </summary>
public sealed class P2P0024WrapperTests
{
    private const string Usings = """
        using P2PDma.Mapping;
        using P2PDma.Addresses;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    // A driver's own one-line wrappers, as ib_verbs.h wrote them from v4.11 to v5.9.
    private const string OwnHeader = """
        sealed class IbDevice { public PciDevice DmaDevice = null!; }

        static class IbVerbs
        {
            public static int IbDmaMapSg(IbDevice dev, SgTable sg, int nents, DmaDirection dir) =>
                {|#2:Dma.LegacyMapSg(dev.DmaDevice, sg, nents, dir)|};

            public static void IbDmaUnmapSg(IbDevice dev, SgTable sg, int nents, DmaDirection dir) =>
                Dma.LegacyUnmapSg(dev.DmaDevice, sg, nents, dir);
        }
        """;

    private const string Iser = """
        sealed class IserDataBuf
        {
            public SgTable Sg = SgTable.Alloc(4);
            public int Size = 4;      // nents given to the map
            public int DmaNents;      // what the map returned
        }

        static class IserMemory
        {
            public static int IserDmaMapTaskData(IbDevice dev, IserDataBuf data, DmaDirection dir)
            {
                {|#4:data.DmaNents = IbVerbs.IbDmaMapSg(dev, data.Sg, data.Size, dir)|};
                return data.DmaNents == 0 ? -22 : 0;
            }

            public static void IserDmaUnmapTaskData(IbDevice dev, IserDataBuf data, DmaDirection dir) =>
                IbVerbs.IbDmaUnmapSg(dev, data.Sg, NENTS_A, dir);

            public static void IserRegFail(IbDevice dev, IserDataBuf data) =>
                IbVerbs.IbDmaUnmapSg(dev, data.Sg, NENTS_B, DmaDirection.ToDevice);
        }
        """;

    private const string Verbs = Usings + OwnHeader + "\n" + Iser;

    // Each caller that hands the count is reported at its argument; the wrapper, which hands on what it is given, is not.
    [Fact]
    public Task CallersHandTheCountToTheWrapper_EachReported() => Verifier.Analyzer(
        Verbs.Replace("NENTS_A", "{|#0:data.DmaNents|}").Replace("NENTS_B", "{|#1:data.DmaNents|}"),
        Count(0), Count(1));

    // iser as it is: data->size, the nents given to the map.
    [Fact]
    public Task CallersHandTheNents_NoDiagnostic() => Verifier.Analyzer(
        Verbs.Replace("{|#2:", string.Empty).Replace("{|#4:", string.Empty).Replace("dir)|};", "dir);").Replace("NENTS_A", "data.Size").Replace("NENTS_B", "data.Size"));

    // A helper that changes the value it is handed is no wrapper: the unmap inside it is judged as before.
    [Fact]
    public Task HelperChangesItsNents_ReportedInside() => Verifier.Analyzer(
        Verbs.Replace("""
                public static void IbDmaUnmapSg(IbDevice dev, SgTable sg, int nents, DmaDirection dir) =>
                    Dma.LegacyUnmapSg(dev.DmaDevice, sg, nents, dir);
            """, """
                public static void IbDmaUnmapSg(IbDevice dev, SgTable sg, int nents, DmaDirection dir)
                {
                    if (nents > 128)
                    {
                        nents = 128;
                    }

                    Dma.LegacyUnmapSg(dev.DmaDevice, sg, {|#0:nents|}, dir);
                }
            """).Replace("NENTS_A", "{|#5:data.DmaNents|}").Replace("NENTS_B", "data.Size"),
        Verifier.Diagnostic("P2P0024").WithLocation(0).WithLocation(2).WithLocation(2).WithLocation(4).WithLocation(5).WithArguments(
            "Dma.LegacyUnmapSg is given 'nents' as nents, the DMA segment count returned by Dma.LegacyMapSg, returned by IbVerbs.IbDmaMapSg, stored into IserDataBuf.DmaNents in IserDmaMapTaskData, passed as 'nents' to IbVerbs.IbDmaUnmapSg in IserDmaUnmapTaskData",
            "unmap and sync take the nents given to the map call"));

    // ib_verbs.h as it is since v5.10: ib_dma_map_sg and ib_dma_unmap_sg over their _attrs forms, each guarded by
    // ib_uses_virt_dma. The count still reaches the unmap's nents unchanged, two wrappers down.
    [Fact]
    public Task MainlineHeader_CallersHandTheCount_EachReported() => Verifier.Analyzer(
        Usings + P2PAnalyzers.Tests.Kernel.IbVerbsHeader.Mainline
                .Replace("return Dma.MapSg(dev.DmaDevice!, sg, nents, direction, dmaAttrs);", "return {|#2:Dma.MapSg(dev.DmaDevice!, sg, nents, direction, dmaAttrs)|};")
                .Replace("IbDmaMapSgAttrs(dev, sg, nents, direction, DmaAttrs.None);", "{|#3:IbDmaMapSgAttrs(dev, sg, nents, direction, DmaAttrs.None)|};")
            + "\n" + Iser.Replace("NENTS_A", "{|#0:data.DmaNents|}").Replace("NENTS_B", "{|#1:data.DmaNents|}"),
        MainlineCount(0), MainlineCount(1));

    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult MainlineCount(int location) =>
        Verifier.Diagnostic("P2P0024").WithLocation(location).WithLocation(2).WithLocation(2).WithLocation(3).WithLocation(4).WithArguments(
            "IbVerbs.IbDmaUnmapSg is given 'data.DmaNents' as nents, the DMA segment count returned by Dma.MapSg, returned by IbVerbs.IbDmaMapSgAttrs, returned by IbVerbs.IbDmaMapSg, stored into IserDataBuf.DmaNents in IserDmaMapTaskData",
            "unmap and sync take the nents given to the map call");

    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult Count(int location) =>
        Verifier.Diagnostic("P2P0024").WithLocation(location).WithLocation(2).WithLocation(2).WithLocation(4).WithArguments(
            "IbVerbs.IbDmaUnmapSg is given 'data.DmaNents' as nents, the DMA segment count returned by Dma.LegacyMapSg, returned by IbVerbs.IbDmaMapSg, stored into IserDataBuf.DmaNents in IserDmaMapTaskData",
            "unmap and sync take the nents given to the map call");
}
