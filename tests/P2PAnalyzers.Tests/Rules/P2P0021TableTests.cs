using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0021UnmapDoesNotMatchMapAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0021 for scatterlist mappings: <c>dma_unmap_sg</c> given another direction than the <c>dma_map_sg</c> of its
/// list ("device driver frees DMA sg list with different direction", <c>check_unmap</c> in kernel/dma/debug.c, which the
/// library's DmaDebug reports too). The list is named, not followed: the map calls of the same body given the same
/// list, or, for a list a field holds, the compilation's map calls of that field (mapped at submit, unmapped in the
/// completion, as a block or SPI driver splits it). The shapes are those of Documentation/core-api/dma-api-howto.rst's
/// scatterlist example.
/// </summary>
public sealed class P2P0021TableTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    private const string Request = """
        sealed class Xfer { public SgTable Sgl = SgTable.Alloc(4); public int Nents = 4; public int Count; }

        """;

    [Fact]
    public Task SameFunction_UnmappedWithTheOtherDirection_Reports() => Verifier.Analyzer(Usings + Request + """
        static class Driver
        {
            static int Transfer(PciDevice dev, Xfer x)
            {
                int count = {|#1:Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice)|};
                if (count == 0)
                {
                    return -12;
                }

                Dma.UnmapSg(dev, x.Sgl, x.Nents, {|#0:DmaDirection.FromDevice|});
                return 0;
            }
        }
        """, Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1)
            .WithArguments("Dma.UnmapSg", "x.Sgl", "direction", "FromDevice", "Dma.MapSg", "ToDevice"));

    [Fact]
    public Task CompletionUnmapsTheFieldsListWithTheOtherDirection_Reports() => Verifier.Analyzer(Usings + Request + """
        static class Driver
        {
            static int Submit(PciDevice dev, Xfer x)
            {
                x.Count = {|#1:Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.FromDevice)|};
                return x.Count == 0 ? -12 : 0;
            }

            static void Complete(PciDevice dev, Xfer x) => Dma.UnmapSg(dev, x.Sgl, x.Nents, {|#0:DmaDirection.Bidirectional|});
        }
        """, Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1)
            .WithArguments("Dma.UnmapSg", "x.Sgl", "direction", "Bidirectional", "Dma.MapSg", "FromDevice"));

    [Fact]
    public Task SgTableUnmappedWithTheOtherDirection_Reports() => Verifier.Analyzer(Usings + """
        static class Importer
        {
            static int Map(PciDevice dev, SgTable sgt)
            {
                DmaError err = {|#1:Dma.MapSgTable(dev, sgt, DmaDirection.Bidirectional)|};
                if (err != DmaError.None)
                {
                    return (int)err;
                }

                Dma.UnmapSgTable(dev, sgt, {|#0:DmaDirection.ToDevice|});
                return 0;
            }
        }
        """, Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1)
            .WithArguments("Dma.UnmapSgTable", "sgt", "direction", "ToDevice", "Dma.MapSgTable", "Bidirectional"));

    // The same direction; a direction handed in (which the rule cannot read); two maps of the list with different
    // directions, one of which the unmap matches (a read and a write path sharing the request).
    [Fact]
    public Task MatchingOrUnreadableDirections_NoDiagnostic() => Verifier.Analyzer(Usings + Request + """
        static class Driver
        {
            static int Same(PciDevice dev, Xfer x)
            {
                int count = Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                Dma.UnmapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice);
                return 0;
            }

            static int HandedIn(PciDevice dev, SgTable sgl, int nents, DmaDirection dir)
            {
                int count = Dma.MapSg(dev, sgl, nents, dir);
                if (count == 0)
                {
                    return -12;
                }

                Dma.UnmapSg(dev, sgl, nents, DmaDirection.Bidirectional);
                return 0;
            }

            static int EitherWay(PciDevice dev, Xfer x, bool write)
            {
                int count = write
                    ? Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice)
                    : Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.FromDevice);
                if (count == 0)
                {
                    return -12;
                }

                Dma.UnmapSg(dev, x.Sgl, x.Nents, DmaDirection.FromDevice);
                return 0;
            }

            // Another list unmapped with another direction than this one was mapped with.
            static void TwoLists(PciDevice dev, SgTable src, SgTable dst, int n)
            {
                if (Dma.MapSg(dev, src, n, DmaDirection.ToDevice) == 0)
                {
                    return;
                }

                if (Dma.MapSg(dev, dst, n, DmaDirection.FromDevice) == 0)
                {
                    Dma.UnmapSg(dev, src, n, DmaDirection.ToDevice);
                    return;
                }

                Dma.UnmapSg(dev, dst, n, DmaDirection.FromDevice);
                Dma.UnmapSg(dev, src, n, DmaDirection.ToDevice);
            }
        }
        """);

    // hisilicon's sgl after 2566de3e06a3: the list is mapped with the caller's direction and unmapped bidirectional on
    // the error path (4154f7d3b1c1 passes `dir` there). Every caller passes a constant, none of them Bidirectional.
    private const string MapToHwSgl = """
        static class Sgl
        {
            static int MapToHwSgl(PciDevice dev, SgTable sgl, int n, bool full, DmaDirection dir)
            {
                int mapped = {|#1:Dma.MapSg(dev, sgl, n, dir)|};
                if (mapped == 0)
                {
                    return -22;
                }

                if (full)
                {
                    Dma.UnmapSg(dev, sgl, n, UNMAP);
                    return -22;
                }

                return mapped;
            }

            static int DoWork(PciDevice dev, SgTable src, SgTable dst, int n) =>
                MapToHwSgl(dev, src, n, false, DmaDirection.ToDevice) + MapToHwSgl(dev, dst, n, false, CALLER);
        }
        """;

    [Fact]
    public Task DirectionFromTheCallers_UnmappedWithAnother_Reports() => Verifier.Analyzer(
        Usings + MapToHwSgl.Replace("UNMAP", "{|#0:DmaDirection.Bidirectional|}").Replace("CALLER", "DmaDirection.FromDevice"),
        Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1)
            .WithArguments("Dma.UnmapSg", "sgl", "direction", "Bidirectional", "Dma.MapSg", "dir (ToDevice or FromDevice from its callers)"));

    // A caller passes the unmap's direction; a caller passes a variable; the method is public in a public class (callers
    // outside the compilation); the method is stored as a delegate (callers unknown).
    [Theory]
    [InlineData("DmaDirection.Bidirectional", "static class", "static int MapToHwSgl")]
    [InlineData("(n > 0 ? DmaDirection.FromDevice : DmaDirection.ToDevice)", "static class", "static int MapToHwSgl")]
    [InlineData("DmaDirection.FromDevice", "public static class", "public static int MapToHwSgl")]
    public Task DirectionFromTheCallers_NotAllDifferentOrNotAllKnown_NoDiagnostic(string caller, string type, string method) => Verifier.Analyzer(
        Usings + MapToHwSgl.Replace("{|#1:", string.Empty).Replace(")|};", ");").Replace("UNMAP", "DmaDirection.Bidirectional")
            .Replace("CALLER", caller).Replace("static class", type).Replace("static int MapToHwSgl", method));

    [Fact]
    public Task DirectionFromTheCallers_AlsoStoredAsADelegate_NoDiagnostic() => Verifier.Analyzer(
        Usings + MapToHwSgl.Replace("{|#1:", string.Empty).Replace(")|};", ");").Replace("UNMAP", "DmaDirection.Bidirectional")
            .Replace("CALLER", "DmaDirection.FromDevice")
            .Replace("static int DoWork", "static readonly System.Func<PciDevice, SgTable, int, bool, DmaDirection, int> Map = MapToHwSgl;\n\n    static int DoWork"));
}
