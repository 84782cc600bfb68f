using System.Collections.Generic;
using System.Linq;

namespace P2PAnalyzers.Corpus;

/// <summary>One generated source file: a relative path (forward slashes) and its text (LF line endings).</summary>
public sealed record CorpusFile(string Path, string Text);

/// <summary>
/// A diagnostic the generator planted on purpose: the file, the 1-based line the diagnostic starts on, the rule ID and
/// the driver habit it models (the kernel code the template comes from).
/// </summary>
public readonly record struct PlantedDiagnostic(string Path, int Line, string Id, string Habit);

/// <summary>A generated corpus and exactly what the P2P analyzers must report on it (nothing else).</summary>
public sealed class GeneratedCorpus
{
    internal GeneratedCorpus(string name, int seed, IReadOnlyList<CorpusFile> files, IEnumerable<PlantedDiagnostic> expected, bool referencesLibrary)
    {
        Name = name;
        Seed = seed;
        Files = files;
        ReferencesLibrary = referencesLibrary;
        Expected = expected.OrderBy(d => d.Path, System.StringComparer.Ordinal).ThenBy(d => d.Line).ThenBy(d => d.Id, System.StringComparer.Ordinal).ToList();
        var counts = new SortedDictionary<string, int>(System.StringComparer.Ordinal);
        foreach (string id in RuleIds.All)
        {
            counts[id] = 0;
        }

        foreach (PlantedDiagnostic d in Expected)
        {
            counts[d.Id]++;
        }

        ExpectedCounts = counts;
        TotalLines = files.Sum(f => f.Text.Count(c => c == '\n'));
    }

    /// <summary>What was generated, e.g. <c>driver-1000</c>.</summary>
    public string Name { get; }

    /// <summary>The seed it was generated with: the same name, size and seed give the same text.</summary>
    public int Seed { get; }

    /// <summary>The files, in a stable order.</summary>
    public IReadOnlyList<CorpusFile> Files { get; }

    /// <summary>Every planted diagnostic, ordered by path, line and ID.</summary>
    public IReadOnlyList<PlantedDiagnostic> Expected { get; }

    /// <summary>Planted diagnostics per rule ID; every rule ID is present (0 where none was planted).</summary>
    public IReadOnlyDictionary<string, int> ExpectedCounts { get; }

    /// <summary>Total number of lines in all files.</summary>
    public int TotalLines { get; }

    /// <summary>True when the code is written against the companion library (compile it with P2PDma referenced).</summary>
    public bool ReferencesLibrary { get; }
}

/// <summary>The IDs of the rules the corpus plants violations of (kept in step with the analyzers' RuleIdentifiers).</summary>
public static class RuleIds
{
    public static IReadOnlyList<string> All { get; } = new[]
    {
        "P2P0001", "P2P0002", "P2P0003", "P2P0004", "P2P0010", "P2P0011", "P2P0012", "P2P0013", "P2P0014", "P2P0020", "P2P0021", "P2P0022", "P2P0023", "P2P0024",
    };
}
