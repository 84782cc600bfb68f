using System.Globalization;
using System.IO;
using System.Text;
using P2PAnalyzers.Robustness.Infrastructure;

namespace P2PAnalyzers.Robustness.Fixes;

/// <summary>
/// The offered-fix rate of the fix matrix, per rule that has a fix: diagnostics, diagnostics with at least one fix
/// offered, and the rate. Soundness says the fixes that are offered are right; this says how often one is offered.
/// In CI mode the table is compared with the checked-in <c>Fixes/offered-fixes.txt</c> (counts only, sorted by rule:
/// deterministic, since the corpus is seeded and counts are sums), so a fix that stops or starts being offered shows
/// as a diff to review, as the ruling does for diagnostics; <c>P2P_UPDATE_RULING=1</c> rewrites it.
/// </summary>
internal static class OfferedFixes
{
    public const string Header = """
        # Offered-fix rate of the fix matrix (FixSoundnessTests, CI mode: the samples and DriverCorpus.Generate(121, seed: 3), one file at a time).
        # rule<TAB>diagnostics<TAB>with a fix offered<TAB>rate. Rules without a fix are not listed. Rewrite after an intended change with
        #   P2P_UPDATE_RULING=1 dotnet test tests/P2PAnalyzers.Robustness -c Release --filter FullyQualifiedName~FixSoundness
        # and review the diff; the diagnostics without a fix are listed in bin/Release/net10.0/robustness-results/FixSoundnessTests.CI.notes.txt.
        """;

    public static string ExpectedPath => Path.Combine(Mode.RepositoryRoot, "tests", "P2PAnalyzers.Robustness", "Fixes", "offered-fixes.txt");

    /// <summary>One line per rule that has a fix, sorted by rule, from the matrix's counts.</summary>
    public static List<string> Table(Findings findings)
    {
        var lines = new List<string>();
        long allDiagnostics = 0;
        long allOffered = 0;
        foreach (string id in Products.Fixers.SelectMany(f => f.FixableDiagnosticIds).Distinct().OrderBy(i => i, StringComparer.Ordinal))
        {
            long offered = findings[$"diagnostics {id} with a fix"];
            long diagnostics = offered + findings[$"diagnostics {id} without a fix"];
            allDiagnostics += diagnostics;
            allOffered += offered;
            lines.Add(Line(id, diagnostics, offered));
        }

        lines.Add(Line("all", allDiagnostics, allOffered));
        return lines;
    }

    /// <summary>In CI mode: the table equals the checked-in one (or rewrites it under P2P_UPDATE_RULING=1); a diff otherwise.</summary>
    public static string? CompareWithCheckedIn(IReadOnlyList<string> table)
    {
        if (Mode.Long)
        {
            return null;
        }

        if (Environment.GetEnvironmentVariable("P2P_UPDATE_RULING") == "1")
        {
            File.WriteAllText(ExpectedPath, Header.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n" + string.Join("\n", table) + "\n", new UTF8Encoding(false));
            return null;
        }

        List<string> expected = File.Exists(ExpectedPath) ? File.ReadAllLines(ExpectedPath).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList() : new List<string>();
        if (expected.SequenceEqual(table, StringComparer.Ordinal))
        {
            return null;
        }

        return $"The offered-fix rates differ from {ExpectedPath}. If the change is intended, rerun with P2P_UPDATE_RULING=1 and review the file's diff.\n"
            + string.Join("\n", expected.Except(table, StringComparer.Ordinal).Select(l => "- " + l).Concat(table.Except(expected, StringComparer.Ordinal).Select(l => "+ " + l)));
    }

    private static string Line(string id, long diagnostics, long offered) => string.Create(CultureInfo.InvariantCulture,
        $"{id}\t{diagnostics}\t{offered}\t{(diagnostics == 0 ? "-" : (100.0 * offered / diagnostics).ToString("F0", CultureInfo.InvariantCulture) + "%")}");
}
