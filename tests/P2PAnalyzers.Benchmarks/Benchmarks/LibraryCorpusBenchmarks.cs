using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using P2PAnalyzers.Benchmarks.Infrastructure;

namespace P2PAnalyzers.Benchmarks.Benchmarks;

/// <summary>
/// Ordinary C# compiled with the companion library referenced but no DMA code: the P2P analyzers register, pay their
/// per-operation checks and find nothing; the whole-program summary reads no body. Budget: 1.05x the empty operation
/// analyzer.
/// </summary>
[MemoryDiagnoser]
public class LibraryCorpusBenchmarks
{
    private Compilation _compilation = null!;

    public static IEnumerable<int> SizeValues => FullMode.Sizes;

    [ParamsSource(nameof(SizeValues))]
    public int Files { get; set; }

    [GlobalSetup]
    public void Setup() => _compilation = CorpusCompilations.PlainWithLibrary(Files).Compilation;

    [GlobalCleanup]
    public void Cleanup() => CorpusCompilations.Clear();

    [Benchmark(Baseline = true)]
    public int EmptyOperationAnalyzer() => AnalyzerRuns.Run(_compilation, AnalyzerSets.EmptyOperation, 0).Length;

    [Benchmark]
    public int AllP2PAnalyzers() => AnalyzerRuns.Run(_compilation, AnalyzerSets.AllP2P, 0).Length;
}
