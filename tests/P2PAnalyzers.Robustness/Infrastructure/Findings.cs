using System.Collections.Concurrent;
using System.IO;
using System.Text;
using Xunit.Abstractions;

namespace P2PAnalyzers.Robustness.Infrastructure;

/// <summary>
/// Counts and failures of one test, collected from many threads. A failure keeps the source that shows it, written to a
/// repro file on disk; the test fails once at the end listing them all, so one run shows every problem.
/// </summary>
internal sealed class Findings
{
    private readonly ConcurrentDictionary<string, long> _counts;
    private readonly ConcurrentQueue<(string Kind, string Where, string Detail, string? Source)> _failures;
    private readonly ConcurrentDictionary<string, long> _ticks;
    private readonly ConcurrentQueue<string> _notes;
    private readonly string _test;
    private readonly string _prefix;

    public Findings(string test)
        : this(test, "", new(StringComparer.Ordinal), new(), new(StringComparer.Ordinal), new())
    {
    }

    private Findings(string test, string prefix, ConcurrentDictionary<string, long> counts,
        ConcurrentQueue<(string, string, string, string?)> failures, ConcurrentDictionary<string, long> ticks, ConcurrentQueue<string> notes)
    {
        _test = test;
        _prefix = prefix;
        _counts = counts;
        _failures = failures;
        _ticks = ticks;
        _notes = notes;
    }

    /// <summary>The same findings, with every count and failure kind recorded under <paramref name="prefix"/>.</summary>
    public Findings Scoped(string prefix) => new(_test, _prefix + prefix, _counts, _failures, _ticks, _notes);

    /// <summary>
    /// Something worth a look that is not a failure (a diagnostic whose rule has a fix but got none here): written,
    /// sorted, to <c>robustness-results/&lt;Test&gt;.&lt;mode&gt;.notes.txt</c>.
    /// </summary>
    public void Note(string kind, string where) => _notes.Enqueue($"{_prefix}{kind}\t{where}");

    /// <summary>The notes, sorted (threads add them in any order).</summary>
    public IReadOnlyList<string> Notes => _notes.OrderBy(n => n, StringComparer.Ordinal).ToList();

    public void Count(string what, long by = 1) => _counts.AddOrUpdate(_prefix + what, by, (_, n) => n + by);

    /// <summary>Where the time goes (summed over threads; informational, never asserted).</summary>
    public async Task<T> TimeAsync<T>(string what, Func<Task<T>> action)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return await action().ConfigureAwait(false);
        }
        finally
        {
            long elapsed = System.Diagnostics.Stopwatch.GetTimestamp() - start;
            _ticks.AddOrUpdate(what, elapsed, (_, n) => n + elapsed);
        }
    }

    public long this[string what] => _counts.GetValueOrDefault(_prefix + what);

    public int FailureCount => _failures.Count;

    public void Fail(string kind, string where, string detail, string? source = null)
    {
        _failures.Enqueue((_prefix + kind, where, detail, source));
        Count("failures: " + kind);
    }

    /// <summary>Runs a product call; an exception is recorded as a failure of <paramref name="kind"/> instead of stopping the run.</summary>
    public async Task<T?> GuardAsync<T>(string kind, string where, string? source, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            Fail(kind + " (did not finish: hang?)", where, e.ToString(), source);
            return default;
        }
#pragma warning disable CA1031 // Any exception from the product is the finding.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail(kind, where, e.ToString(), source);
            return default;
        }
    }

    /// <summary>Writes the counts to the test output and fails the test if anything failed.</summary>
    public void Report(ITestOutputHelper output, TimeSpan elapsed)
    {
        string summary = Summary(elapsed);
        output.WriteLine(summary);
        string dir = Path.Combine(AppContext.BaseDirectory, "robustness-results");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, $"{_test}.{Mode.Name}.txt"), summary);
        File.WriteAllLines(Path.Combine(dir, $"{_test}.{Mode.Name}.notes.txt"), Notes);
        string repro = Path.Combine(Path.GetTempPath(), "p2p-robustness", _test);
        if (Directory.Exists(repro))
        {
            Directory.Delete(repro, recursive: true);
        }

        if (_failures.IsEmpty)
        {
            return;
        }

        Directory.CreateDirectory(repro);
        var message = new StringBuilder($"{_failures.Count} failure(s); sources of each are in {repro}\n");
        int n = 0;
        foreach ((string kind, string where, string detail, string? source) in _failures)
        {
            n++;
            if (source is not null && n <= 200)
            {
                // Lenient UTF-8: fuzzed text may hold lone surrogates.
                File.WriteAllText(Path.Combine(repro, $"{n:D4}.cs.txt"), $"// {kind}\n// {where}\n/*\n{detail}\n*/\n{source}", new UTF8Encoding(false, false));
            }

            if (n <= 15)
            {
                message.Append($"\n#{n} {kind} at {where}\n{Shorten(detail)}\n");
            }
        }

        output.WriteLine(message.ToString());
        Assert.Fail(message.ToString());
    }

    public string Summary(TimeSpan elapsed)
    {
        var text = new StringBuilder($"{_test} ({Mode.Name} mode, {elapsed.TotalSeconds:F1} s)\n");
        foreach (KeyValuePair<string, long> count in _counts.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            text.Append($"  {count.Key}: {count.Value}\n");
        }

        text.Append($"  failures: {_failures.Count}\n");
        foreach (KeyValuePair<string, long> time in _ticks.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            text.Append($"  time in {time.Key} (summed over threads): {(double)time.Value / System.Diagnostics.Stopwatch.Frequency:F1} s\n");
        }

        return text.ToString();
    }

    private static string Shorten(string detail) => detail.Length <= 3000 ? detail : detail.Substring(0, 3000) + " ...";
}
