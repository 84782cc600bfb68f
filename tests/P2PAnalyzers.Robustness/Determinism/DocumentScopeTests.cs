using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using P2PAnalyzers.Corpus;
using P2PAnalyzers.Robustness.Infrastructure;

namespace P2PAnalyzers.Robustness.Determinism;

/// <summary>
/// What the build reports, the editor reports: every diagnostic of a whole-compilation run also comes out of the
/// document-scoped run of its file (the IDE's: semantic diagnostics of one tree), and nothing else does. Roslyn drops,
/// in that scope, what an operation action reports outside its own operation; P2P0023, first written that way, showed
/// in the build and never in the editor.
/// </summary>
public sealed class DocumentScopeTests
{
    public static TheoryData<string> Sources => new() { "corpus", "samples" };

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task EveryBuildDiagnostic_IsAlsoTheEditors(string source)
    {
        IReadOnlyList<SourceSet> sets = source == "corpus"
            ? new[] { SourceSet.Whole(DriverCorpus.Generate(Mode.Long ? 401 : 121, seed: 7)) }
            : SourceSet.Samples();
        var missing = new List<string>();
        int compared = 0;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (SourceSet set in sets)
        {
            CSharpCompilation compilation = CSharpCompilation.Create(
                "DocumentScope",
                set.Files.Select(f => CSharpSyntaxTree.ParseText(f.Text, Workbench.ParseOptions, f.Path)),
                set.WithLibrary ? References.WithLibrary : References.Framework,
                new CSharpCompilationOptions(set.Kind, nullableContextOptions: NullableContextOptions.Enable));
            Infrastructure.AnalysisResult whole = await AnalyzerRun.RunAsync(compilation, CancellationToken.None);
            CompilationWithAnalyzers editor = compilation.WithAnalyzers(Products.Analyzers);
            foreach (SyntaxTree tree in compilation.SyntaxTrees)
            {
                ImmutableArray<Diagnostic> inDocument = await editor.GetAnalyzerSemanticDiagnosticsAsync(compilation.GetSemanticModel(tree), null, CancellationToken.None);
                var built = whole.Product.Where(d => d.Location.SourceTree == tree).Select(Render).ToList();
                var edited = inDocument.Where(d => Products.IsProductDiagnostic(d.Id)).Select(Render).ToHashSet(StringComparer.Ordinal);
                compared += built.Count;
                ids.UnionWith(whole.Product.Where(d => d.Location.SourceTree == tree).Select(d => d.Id));
                missing.AddRange(built.Where(d => !edited.Contains(d)).Select(d => $"{set.Name}: only in the build: {d}"));
                missing.AddRange(edited.Where(d => !built.Contains(d)).Select(d => $"{set.Name}: only in the editor: {d}"));
            }
        }

        Assert.True(compared > 0, "nothing was compared");
        if (source == "corpus")
        {
            // The corpus plants every rule: each is compared.
            Assert.Equal(RuleIds.All.OrderBy(x => x, StringComparer.Ordinal), ids.OrderBy(x => x, StringComparer.Ordinal));
        }
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    private static string Render(Diagnostic d) =>
        $"{d.Id} {d.Location.GetLineSpan()} {d.GetMessage(CultureInfo.InvariantCulture)}";
}
