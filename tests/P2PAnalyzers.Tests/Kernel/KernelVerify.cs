using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// Runs every P2P analyzer over a driver transliterated file by file (probe in one file, callbacks in another, as the
/// kernel splits it) and checks that the diagnostics are exactly the <c>{|P2P00xx:...|}</c> spans: a missed bug site
/// and an unexpected diagnostic both fail. Expectations are the real bug sites, not what the analysis happens to see.
/// A real bug site the analyzers are known to miss is marked <c>{|MissedP2P00xx:...|}</c>, with the reason beside it:
/// it counts as missed in the figures, and the test fails once it is reported, so that the mark is moved.
/// </summary>
internal static class KernelVerify
{
    public const string Usings = """
        using System;
        using System.Collections.Generic;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    /// <summary>Each file gets <see cref="Usings"/> prepended; markup spans are the expected diagnostics.</summary>
    public static async Task RunAsync(params string[] files)
    {
        string test = CallingTest();
        var expected = new List<string>();
        var knownMisses = new List<string>();
        var sources = new List<string>();
        for (int i = 0; i < files.Length; i++)
        {
            TestFileMarkupParser.GetSpans(Usings + files[i], out string source, out ImmutableDictionary<string, ImmutableArray<TextSpan>> spans);
            sources.Add(source);
            foreach (KeyValuePair<string, ImmutableArray<TextSpan>> kv in spans)
            {
                foreach (TextSpan span in kv.Value)
                {
                    if (kv.Key.StartsWith(MissedPrefix, StringComparison.Ordinal))
                    {
                        knownMisses.Add(Key($"Test{i}.cs", span, kv.Key.Substring(MissedPrefix.Length), source));
                    }
                    else
                    {
                        expected.Add(Key($"Test{i}.cs", span, kv.Key, source));
                    }
                }
            }
        }

        var compilation = AllAnalyzers.Compile(sources.ToArray());
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        ImmutableArray<Diagnostic> diagnostics = await AllAnalyzers.RunAsync(compilation);
        var actual = diagnostics
            .Select(d => (Key: Key(Path.GetFileName(d.Location.SourceTree!.FilePath), d.Location.SourceSpan, d.Id, sources[FileIndex(d)]), Message: d.GetMessage()))
            .ToList();

        Log(test, expected.Concat(knownMisses).ToList(), actual.Select(a => a.Key).ToList());
        await KernelFixes.LogAsync(test, sources);
        var missing = expected.Except(actual.Select(a => a.Key), StringComparer.Ordinal).ToList();
        var caughtNow = knownMisses.Intersect(actual.Select(a => a.Key), StringComparer.Ordinal).ToList();
        var extra = actual.Where(a => !expected.Contains(a.Key, StringComparer.Ordinal) && !caughtNow.Contains(a.Key, StringComparer.Ordinal)).ToList();
        if (missing.Count != 0 || extra.Count != 0 || caughtNow.Count != 0)
        {
            Assert.Fail("Missed bug sites:\n  " + string.Join("\n  ", missing)
                + "\nUnexpected diagnostics:\n  " + string.Join("\n  ", extra.Select(e => e.Key + " -- " + e.Message))
                + "\nKnown misses now reported (mark them as expected):\n  " + string.Join("\n  ", caughtNow));
        }
    }

    /// <summary>The markup prefix of a real bug site the analyzers are known to miss: <c>{|MissedP2P0022:...|}</c>.</summary>
    public const string MissedPrefix = "Missed";

    private static int FileIndex(Diagnostic d) =>
        int.Parse(Path.GetFileNameWithoutExtension(d.Location.SourceTree!.FilePath).Substring("Test".Length), System.Globalization.CultureInfo.InvariantCulture);

    private static string Key(string file, TextSpan span, string id, string source) =>
        $"{id} {file}{span} '{source.Substring(span.Start, Math.Min(span.Length, 70)).Replace('\n', ' ')}'";

    // KERNEL_TESTS_LOG=<file>: appends expected and actual sites of each run, to count the sites the analyzers catch.
    private static string CallingTest() => new System.Diagnostics.StackTrace().GetFrames()
        .Select(f => f.GetMethod())
        .OfType<System.Reflection.MethodBase>()
        .Where(m => m.DeclaringType is { } t && t.Namespace == typeof(KernelVerify).Namespace && t != typeof(KernelVerify) && t.DeclaringType != typeof(KernelVerify))
        .Select(m => m.DeclaringType!.Name + "." + m.Name)
        .FirstOrDefault() ?? "?";

    private static void Log(string test, List<string> expected, List<string> actual)
    {
        string? path = Environment.GetEnvironmentVariable("KERNEL_TESTS_LOG");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        lock (typeof(KernelVerify))
        {
            File.AppendAllLines(path, expected.Select(e => $"{test}\tEXPECTED\t{(actual.Contains(e) ? "CAUGHT" : "MISSED")}\t{e}")
                .Concat(actual.Where(a => !expected.Contains(a)).Select(a => $"{test}\tEXTRA\t-\t{a}")));
        }
    }
}
