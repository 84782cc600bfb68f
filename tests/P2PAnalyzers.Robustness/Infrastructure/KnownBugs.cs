namespace P2PAnalyzers.Robustness.Infrastructure;

/// <summary>
/// Product defects the fuzzers found that are reported to their owners but not fixed yet. A fuzzer tolerates an exception
/// matching one of them: counted and printed in its summary, never silently; <c>P2P_ROBUSTNESS_STRICT=1</c> fails on them
/// too. Every entry has a repro in Regressions/ that asserts the defect while it stands and fails once it is fixed, saying
/// to delete the entry (and to turn the repro into a "no exception" regression test).
/// Fixed so far: LocalFunctionOutOfScope (analyzers, fixed in 0d4b71e; Regressions/AnalyzerRegressionTests) and
/// BarInTheLastPageBehindAnIommu (library; Regressions/TopologyLoaderRegressionTests).
/// </summary>
internal static class KnownBugs
{
    public static IReadOnlyList<KnownBug> All { get; } = Array.Empty<KnownBug>();

    public static bool Strict { get; } = Environment.GetEnvironmentVariable("P2P_ROBUSTNESS_STRICT") == "1";

    /// <summary>The known bug an exception is, if any (never in strict mode).</summary>
    public static KnownBug? Match(string exception) => Strict ? null : All.FirstOrDefault(b => b.Matches(exception));
}

/// <summary>A known bug: an exception is it when its text (type, message, stack) contains every part of the signature.</summary>
internal sealed record KnownBug(string Id, string Component, IReadOnlyList<string> Signature, string Summary)
{
    public bool Matches(string exception) => Signature.All(part => exception.Contains(part, StringComparison.Ordinal));
}
