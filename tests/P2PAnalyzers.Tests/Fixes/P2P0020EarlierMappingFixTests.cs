using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0020MappingErrorNotCheckedAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// P2P0020's fix adds the check with a return; it must not offer that return where the function mapped something
/// before that it unmaps only after (a leak the fix would write, P2P0022). Shapes a review found the pairing of map and
/// unmap missed: the pre-6.2 scatterlist calls, a mapping made in a switch expression's arm, named arguments in another
/// order, fragments mapped into an array, and the unwinding kept in a local function.
/// </summary>
public sealed class P2P0020EarlierMappingFixTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    // The earlier scatterlist mapping is made with the pre-6.2 LegacyMapSg and unmapped with LegacyUnmapSg after the fix
    // point: the fix's return leaks it as it would a MapSg one.
    [Fact]
    public Task EarlierLegacyScatterlistUnmappedOnlyAfter_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Dd { public PciDevice Dev = null!; public KernelBuffer Iv = null!; }

        static class AtmelAes
        {
            static int Crypt(Dd dd, SgTable src, int nents)
            {
                int count = Dma.LegacyMapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                DmaAddr iv = [|Dma.MapSingle(dd.Dev, dd.Iv, 0, 16, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(dd.Dev, iv, 16, DmaDirection.ToDevice);
                Dma.LegacyUnmapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);


    // The earlier mapping is made in an arm of a switch expression (the C# spelling of a conditional).
    [Fact]
    public Task EarlierMappingInASwitchExpressionArm_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Req { public PciDevice Dev = null!; public KernelBuffer Buf = null!; public Page? Page; public KernelBuffer Status = null!; }

        static class Driver
        {
            static int Submit(Req req)
            {
                DmaAddr data = req.Page switch
                {
                    Page page => Dma.MapPage(req.Dev, page, 0, 4096, DmaDirection.ToDevice),
                    _ => Dma.MapSingle(req.Dev, req.Buf, 0, 4096, DmaDirection.ToDevice),
                };
                if (Dma.MappingError(req.Dev, data))
                {
                    return -12;
                }

                DmaAddr status = [|Dma.MapSingle(req.Dev, req.Status, 0, 64, DmaDirection.FromDevice)|];
                Dma.UnmapSingle(req.Dev, status, 64, DmaDirection.FromDevice);
                Dma.UnmapSingle(req.Dev, data, 4096, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);


    // The scatterlist map call written with named arguments (the list is not the second argument in source order).
    [Fact]
    public Task EarlierScatterlistMappedWithNamedArguments_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Dd { public PciDevice Dev = null!; public KernelBuffer Iv = null!; }

        static class AtmelAes
        {
            static int Crypt(Dd dd, SgTable src, int nents)
            {
                int count = Dma.MapSg(dd.Dev, nents: nents, table: src, dir: DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                DmaAddr iv = [|Dma.MapSingle(dd.Dev, dd.Iv, 0, 16, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(dd.Dev, iv, 16, DmaDirection.ToDevice);
                Dma.UnmapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // The fragments mapped before into an array (a NIC's TX path) and unmapped at the end: the fix's return for the
    // header's unchecked mapping leaves them mapped.
    [Fact]
    public Task EarlierFragmentsInAnArrayUnmappedInALoopAfter_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Skb { public KernelBuffer Head = null!; public Page[] Frags = new Page[0]; }

        static class Nic
        {
            static int Xmit(PciDevice dev, Skb skb, DmaAddr[] addrs)
            {
                for (int i = 0; i < skb.Frags.Length; i++)
                {
                    addrs[i] = Dma.MapPage(dev, skb.Frags[i], 0, 4096, DmaDirection.ToDevice);
                    if (Dma.MappingError(dev, addrs[i]))
                    {
                        return -12;
                    }
                }

                DmaAddr head = [|Dma.MapSingle(dev, skb.Head, 0, 256, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(dev, head, 256, DmaDirection.ToDevice);
                for (int i = 0; i < skb.Frags.Length; i++)
                {
                    Dma.UnmapPage(dev, addrs[i], 4096, DmaDirection.ToDevice);
                }

                return 0;
            }
        }
        """);


    // The unwind kept in a local function (the C# spelling of an 'out_unmap:' label), called after the fix point: the
    // fix's return skips it and leaves the source list mapped.
    [Fact]
    public Task EarlierScatterlistUnmappedByALocalFunctionAfter_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Dd { public PciDevice Dev = null!; public KernelBuffer Iv = null!; }

        static class AtmelAes
        {
            static int Crypt(Dd dd, SgTable src, int nents)
            {
                void UnmapSrc() => Dma.UnmapSg(dd.Dev, src, nents, DmaDirection.ToDevice);

                int count = Dma.MapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                DmaAddr iv = [|Dma.MapSingle(dd.Dev, dd.Iv, 0, 16, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(dd.Dev, iv, 16, DmaDirection.ToDevice);
                UnmapSrc();
                return 0;
            }
        }
        """);
}
