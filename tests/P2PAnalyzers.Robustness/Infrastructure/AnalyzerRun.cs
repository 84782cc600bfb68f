using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace P2PAnalyzers.Robustness.Infrastructure;

/// <summary>What the analyzers made of a compilation: their diagnostics and every exception any of them threw.</summary>
internal sealed record AnalysisResult(ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<string> Exceptions)
{
    public IEnumerable<Diagnostic> Product => Diagnostics.Where(d => Products.IsProductDiagnostic(d.Id));
}

/// <summary>
/// Runs every analyzer in-process as the compiler and the IDE do (concurrent execution on). An analyzer exception is
/// caught twice: through the driver's exception callback (with its stack) and as an AD0001 diagnostic.
/// </summary>
internal static class AnalyzerRun
{
    private static readonly ConditionalWeakTable<Compilation, Task<AnalysisResult>> Cache = new();
    private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<SyntaxTree, Task<AnalysisResult>>> DocumentCache = new();

    /// <summary>A fresh run: nothing cached (the determinism test needs every run to be real).</summary>
    public static async Task<AnalysisResult> RunAsync(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, CancellationToken cancellationToken)
    {
        var exceptions = new ConcurrentQueue<string>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            (exception, analyzer, _) => exceptions.Enqueue($"{analyzer.GetType().Name} threw {exception}"),
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        ImmutableArray<Diagnostic> diagnostics = await compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync(cancellationToken).ConfigureAwait(false);
        foreach (Diagnostic d in diagnostics.Where(d => d.Id is "AD0001" or "AD0002"))
        {
            exceptions.Enqueue(d.ToString());
        }

        return new AnalysisResult(Sort(diagnostics), exceptions.ToImmutableArray());
    }

    /// <summary>
    /// The analyzers over one document, as an editor runs them on the open file at every keystroke (syntax and
    /// semantic diagnostics of that tree only); computed once per document snapshot.
    /// </summary>
    public static async Task<AnalysisResult> RunOnDocumentAsync(Document document, CancellationToken cancellationToken)
    {
        Compilation compilation = (await document.Project.GetCompilationAsync(cancellationToken).ConfigureAwait(false))!;
        SyntaxTree tree = (await document.GetSyntaxTreeAsync(cancellationToken).ConfigureAwait(false))!;
        return await DocumentCache.GetValue(compilation, _ => new ConcurrentDictionary<SyntaxTree, Task<AnalysisResult>>())
            .GetOrAdd(tree, _ => RunOnDocumentCoreAsync(document, cancellationToken)).ConfigureAwait(false);
    }

    private static async Task<AnalysisResult> RunOnDocumentCoreAsync(Document document, CancellationToken cancellationToken)
    {
        var exceptions = new ConcurrentQueue<string>();
        SemanticModel model = (await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false))!;
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            (exception, analyzer, _) => exceptions.Enqueue($"{analyzer.GetType().Name} threw {exception}"),
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        CompilationWithAnalyzers analysis = model.Compilation.WithAnalyzers(Products.Analyzers, options);
        ImmutableArray<Diagnostic> syntax = await analysis.GetAnalyzerSyntaxDiagnosticsAsync(model.SyntaxTree, cancellationToken).ConfigureAwait(false);
        ImmutableArray<Diagnostic> semantic = await analysis.GetAnalyzerSemanticDiagnosticsAsync(model, filterSpan: null, cancellationToken).ConfigureAwait(false);
        ImmutableArray<Diagnostic> diagnostics = syntax.AddRange(semantic);
        foreach (Diagnostic d in diagnostics.Where(d => d.Id is "AD0001" or "AD0002"))
        {
            exceptions.Enqueue(d.ToString());
        }

        return new AnalysisResult(Sort(diagnostics), exceptions.ToImmutableArray());
    }

    public static Task<AnalysisResult> RunAsync(Compilation compilation, CancellationToken cancellationToken) =>
        RunAsync(compilation, Products.Analyzers, cancellationToken);

    /// <summary>
    /// The product analyzers' result for a compilation, computed once per compilation object (Fix All asks for the
    /// diagnostics of the same snapshot again). The token of the first caller bounds the run.
    /// </summary>
    public static Task<AnalysisResult> CachedAsync(Compilation compilation, CancellationToken cancellationToken) =>
        Cache.GetValue(compilation, c => RunAsync(c, cancellationToken));

    public static async Task<AnalysisResult> CachedAsync(Project project, CancellationToken cancellationToken)
    {
        Compilation compilation = (await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false))!;
        return await CachedAsync(compilation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A total order: path, position, ID, message.</summary>
    public static ImmutableArray<Diagnostic> Sort(IEnumerable<Diagnostic> diagnostics) => diagnostics
        .OrderBy(d => d.Location.SourceTree?.FilePath ?? "", StringComparer.Ordinal)
        .ThenBy(d => d.Location.SourceSpan.Start)
        .ThenBy(d => d.Location.SourceSpan.End)
        .ThenBy(d => d.Id, StringComparer.Ordinal)
        .ThenBy(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal)
        .ToImmutableArray();

    /// <summary>Compiler errors and warnings (no hidden or info diagnostics).</summary>
    public static ImmutableArray<Diagnostic> CompilerDiagnostics(Compilation compilation) =>
        compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray();
}
