using System.Diagnostics;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using P2PAnalyzers.Corpus;
using P2PAnalyzers.Robustness.Infrastructure;
using Xunit.Abstractions;

namespace P2PAnalyzers.Robustness.Determinism;

/// <summary>
/// The same compilation analyzed 20 times at once (each run with concurrent execution on, as the compiler does) gives
/// the same diagnostics: IDs, locations, messages, properties and additional locations, in the same order once sorted.
/// A second compilation of the same sources with the files in reverse order gives them too (no order dependence).
/// </summary>
public sealed class DeterminismTests
{
    private readonly ITestOutputHelper _output;

    public DeterminismTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Sources => new() { "corpus", "samples" };

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task SameCompilation_ConcurrentRuns_IdenticalDiagnostics(string source)
    {
        var clock = Stopwatch.StartNew();
        int runs = Mode.Long ? 40 : 20;
        List<SourceFile> files = source == "corpus"
            ? SourceSet.Whole(DriverCorpus.Generate(Mode.Long ? 201 : 61, seed: 5)).Files.ToList()
            : SourceSet.Samples().Single(s => s.Name == "FabricDemo").Files.ToList();
        OutputKind kind = source == "corpus" ? OutputKind.DynamicallyLinkedLibrary : OutputKind.ConsoleApplication;
        CSharpCompilation compilation = Compile(files, kind);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        AnalysisResult[] results = await Task.WhenAll(Enumerable.Range(0, runs)
            .Select(_ => Task.Run(() => AnalyzerRun.RunAsync(compilation, CancellationToken.None))));
        CSharpCompilation reversed = Compile(Enumerable.Reverse(files).ToList(), kind);
        AnalysisResult fromReversed = await AnalyzerRun.RunAsync(reversed, CancellationToken.None);

        IReadOnlyList<string> expected = Render(results[0]);
        Assert.NotEmpty(expected);
        Assert.All(results, r => Assert.Empty(r.Exceptions));
        for (int i = 1; i < results.Length; i++)
        {
            Assert.True(expected.SequenceEqual(Render(results[i])), $"run {i} differs from run 0:\n{Fixes.FixChecks.Diff(string.Join("\n", expected), string.Join("\n", Render(results[i])))}");
        }

        Assert.True(expected.SequenceEqual(Render(fromReversed)), $"files in reverse order give other diagnostics:\n{Fixes.FixChecks.Diff(string.Join("\n", expected), string.Join("\n", Render(fromReversed)))}");
        _output.WriteLine($"{source}: {runs} concurrent runs + 1 reversed, {expected.Count} diagnostics each, identical ({clock.Elapsed.TotalSeconds:F1} s, {Mode.Name} mode)");
    }

    private static CSharpCompilation Compile(IReadOnlyList<SourceFile> files, OutputKind kind) => CSharpCompilation.Create(
        "Determinism",
        files.Select(f => CSharpSyntaxTree.ParseText(f.Text, Workbench.ParseOptions, f.Path)),
        References.WithLibrary,
        new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>Everything a user sees of a diagnostic, one line each, in the run's sorted order.</summary>
    private static IReadOnlyList<string> Render(AnalysisResult result) => result.Product.Select(d =>
        string.Join(" | ",
            d.Id,
            d.Location.GetLineSpan().ToString(),
            d.GetMessage(CultureInfo.InvariantCulture),
            d.Severity.ToString(),
            string.Join(",", d.Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")),
            string.Join(",", d.AdditionalLocations.Select(l => l.GetLineSpan().ToString()))))
        .ToList();
}
