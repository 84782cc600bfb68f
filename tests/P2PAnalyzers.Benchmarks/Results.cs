using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using P2PAnalyzers.Benchmarks.Infrastructure;

namespace P2PAnalyzers.Benchmarks;

/// <summary>The names of the measured cases, shared by the quick mode and the BenchmarkDotNet classes.</summary>
public static class Cases
{
    public const string Empty = "EmptyAnalyzer";
    public const string EmptyOperation = "EmptyOperationAnalyzer";
    public const string AllP2P = "AllP2PAnalyzers";
    public const string EmptyRuleShaped = "EmptyRuleShapedAnalyzers";
    public const string BindAhead = "BindAheadAnalyzer";
    public const string EmptyOperationAfterEdit = "EmptyOperationAnalyzerAfterEdit";
    public const string AllP2PAfterEdit = "AllP2PAnalyzersAfterEdit";
    public const string RulePrefix = "Rule_";
}

/// <summary>One measured case: wall time, processor time (all threads) and bytes allocated per run.</summary>
public sealed record CaseResult(double Milliseconds, double? CpuMilliseconds, long AllocatedBytes);

/// <summary>What one corpus measured: the cases by name, and per-rule telemetry of the all-rules run.</summary>
public sealed class CorpusResult
{
    public CorpusResult(string kind, int files, int lines, int expected)
    {
        Kind = kind;
        Files = files;
        Lines = lines;
        Expected = expected;
    }

    public string Kind { get; }

    public int Files { get; }

    public int Lines { get; }

    public int Expected { get; }

    public Dictionary<string, CaseResult> Cases { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<RuleTelemetry> Telemetry { get; set; } = Array.Empty<RuleTelemetry>();

    public double? Ratio(string numerator, string denominator) =>
        Cases.TryGetValue(numerator, out CaseResult? n) && Cases.TryGetValue(denominator, out CaseResult? d) && d.Milliseconds > 0
            ? n.Milliseconds / d.Milliseconds : null;

    public double? CpuRatio(string numerator, string denominator) =>
        Cases.TryGetValue(numerator, out CaseResult? n) && Cases.TryGetValue(denominator, out CaseResult? d) && n.CpuMilliseconds is double nc && d.CpuMilliseconds is double dc && dc > 0
            ? nc / dc : null;
}

/// <summary>All figures of a run, printed as Markdown tables with the budget verdicts.</summary>
public sealed class Results
{
    public const double OperationFloorBudget = 1.10;
    public const double PlainBudget = 1.02;
    public const double GrowthBudget = 5.5;
    public const double EditorBudgetMs = 100;

    /// <summary>Library referenced, no DMA code: the analyzers register and pay per operation.</summary>
    public const double LibraryBudget = 1.05;

    public List<CorpusResult> Corpora { get; } = new();

    public CorpusResult? Find(string kind, int files) => Corpora.FirstOrDefault(c => c.Kind == kind && c.Files == files);

    public static string Machine()
    {
        string cpu = "unknown CPU";
        try
        {
            string? model = System.IO.File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (model is not null)
            {
                cpu = model.Substring(model.IndexOf(':') + 1).Trim();
            }
        }
        catch (System.IO.IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return $"{cpu}, {Environment.ProcessorCount} cores, {memory / (1L << 30)} GiB; {RuntimeInformation.OSDescription.Trim()}; "
            + $".NET {Environment.Version}; Roslyn {typeof(Microsoft.CodeAnalysis.Compilation).Assembly.GetName().Version}; "
            + $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC";
    }

    public string Markdown(string timeLabel)
    {
        var sb = new StringBuilder();
        foreach (CorpusResult c in Corpora.OrderBy(c => c.Kind, StringComparer.Ordinal).ThenBy(c => c.Files))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"### {Title(c)}");
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"| case | {timeLabel} wall (ms) | / empty | / empty operation | CPU (ms) | CPU / empty | CPU / empty operation | allocated (MB) |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var (name, r) in c.Cases.OrderBy(kv => Order(kv.Key)).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)))
            {
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {Label(name)} | {r.Milliseconds:N1} | {Cell(c.Ratio(name, Cases.Empty))} | {Cell(c.Ratio(name, Cases.EmptyOperation))} | {(r.CpuMilliseconds is double cpu ? cpu.ToString("N0", CultureInfo.InvariantCulture) : "")} | {Cell(c.CpuRatio(name, Cases.Empty))} | {Cell(c.CpuRatio(name, Cases.EmptyOperation))} | {r.AllocatedBytes / 1e6:N1} |");
            }

            if (c.Telemetry.Count > 0)
            {
                double total = c.Telemetry.Sum(t => t.ExecutionTime.TotalMilliseconds);
                sb.AppendLine();
                sb.AppendLine("Per rule, from analyzer telemetry of one all-rules run (callback time summed over threads):");
                sb.AppendLine();
                sb.AppendLine("| rule | execution time (ms) | share | diagnostics |");
                sb.AppendLine("|---|---:|---:|---:|");
                foreach (RuleTelemetry t in c.Telemetry)
                {
                    sb.AppendLine(CultureInfo.InvariantCulture,
                        $"| {t.Id} | {t.ExecutionTime.TotalMilliseconds:N1} | {(total > 0 ? t.ExecutionTime.TotalMilliseconds / total : 0):P0} | {t.Diagnostics} |");
                }

                sb.AppendLine(CultureInfo.InvariantCulture, $"| all | {total:N1} | 100% | {c.Telemetry.Sum(t => t.Diagnostics)} |");
            }

            sb.AppendLine();
        }

