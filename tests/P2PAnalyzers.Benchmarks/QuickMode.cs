using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using P2PAnalyzers.Benchmarks.Infrastructure;
using P2PAnalyzers.Corpus;

namespace P2PAnalyzers.Benchmarks;

/// <summary>
/// CI's mode: verify the corpora (exit 1 when a diagnostic is missing or extra), then time every case with a Stopwatch
/// and print the tables and the budget verdicts without failing on time (CI machines are noisy).
/// </summary>
public static class QuickMode
{
    public static int Run(Options options)
    {
        var total = Stopwatch.StartNew();
        Console.WriteLine($"P2PAnalyzers benchmarks, quick mode: sizes {string.Join(", ", options.Sizes)}; {options.Warmup} warm-up + {options.Iterations} measured runs per case (median)");
        Console.WriteLine("Machine: " + Results.Machine());
        Console.WriteLine();
        if (!options.NoVerify && !Verification.Run(options, Console.WriteLine))
        {
            Console.WriteLine();
            Console.WriteLine("FAILED: the analyzers did not report exactly what the corpus generator planted (see above).");
            return 1;
        }

        var results = new Results();
        try
        {
            foreach (int size in options.Sizes)
            {
                if (options.Includes("driver"))
                {
                    results.Corpora.Add(Driver(size, options));
                }

                if (options.Includes("plain"))
                {
                    results.Corpora.Add(Plain(size, options));
                }

                if (options.Includes("library"))
                {
                    results.Corpora.Add(Library(size, options));
                }
            }

            if (options.Includes("editor"))
            {
                results.Corpora.Add(Editor(options));
            }
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine("FAILED: " + e.Message);
            return 1;
        }

        Console.WriteLine();
        Console.WriteLine(results.Markdown("median"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Quick mode done in {total.Elapsed.TotalSeconds:N0} s. Times are informational here; only wrong diagnostic counts fail this mode."));
        return 0;
    }

    /// <summary>The all-rules case, repeated, for a profiler; prints each run's time.</summary>
    public static int Profile(Options options)
    {
        var (corpus, compilation) = CorpusCompilations.Driver(options.Sizes[0]);
        string which = options.Rest.Count > 0 ? options.Rest[0] : Cases.AllP2P;
        var analyzers = which == Cases.EmptyOperation ? AnalyzerSets.EmptyOperation : which == Cases.Empty ? AnalyzerSets.Empty
            : which.StartsWith(Cases.RulePrefix, StringComparison.Ordinal) ? AnalyzerSets.Rule(which.Substring(Cases.RulePrefix.Length)) : AnalyzerSets.AllP2P;
        int expected = analyzers == AnalyzerSets.AllP2P ? corpus.Expected.Count
            : which.StartsWith(Cases.RulePrefix, StringComparison.Ordinal) ? corpus.ExpectedCounts[which.Substring(Cases.RulePrefix.Length)] : 0;
        // The whole-program solve alone, on a copy of the compilation (cold: it binds the bodies it reads, and JIT-compiles).
        var solve = Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();
        P2PAnalyzers.Analysis.ProgramSummary summary = P2PAnalyzers.Analysis.KnownSymbols.TryGet(compilation.Clone())!.Program;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"whole-program solve on {corpus.Name}: {solve.Elapsed.TotalMilliseconds:N0} ms cold, {(GC.GetAllocatedBytesForCurrentThread() - before) / 1e6:N1} MB allocated (binding included), {summary.Bodies:N0} bodies, {summary.Analyses:N0} body analyses"));
        for (int i = 0; i < options.Profile; i++)
        {
            var sw = Stopwatch.StartNew();
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            TimeSpan paused = GC.GetTotalPauseDuration();
            TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
            int[] collections = { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) };
            AnalyzerRuns.Run(compilation, analyzers, expected);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{which} on {corpus.Name}: {sw.Elapsed.TotalMilliseconds:N0} ms, CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:N0} ms, {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1e6:N1} MB allocated, GC paused {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:N0} ms in {GC.CollectionCount(0) - collections[0]}/{GC.CollectionCount(1) - collections[1]}/{GC.CollectionCount(2) - collections[2]} gen0/1/2 collections"));
        }

        return 0;
    }

    private static CorpusResult Driver(int size, Options options)
    {
        var (corpus, compilation) = CorpusCompilations.Driver(size);
        int expected = corpus.Expected.Count;
        var cases = new List<(string, Action)>
        {
            (Cases.Empty, () => AnalyzerRuns.Run(compilation, AnalyzerSets.Empty, 0)),
            (Cases.EmptyOperation, () => AnalyzerRuns.Run(compilation, AnalyzerSets.EmptyOperation, 0)),
            (Cases.EmptyRuleShaped, () => AnalyzerRuns.Run(compilation, AnalyzerSets.EmptyRuleShaped, 0)),
            (Cases.BindAhead, () => AnalyzerRuns.Run(compilation, AnalyzerSets.BindAhead, 0)),
            (Cases.AllP2P, () => AnalyzerRuns.Run(compilation, AnalyzerSets.AllP2P, expected)),
        };
        if (options.PerRule && size <= 1000)
        {
            foreach (string id in RuleIds.All)
            {
                int count = corpus.ExpectedCounts[id];
                cases.Add((Cases.RulePrefix + id, () => AnalyzerRuns.Run(compilation, AnalyzerSets.Rule(id), count)));
            }
        }

        CorpusResult result = Measured("driver", size, corpus, cases, options);
        result.Telemetry = Telemetry.PerRule(compilation, expected);
        return result;
    }

    private static CorpusResult Plain(int size, Options options)
    {
        var (corpus, compilation) = CorpusCompilations.Plain(size);
        return Measured("plain", size, corpus, new List<(string, Action)>
        {
            (Cases.Empty, () => AnalyzerRuns.Run(compilation, AnalyzerSets.Empty, 0)),
            (Cases.AllP2P, () => AnalyzerRuns.Run(compilation, AnalyzerSets.AllP2P, 0)),
        }, options);
    }

    /// <summary>
    /// Ordinary C# with the library referenced: measured with three times the repetitions, since the difference to tell
    /// (the budget is 1.05x) is smaller than one run's noise.
    /// </summary>
    private static CorpusResult Library(int size, Options options)
    {
        var (corpus, compilation) = CorpusCompilations.PlainWithLibrary(size);
        var cases = new List<(string, Func<Action>)>
        {
            (Cases.Empty, () => () => AnalyzerRuns.Run(compilation, AnalyzerSets.Empty, 0)),
            (Cases.EmptyOperation, () => () => AnalyzerRuns.Run(compilation, AnalyzerSets.EmptyOperation, 0)),
            (Cases.AllP2P, () => () => AnalyzerRuns.Run(compilation, AnalyzerSets.AllP2P, 0)),
        };
        var result = new CorpusResult("library", size, corpus.TotalLines, 0);
        foreach (Measurement m in Measure.Interleaved(cases, options.Warmup, options.Iterations * 3))
        {
            result.Cases[m.Name] = new CaseResult(m.Median, m.CpuMedian, m.AllocatedBytes);
        }

        Console.WriteLine($"measured library-{size}");
        return result;
    }

    private static CorpusResult Editor(Options options)
    {
        var editor = CorpusCompilations.Editor(options.EditorCorpusSize, options.EditorLines);
        int expected = editor.Large.Expected.Count;
        Func<Action> Case(System.Collections.Immutable.ImmutableArray<Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer> analyzers, int count) => () =>
        {
            var (cwa, model) = AnalyzerRuns.PrepareDocument(editor.Compilation, editor.Document, analyzers);
            return () => AnalyzerRuns.DocumentSemanticDiagnostics(cwa, model, count);
        };
        int edits = 0;
        Func<Action> AfterEdit(System.Collections.Immutable.ImmutableArray<Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer> analyzers, int count) => () =>
        {
            // A new compilation with another driver file edited, declarations bound (unmeasured), as the editor has it.
            var (cwa, model) = AnalyzerRuns.PrepareDocument(CorpusCompilations.EditedElsewhere(editor.Compilation, editor.Document, ++edits), editor.Document, analyzers);
            return () => AnalyzerRuns.DocumentSemanticDiagnostics(cwa, model, count);
        };
        var cases = new List<(string, Func<Action>)>
        {
            (Cases.Empty, Case(AnalyzerSets.Empty, 0)),
            (Cases.EmptyOperation, Case(AnalyzerSets.EmptyOperation, 0)),
            (Cases.AllP2P, Case(AnalyzerSets.AllP2P, expected)),
            (Cases.EmptyOperationAfterEdit, AfterEdit(AnalyzerSets.EmptyOperation, 0)),
            (Cases.AllP2PAfterEdit, AfterEdit(AnalyzerSets.AllP2P, expected)),
        };
        if (options.PerRule)
        {
            // Each rule alone on the same document shows which one a change in the editor figure comes from.
            foreach (string id in RuleIds.All)
            {
                cases.Add((Cases.RulePrefix + id, Case(AnalyzerSets.Rule(id), editor.Large.ExpectedCounts[id])));
            }
        }

        var result = new CorpusResult("editor", options.EditorCorpusSize + 1, editor.Large.TotalLines, expected);
        foreach (Measurement m in Measure.Interleaved(cases, options.Warmup + 2, options.Iterations * 3))
        {
            result.Cases[m.Name] = new CaseResult(m.Median, m.CpuMedian, m.AllocatedBytes);
        }

        Console.WriteLine($"measured editor document ({editor.Large.TotalLines} lines)");
        return result;
    }

    private static CorpusResult Measured(string kind, int size, GeneratedCorpus corpus, List<(string, Action)> cases, Options options)
    {
        var result = new CorpusResult(kind, size, corpus.TotalLines, corpus.Expected.Count);
        var sw = Stopwatch.StartNew();
        foreach (Measurement m in Measure.Interleaved(cases, options.Warmup, options.Iterations))
        {
            result.Cases[m.Name] = new CaseResult(m.Median, m.CpuMedian, m.AllocatedBytes);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"measured {corpus.Name} in {sw.Elapsed.TotalSeconds:N0} s"));
        return result;
    }
}
