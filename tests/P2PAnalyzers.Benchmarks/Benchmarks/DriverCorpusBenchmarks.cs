using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using P2PAnalyzers.Benchmarks.Infrastructure;

namespace P2PAnalyzers.Benchmarks.Benchmarks;

/// <summary>
/// Whole-compilation analysis of the driver corpus, as a build runs it: the P2P analyzers against the two floors on the
/// same compilation (and, for information, against nine no-op analyzers registering the rules' operation kinds). Each case asserts its exact diagnostic count, so that it measures the intended work.
/// </summary>
[MemoryDiagnoser]
public class DriverCorpusBenchmarks
{
    private Compilation _compilation = null!;
    private int _expected;

    public static IEnumerable<int> SizeValues => FullMode.Sizes;

    [ParamsSource(nameof(SizeValues))]
    public int Files { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (corpus, compilation) = CorpusCompilations.Driver(Files);
        _compilation = compilation;
        _expected = corpus.Expected.Count;
    }

    [GlobalCleanup]
    public void Cleanup() => CorpusCompilations.Clear();

    [Benchmark(Baseline = true)]
    public int EmptyAnalyzer() => AnalyzerRuns.Run(_compilation, AnalyzerSets.Empty, 0).Length;

    [Benchmark]
    public int EmptyOperationAnalyzer() => AnalyzerRuns.Run(_compilation, AnalyzerSets.EmptyOperation, 0).Length;

    /// <summary>Nine no-op analyzers shaped like the rules: Roslyn's per-analyzer dispatch, informational.</summary>
    [Benchmark]
    public int EmptyRuleShapedAnalyzers() => AnalyzerRuns.Run(_compilation, AnalyzerSets.EmptyRuleShaped, 0).Length;

    [Benchmark]
    public int AllP2PAnalyzers() => AnalyzerRuns.Run(_compilation, AnalyzerSets.AllP2P, _expected).Length;
}
