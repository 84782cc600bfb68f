using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using P2PAnalyzers.Benchmarks.Infrastructure;

namespace P2PAnalyzers.Benchmarks.Benchmarks;

/// <summary>
/// Ordinary C# that does not reference the companion library: the P2P analyzers register nothing past their
/// compilation-start check, so they must cost what the empty analyzer costs.
/// </summary>
[MemoryDiagnoser]
public class PlainCorpusBenchmarks
{
    private Compilation _compilation = null!;

    public static IEnumerable<int> SizeValues => FullMode.Sizes;

    [ParamsSource(nameof(SizeValues))]
    public int Files { get; set; }

    [GlobalSetup]
    public void Setup() => _compilation = CorpusCompilations.Plain(Files).Compilation;

    [GlobalCleanup]
    public void Cleanup() => CorpusCompilations.Clear();

    [Benchmark(Baseline = true)]
    public int EmptyAnalyzer() => AnalyzerRuns.Run(_compilation, AnalyzerSets.Empty, 0).Length;

    [Benchmark]
    public int AllP2PAnalyzers() => AnalyzerRuns.Run(_compilation, AnalyzerSets.AllP2P, 0).Length;
}
