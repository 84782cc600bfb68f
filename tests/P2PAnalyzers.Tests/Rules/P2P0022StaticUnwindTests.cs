using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// A driver of one device keeps its state in statics (a crypto engine's source list) and unwinds through a static
/// helper that unmaps the list, then returns the ERR_PTR or the caller returns the errno. The helper is handed nothing:
/// the list it unmaps is named alike in its type, and the error return after it leaks nothing.
/// </summary>
public sealed class P2P0022StaticUnwindTests
{
    private const string Engine = """
        using P2PDma.Mapping;
        using P2PDma.Pci;

        sealed class HwSgl { public long Err; }

        static class Engine
        {
            const int EINVAL = 22;
            static PciDevice Dev = null!;
            static SgTable Sgl = SgTable.Alloc(8);
            static SgTable Dst = SgTable.Alloc(8);
            static int Nents = 8;
            static int MaxSge = 4;

            static HwSgl ErrPtr(long err) => new HwSgl { Err = err };

            static HwSgl Unwind(long err)
            {
                Dma.UnmapSg(Dev, UNMAPPED, Nents, DmaDirection.ToDevice);
                return ErrPtr(err);
            }

            static void UnmapSource() => Dma.UnmapSg(Dev, UNMAPPED, Nents, DmaDirection.ToDevice);

            static HwSgl MapToHwSgl()
            {
                int mapped = MAP;
                if (mapped == 0)
                {
                    return ErrPtr(-EINVAL);
                }

                if (mapped > MaxSge)
                {
                    return Unwind(-EINVAL);
                }

                return new HwSgl();
            }

            static int MapSource()
            {
                if (MAP == 0)
                {
                    return -12;
                }

                if (Nents > MaxSge)
                {
                    UnmapSource();
                    return -EINVAL;
                }

                return 0;
            }
        }
        """;

    [Fact]
    public Task HelperUnmapsTheStaticList_NoDiagnostic() => Verifier.Analyzer(
        Engine.Replace("UNMAPPED", "Sgl").Replace("MAP", "Dma.MapSg(Dev, Sgl, Nents, DmaDirection.ToDevice)"));

    // The helpers unmap another list than the one mapped: both error returns leak it.
    [Fact]
    public Task HelperUnmapsAnotherStaticList_Reports() => Verifier.Analyzer(
        Engine.Replace("UNMAPPED", "Dst").Replace("int mapped = MAP;", "int mapped = {|#0:Dma.MapSg(Dev, Sgl, Nents, DmaDirection.ToDevice)|};")
            .Replace("if (MAP == 0)", "if ({|#1:Dma.MapSg(Dev, Sgl, Nents, DmaDirection.ToDevice)|} == 0)")
            .Replace("return Unwind(-EINVAL);", "{|#2:return Unwind(-EINVAL);|}").Replace("return -EINVAL;", "{|#3:return -EINVAL;|}"),
        Verifier.Diagnostic("P2P0022").WithLocation(0).WithLocation(2).WithArguments("Dma.MapSg", "at 'return Unwind(-EINVAL);', which returns an error"),
        Verifier.Diagnostic("P2P0022").WithLocation(1).WithLocation(3).WithArguments("Dma.MapSg", "at 'return -EINVAL;', which returns an error"));
}
