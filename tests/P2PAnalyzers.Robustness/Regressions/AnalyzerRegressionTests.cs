using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using P2PAnalyzers.Robustness.Infrastructure;

namespace P2PAnalyzers.Robustness.Regressions;

/// <summary>Minimal repros of what the fuzzers found, kept so that each stays fixed.</summary>
public sealed class AnalyzerRegressionTests
{
    /// <summary>
    /// Found by the mutation fuzzer (a duplicated '}' in a corpus file): the methods after a stray brace become local
    /// functions of top-level statements, and a method still inside the class calls one (CS8801). The flow analysis asked
    /// the method's control-flow graph for that local function and threw ArgumentOutOfRangeException (AD0001 with the
    /// guard's rethrow on; silently no analysis of the method without). Fixed in 0d4b71e.
    /// </summary>
    [Fact]
    public async Task CallToALocalFunctionOfTopLevelStatements_NoAnalyzerException()
    {
        const string Code = """
            using P2PDma.Addresses;
            using P2PDma.Mapping;
            using P2PDma.Pci;

            class C
            {
                void M(PciBar bar, Scatterlist sg)
                {
                    sg.DmaAddress = DmaAddr.FromRaw(F(bar.CpuStart.Raw));
                }
            }

            static ulong F(ulong v) => v;
            """;
        CSharpCompilation compilation = CSharpCompilation.Create("Repro", new[] { CSharpSyntaxTree.ParseText(Code, Workbench.ParseOptions, "Repro.cs") },
            References.WithLibrary, new CSharpCompilationOptions(OutputKind.ConsoleApplication));
        Assert.Contains(compilation.GetDiagnostics(), d => d.Id == "CS8801");

        AnalysisResult result = await AnalyzerRun.RunAsync(compilation, CancellationToken.None);

        Assert.Empty(result.Exceptions);
    }
}
