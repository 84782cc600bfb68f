using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using P2PAnalyzers.Benchmarks.Infrastructure;

namespace P2PAnalyzers.Benchmarks.Benchmarks;

/// <summary>
/// The editor's request: compiler and analyzer semantic diagnostics of one 2,000-line driver file, in a fresh analysis
/// of an already-built 1,000-file compilation (declarations bound in the iteration setup, not measured).
/// </summary>
[MemoryDiagnoser]
public class EditorBenchmarks
{
    private Compilation _compilation = null!;
    private SyntaxTree _document = null!;
    private int _expected;
    private CompilationWithAnalyzers _analysis = null!;
    private SemanticModel _model = null!;

    [GlobalSetup]
    public void Setup()
    {
        var editor = CorpusCompilations.Editor(FullMode.EditorCorpusSize, FullMode.EditorLines);
        _compilation = editor.Compilation;
        _document = editor.Document;
        _expected = editor.Large.Expected.Count;
    }

    [GlobalCleanup]
    public void Cleanup() => CorpusCompilations.Clear();

    [IterationSetup(Target = nameof(EmptyAnalyzer))]
    public void SetupEmpty() => Prepare(AnalyzerSets.Empty);

    [IterationSetup(Target = nameof(EmptyOperationAnalyzer))]
    public void SetupEmptyOperation() => Prepare(AnalyzerSets.EmptyOperation);

    [IterationSetup(Target = nameof(AllP2PAnalyzers))]
    public void SetupAllP2P() => Prepare(AnalyzerSets.AllP2P);

    [IterationSetup(Target = nameof(EmptyOperationAnalyzerAfterEdit))]
    public void SetupEmptyOperationAfterEdit() => PrepareAfterEdit(AnalyzerSets.EmptyOperation);

    [IterationSetup(Target = nameof(AllP2PAnalyzersAfterEdit))]
    public void SetupAllP2PAfterEdit() => PrepareAfterEdit(AnalyzerSets.AllP2P);

    [Benchmark(Baseline = true)]
    public int EmptyAnalyzer() => AnalyzerRuns.DocumentSemanticDiagnostics(_analysis, _model, 0).Length;

    [Benchmark]
    public int EmptyOperationAnalyzer() => AnalyzerRuns.DocumentSemanticDiagnostics(_analysis, _model, 0).Length;

    [Benchmark]
    public int AllP2PAnalyzers() => AnalyzerRuns.DocumentSemanticDiagnostics(_analysis, _model, _expected).Length;

    /// <summary>The request right after a keystroke in another driver file: a new compilation sharing the other trees.</summary>
    [Benchmark]
    public int EmptyOperationAnalyzerAfterEdit() => AnalyzerRuns.DocumentSemanticDiagnostics(_analysis, _model, 0).Length;

    [Benchmark]
    public int AllP2PAnalyzersAfterEdit() => AnalyzerRuns.DocumentSemanticDiagnostics(_analysis, _model, _expected).Length;

    private void PrepareAfterEdit(ImmutableArray<DiagnosticAnalyzer> analyzers) =>
        (_analysis, _model) = AnalyzerRuns.PrepareDocument(CorpusCompilations.EditedElsewhere(_compilation, _document, ++_edits), _document, analyzers);

    private int _edits;

    private void Prepare(ImmutableArray<DiagnosticAnalyzer> analyzers) =>
        (_analysis, _model) = AnalyzerRuns.PrepareDocument(_compilation, _document, analyzers);
}