        sb.AppendLine("### Budget");
        sb.AppendLine();
        foreach (string line in BudgetLines())
        {
            sb.AppendLine("- " + line);
        }

        return sb.ToString();
    }

    /// <summary>The budget items that could be checked with what was measured, each with its verdict.</summary>
    public IEnumerable<string> BudgetLines() => Budget().Select(b => $"{(b.Holds is null ? "n/a " : b.Holds.Value ? "PASS" : "FAIL")} {b.Text}");

    public bool BudgetHolds => Budget().All(b => b.Holds != false);

    /// <summary>
    /// The budget items. Where processor time was measured (quick mode), verdicts use it: it is the work a case does,
    /// summed over threads, and other load on a shared 2-core machine disturbs it far less than wall time. Otherwise
    /// (BenchmarkDotNet's means) they use wall time. Both are printed where both exist.
    /// </summary>
    private IEnumerable<(bool? Holds, string Text)> Budget()
    {
        // The budget is set at 1,000 files; a quick run on smaller corpora shows the same ratios there, as an indication.
        CorpusResult? driver1000 = Find("driver", 1000) ?? Largest("driver");
        (double? opCpu, double? opWall) = (driver1000?.CpuRatio(Cases.AllP2P, Cases.EmptyOperation), driver1000?.Ratio(Cases.AllP2P, Cases.EmptyOperation));
        yield return (Verdict(opCpu ?? opWall, OperationFloorBudget, driver1000),
            $"all P2P analyzers / empty operation analyzer, driver corpus {Size(driver1000)}: {Both(opCpu, opWall, Format)} (budget {OperationFloorBudget:0.00}x at 1,000 files)");
        CorpusResult? plain1000 = Find("plain", 1000) ?? Largest("plain");
        (double? plainCpu, double? plainWall) = (plain1000?.CpuRatio(Cases.AllP2P, Cases.Empty), plain1000?.Ratio(Cases.AllP2P, Cases.Empty));
        yield return (Verdict(plainCpu ?? plainWall, PlainBudget, plain1000),
            $"all P2P analyzers / empty analyzer, plain corpus {Size(plain1000)} (no library): {Both(plainCpu, plainWall, Format)} (budget {PlainBudget:0.00}x at 1,000 files)");
        CorpusResult? library1000 = Find("library", 1000) ?? Largest("library");
        (double? libCpu, double? libWall) = (library1000?.CpuRatio(Cases.AllP2P, Cases.EmptyOperation), library1000?.Ratio(Cases.AllP2P, Cases.EmptyOperation));
        yield return (Verdict(libCpu ?? libWall, LibraryBudget, library1000),
            $"all P2P analyzers / empty operation analyzer, library referenced but no DMA code, {Size(library1000)}: {Both(libCpu, libWall, Format)} (budget {LibraryBudget:0.00}x at 1,000 files)");
        CaseResult? at1000 = driver1000?.Cases.GetValueOrDefault(Cases.AllP2P);
        CaseResult? at5000 = Find("driver", 5000)?.Cases.GetValueOrDefault(Cases.AllP2P);
        double? growthCpu = at1000?.CpuMilliseconds is double c1 && at5000?.CpuMilliseconds is double c5 ? c5 / c1 : null;
        double? growthWall = at1000 is null || at5000 is null ? null : at5000.Milliseconds / at1000.Milliseconds;
        yield return (Verdict(growthCpu ?? growthWall, GrowthBudget),
            $"growth of all-P2P analysis from 1,000 to 5,000 files: {Both(growthCpu, growthWall, Format)} (budget {GrowthBudget:0.0}x)");
        CaseResult? editor = Corpora.FirstOrDefault(c => c.Kind == "editor")?.Cases.GetValueOrDefault(Cases.AllP2P);
        double? editorMs = editor?.CpuMilliseconds ?? editor?.Milliseconds;
        yield return (editorMs is null ? null : editorMs < EditorBudgetMs,
            $"semantic diagnostics of the 2,000-line driver file with all P2P analyzers: {Both(editor?.CpuMilliseconds, editor?.Milliseconds, Ms)} (budget < {EditorBudgetMs:N0} ms)");
        CaseResult? edited = Corpora.FirstOrDefault(c => c.Kind == "editor")?.Cases.GetValueOrDefault(Cases.AllP2PAfterEdit);
        double? editedMs = edited?.CpuMilliseconds ?? edited?.Milliseconds;
        yield return (editedMs is null ? null : editedMs < EditorBudgetMs,
            $"the same right after an edit to another driver file of the compilation: {Both(edited?.CpuMilliseconds, edited?.Milliseconds, Ms)} (budget < {EditorBudgetMs:N0} ms)");
    }

