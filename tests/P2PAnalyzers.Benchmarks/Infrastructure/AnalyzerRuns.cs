using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using P2PAnalyzers.Corpus;

namespace P2PAnalyzers.Benchmarks.Infrastructure;

/// <summary>Runs analyzers the way the compiler does (concurrently, on a fresh <see cref="CompilationWithAnalyzers"/>) and checks the result.</summary>
public static class AnalyzerRuns
{
    /// <summary>False for the <c>--no-whole-program</c> experiment: the analyzers run with the summary switched off, counts unchecked.</summary>
    public static bool WholeProgram { get; set; } = true;

    public static CompilationWithAnalyzers With(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, bool telemetry = false) =>
        compilation.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(
            WholeProgram ? new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty) : new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, WithoutWholeProgram.Instance),
            onAnalyzerException: null, concurrentAnalysis: true,
            logAnalyzerExecutionTime: telemetry, reportSuppressedDiagnostics: false));

    /// <summary>
    /// The compilation as a build meets it: the same code in syntax trees of its own, so that nothing the analyzers keep
    /// with the trees of an earlier run (the per-tree body summaries, the last solved program, which serve the editor)
    /// is found, and every run pays the whole-program solve; and each tree keeps the text it was parsed from, as a
    /// build's trees do. (A tree made from a root node, <c>SyntaxFactory.SyntaxTree(root)</c>, has no text and writes
    /// it out again when an analyzer asks: 15-25 MB and ~0.5 s of CPU a run on the 1,000-file corpus that no build pays.
    /// <c>WithFilePath</c> makes a new tree over the same parsed nodes and text, but returns the tree itself for its own
    /// path, hence the detour through another.)
    /// </summary>
    public static Compilation AsBuilt(Compilation compilation) =>
        compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(compilation.SyntaxTrees.Select(Fresh));

    private static SyntaxTree Fresh(SyntaxTree tree)
    {
        SyntaxTree fresh = tree.WithFilePath(tree.FilePath + "~").WithFilePath(tree.FilePath);
        if (ReferenceEquals(fresh, tree) || !fresh.TryGetText(out _) && tree.TryGetText(out _))
        {
            throw new System.InvalidOperationException($"No fresh tree with its text for {tree.FilePath}: the benchmark would not measure a build.");
        }

        return fresh;
    }

    /// <summary>
    /// What a build does: compile the whole compilation (compiler diagnostics, method bodies bound) with the analyzers
    /// driven by its events. Throws unless exactly <paramref name="expected"/> analyzer diagnostics come back.
    /// </summary>
    public static ImmutableArray<Diagnostic> Run(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, int expected)
    {
        ImmutableArray<Diagnostic> all = With(AsBuilt(compilation), analyzers).GetAllDiagnosticsAsync(CancellationToken.None).GetAwaiter().GetResult();
        ImmutableArray<Diagnostic> diagnostics = FromAnalyzers(all);
        ExpectCount(diagnostics, expected);
        return diagnostics;
    }

    /// <summary>
    /// The editor's state before the request: a fresh analysis of an already-built compilation (every declaration bound),
    /// and the document's semantic model. The request itself is <see cref="DocumentSemanticDiagnostics"/>.
    /// </summary>
    public static (CompilationWithAnalyzers Analysis, SemanticModel Model) PrepareDocument(Compilation compilation, SyntaxTree document, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        CompilationWithAnalyzers cwa = With(compilation, analyzers);
        _ = cwa.Compilation.GetDeclarationDiagnostics(CancellationToken.None);
        return (cwa, cwa.Compilation.GetSemanticModel(document));
    }

    /// <summary>
    /// The editor's request for one document: its compiler semantic diagnostics and its analyzers' semantic diagnostics,
    /// on one semantic model (method bodies bound once). Throws unless exactly <paramref name="expected"/> analyzer diagnostics.
    /// </summary>
    public static ImmutableArray<Diagnostic> DocumentSemanticDiagnostics(CompilationWithAnalyzers cwa, SemanticModel model, int expected)
    {
        _ = model.GetDiagnostics(cancellationToken: CancellationToken.None);
        ImmutableArray<Diagnostic> diagnostics = cwa.GetAnalyzerSemanticDiagnosticsAsync(model, filterSpan: null, CancellationToken.None).GetAwaiter().GetResult();
        ExpectCount(diagnostics, expected);
        return diagnostics;
    }

    /// <summary>The diagnostics analyzers reported (compiler diagnostics, CS*, left out; AD0001 kept).</summary>
    public static ImmutableArray<Diagnostic> FromAnalyzers(ImmutableArray<Diagnostic> all) =>
        all.Where(d => !d.Id.StartsWith("CS", StringComparison.Ordinal)).ToImmutableArray();

    public static void ExpectCount(ImmutableArray<Diagnostic> diagnostics, int expected)
    {
        if (!WholeProgram)
        {
            return;
        }

        if (diagnostics.Length != expected)
        {
            throw new InvalidOperationException(
                $"Expected {expected} analyzer diagnostics, got {diagnostics.Length}: the benchmark would not measure the intended work. "
                + string.Join("; ", diagnostics.Take(5).Select(d => d.ToString())));
        }
    }

    /// <summary>
    /// Compares analyzer diagnostics with what the generator planted, exactly (file, line, ID); also fails on compiler errors.
    /// Returns the problems found, one per line; empty when all is as planted.
    /// </summary>
    public static List<string> Verify(Compilation compilation, IEnumerable<Diagnostic> diagnostics, IEnumerable<PlantedDiagnostic> planted, bool checkCompilerErrors = true)
    {
        var problems = new List<string>();
        if (checkCompilerErrors)
        {
            foreach (Diagnostic error in compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Take(10))
            {
                problems.Add("compiler error: " + error);
            }
        }

        var expected = planted.Select(p => (p.Path, p.Line, p.Id)).ToList();
        var actual = diagnostics.Select(d => (Path: d.Location.SourceTree?.FilePath ?? "", Line: d.Location.GetLineSpan().StartLinePosition.Line + 1, d.Id, Diagnostic: d)).ToList();
        var unmatched = actual.ToList();
        foreach (var e in expected)
        {
            int i = unmatched.FindIndex(a => a.Path == e.Path && a.Line == e.Line && a.Id == e.Id);
            if (i < 0)
            {
                problems.Add($"missing:    {e.Path}({e.Line}): {e.Id} (planted)");
            }
            else
            {
                unmatched.RemoveAt(i);
            }
        }

        foreach (var a in unmatched)
        {
            problems.Add($"unexpected: {a.Diagnostic}");
        }

        return problems;
    }
}

/// <summary>A global config with <c>p2p_analyzers.whole_program = false</c> and nothing else.</summary>
internal sealed class WithoutWholeProgram : AnalyzerConfigOptionsProvider
{
    public static readonly WithoutWholeProgram Instance = new();

    private static readonly Options Global = new(new Dictionary<string, string> { ["p2p_analyzers.whole_program"] = "false" });
    private static readonly Options None = new(new Dictionary<string, string>());

    public override AnalyzerConfigOptions GlobalOptions => Global;

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => None;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => None;

    private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}

