using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using P2PAnalyzers.Analysis;
using P2PAnalyzers.Benchmarks.Infrastructure;
using P2PAnalyzers.Corpus;

namespace P2PAnalyzers.Benchmarks;

/// <summary>
/// Before anything is timed: every corpus compiles without errors, and the P2P analyzers report exactly what the generator
/// planted (file, line and rule), with analyzer defects let through as AD0001 instead of swallowed.
/// </summary>
public static class Verification
{
    public static bool Run(Options options, Action<string> log)
    {
        bool ok = true;
        bool rethrow = AnalysisGuard.Rethrow;
        AnalysisGuard.Rethrow = true;
        try
        {
            foreach (int size in options.Sizes)
            {
                var (driver, driverCompilation) = CorpusCompilations.Driver(size);
                ok &= Check(driver, driverCompilation, log, document: null);
                var (plain, plainCompilation) = CorpusCompilations.Plain(size);
                ok &= Check(plain, plainCompilation, log, document: null);
            }

            var editor = CorpusCompilations.Editor(options.EditorCorpusSize, options.EditorLines);
            ok &= Check(editor.Large, editor.Compilation, log, editor.Document);
        }
        finally
        {
            AnalysisGuard.Rethrow = rethrow;
        }

        return ok;
    }

    private static bool Check(GeneratedCorpus corpus, Compilation compilation, Action<string> log, SyntaxTree? document)
    {
        var cwa = AnalyzerRuns.With(compilation, AnalyzerSets.AllP2P);
        ImmutableArray<Diagnostic> diagnostics = document is null
            ? AnalyzerRuns.FromAnalyzers(cwa.GetAllDiagnosticsAsync(CancellationToken.None).GetAwaiter().GetResult())
            : cwa.GetAnalyzerSemanticDiagnosticsAsync(cwa.Compilation.GetSemanticModel(document), null, CancellationToken.None).GetAwaiter().GetResult();
        List<string> problems = AnalyzerRuns.Verify(compilation, diagnostics, corpus.Expected);
        string counts = string.Join(" ", corpus.ExpectedCounts.Select(kv => $"{kv.Key}:{kv.Value}"));
        log($"verify {corpus.Name,-12} {corpus.Files.Count,5} files {corpus.TotalLines,8:N0} lines  planted {corpus.Expected.Count,4} [{counts}]  "
            + (problems.Count == 0 ? "reported exactly as planted" : $"{problems.Count} PROBLEMS"));
        foreach (string p in problems.Take(40))
        {
            log("    " + p);
        }

        return problems.Count == 0;
    }
}
