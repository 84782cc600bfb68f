using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using P2PAnalyzers.Benchmarks.Benchmarks;
using P2PAnalyzers.Benchmarks.Infrastructure;

namespace P2PAnalyzers.Benchmarks;

/// <summary>
/// The full run: verification, then BenchmarkDotNet over every size (monitoring strategy: each iteration is one whole
/// analysis), then per-rule telemetry and the ratio and budget summary, which BenchmarkDotNet's own summary does not
/// compute. Exit code 1: wrong diagnostics; 2: a budget item failed.
/// </summary>
public static class FullMode
{
    /// <summary>The corpus sizes the benchmark classes are parameterised with (read by their ParamsSource).</summary>
    public static IReadOnlyList<int> Sizes { get; private set; } = new[] { 100, 1000, 5000 };

    public static int EditorCorpusSize { get; private set; } = 1000;

    public static int EditorLines { get; private set; } = 2000;

    public static int Run(Options options)
    {
        var total = Stopwatch.StartNew();
        Sizes = options.Sizes;
        EditorCorpusSize = options.EditorCorpusSize;
        EditorLines = options.EditorLines;
        Console.WriteLine($"P2PAnalyzers benchmarks, full mode: sizes {string.Join(", ", Sizes)}; BenchmarkDotNet {options.Warmup} warm-up + {options.Iterations} measured iterations per case");
        Console.WriteLine("Machine: " + Results.Machine());
        if (!Verification.Run(options, Console.WriteLine))
        {
            Console.WriteLine("FAILED: the analyzers did not report exactly what the corpus generator planted (see above).");
            return 1;
        }

        CorpusCompilations.Clear();
        Job job = Job.Default
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(options.Warmup)
            .WithIterationCount(options.Iterations)
            // In-process (the JIT settings apply, nothing to generate and build); a 5,000-file case runs for minutes.
            .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromHours(2), logOutput: true))
            .WithId("Analysis");
        static IConfig Config(Job job) => ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(ConsoleLogger.Default)
            .AddExporter(MarkdownExporter.GitHub)
            .WithOptions(ConfigOptions.DisableLogFile);

        // The editor request takes ~0.1 s: more iterations for the same confidence.
        Job editorJob = job.WithWarmupCount(options.Warmup + 2).WithIterationCount(options.Iterations * 4).WithId("Editor");
        var summaries = new List<Summary>
        {
            BenchmarkRunner.Run<DriverCorpusBenchmarks>(Config(job)),
            BenchmarkRunner.Run<PlainCorpusBenchmarks>(Config(job)),
            BenchmarkRunner.Run<LibraryCorpusBenchmarks>(Config(job)),
            BenchmarkRunner.Run<EditorBenchmarks>(Config(editorJob)),
        };

        Results results = Collect(summaries, options);
        string markdown = results.Markdown("mean");
        Console.WriteLine();
        Console.WriteLine(markdown);
        string path = Path.Combine("BenchmarkDotNet.Artifacts", "p2p-summary.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "Machine: " + Results.Machine() + "\n\n" + markdown);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Full mode done in {total.Elapsed.TotalMinutes:N1} min; summary written to {path}."));
        return results.BudgetHolds ? 0 : 2;
    }

    private static Results Collect(IEnumerable<Summary> summaries, Options options)
    {
        var results = new Results();
        foreach (BenchmarkReport report in summaries.SelectMany(s => s.Reports).Where(r => r.ResultStatistics is not null))
        {
            string type = report.BenchmarkCase.Descriptor.Type.Name;
            string kind = type.StartsWith("Driver", StringComparison.Ordinal) ? "driver" : type.StartsWith("Plain", StringComparison.Ordinal) ? "plain"
                : type.StartsWith("Library", StringComparison.Ordinal) ? "library" : "editor";
            int files = kind == "editor" ? EditorCorpusSize + 1 : (int)report.BenchmarkCase.Parameters["Files"];
            CorpusResult corpus = results.Find(kind, files) ?? Add(results, kind, files);
            corpus.Cases[report.BenchmarkCase.Descriptor.WorkloadMethod.Name] = new CaseResult(
                report.ResultStatistics!.Mean / 1e6, null, report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0);
        }

        foreach (int size in Sizes)
        {
            // Per-rule figures: one warm run, then one with execution-time logging.
            var (corpus, compilation) = CorpusCompilations.Driver(size);
            AnalyzerRuns.Run(compilation, AnalyzerSets.AllP2P, corpus.Expected.Count);
            (results.Find("driver", size) ?? Add(results, "driver", size)).Telemetry = Telemetry.PerRule(compilation, corpus.Expected.Count);
            CorpusCompilations.Clear();
        }

        return results;
    }

    private static CorpusResult Add(Results results, string kind, int files)
    {
        var (lines, expected) = kind switch
        {
            "driver" => (CorpusCompilations.Driver(files).Corpus.TotalLines, CorpusCompilations.Driver(files).Corpus.Expected.Count),
            "plain" => (CorpusCompilations.Plain(files).Corpus.TotalLines, 0),
            "library" => (CorpusCompilations.PlainWithLibrary(files).Corpus.TotalLines, 0),
            _ => (Corpus.DriverCorpus.LargeFile(EditorLines).TotalLines, Corpus.DriverCorpus.LargeFile(EditorLines).Expected.Count),
        };
        var result = new CorpusResult(kind, files, lines, expected);
        results.Corpora.Add(result);
        return result;
    }
}