    private static bool? Verdict(double? ratio, double budget) => ratio is null ? null : ratio <= budget;

    // Indicative only (n/a) when measured at another size than the budget's 1,000 files.
    private static bool? Verdict(double? ratio, double budget, CorpusResult? corpus) => corpus?.Files == 1000 ? Verdict(ratio, budget) : null;

    private CorpusResult? Largest(string kind) => Corpora.Where(c => c.Kind == kind && c.Files < 1000).OrderByDescending(c => c.Files).FirstOrDefault();

    private static string Size(CorpusResult? corpus) => corpus is null ? "1,000 files" : corpus.Files.ToString("N0", CultureInfo.InvariantCulture) + " files";

    private static string Both(double? cpu, double? wall, Func<double?, string> format) =>
        cpu is null ? $"wall {format(wall)}" : $"CPU {format(cpu)}, wall {format(wall)}";

    private static string Ms(double? ms) => ms is null ? "n/a" : ms.Value.ToString("N1", CultureInfo.InvariantCulture) + " ms";

    private static string Title(CorpusResult c) => c.Kind switch
    {
        "driver" => $"Driver corpus, {c.Files:N0} files ({c.Lines:N0} lines, {c.Expected} planted diagnostics)",
        "plain" => $"Plain corpus (no library), {c.Files:N0} files ({c.Lines:N0} lines)",
        "library" => $"Plain corpus with the library referenced (no DMA code), {c.Files:N0} files ({c.Lines:N0} lines)",
        _ => $"Editor: one {c.Lines:N0}-line driver file ({c.Expected} planted diagnostics) in a {c.Files:N0}-file compilation",
    };

    private static int Order(string name) => name switch
    {
        Cases.Empty => 0,
        Cases.EmptyOperation => 1,
        Cases.EmptyRuleShaped => 2,
        Cases.BindAhead => 3,
        Cases.AllP2P => 4,
        Cases.EmptyOperationAfterEdit => 5,
        Cases.AllP2PAfterEdit => 6,
        _ => 5,
    };

    private static string Label(string name) => name switch
    {
        Cases.Empty => "empty analyzer (compilation start)",
        Cases.EmptyOperation => "empty operation analyzer (invocation)",
        Cases.EmptyRuleShaped => "one no-op analyzer per rule, with its operation kinds",
        Cases.BindAhead => "the design's floor: the bodies the summary collects bound and graphed, nothing evaluated",
        Cases.AllP2P => "**all P2P analyzers**",
        Cases.EmptyOperationAfterEdit => "empty operation analyzer, after an edit to another file",
        Cases.AllP2PAfterEdit => "**all P2P analyzers, after an edit to another file**",
        _ when name.StartsWith(Cases.RulePrefix, StringComparison.Ordinal) => name.Substring(Cases.RulePrefix.Length) + " alone",
        _ => name,
    };

    private static string Cell(double? ratio) => ratio is null ? "" : Format(ratio);

    private static string Format(double? ratio) => ratio is null ? "n/a" : ratio.Value.ToString("0.000", CultureInfo.InvariantCulture) + "x";
}
