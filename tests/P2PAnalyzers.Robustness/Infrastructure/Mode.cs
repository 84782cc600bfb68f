using System.Reflection;
using System.Runtime.CompilerServices;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Robustness.Infrastructure;

/// <summary>
/// CI mode (the default) or long mode (<c>P2P_ROBUSTNESS_LONG=1</c>): long mode multiplies every count by
/// <see cref="Scale"/> and uses bigger corpora. Seeds are fixed in both modes, so a failure reproduces exactly.
/// </summary>
internal static class Mode
{
    public static bool Long { get; } = Environment.GetEnvironmentVariable("P2P_ROBUSTNESS_LONG") == "1";

    /// <summary>How much more long mode does than CI mode.</summary>
    public static int Scale => Long ? 10 : 1;

    public static string Name => Long ? "long" : "CI";

    /// <summary>The repository checkout the suite was built from (samples, src/ and the ruling file are read from there).</summary>
    public static string RepositoryRoot { get; } = typeof(Mode).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>
    /// The analyzers swallow their own exceptions in users' builds (<see cref="AnalysisGuard"/>), and the fixes decline
    /// instead of throwing; here every such exception must surface, before any test runs.
    /// </summary>
    [ModuleInitializer]
    internal static void SurfaceSwallowedExceptions() => AnalysisGuard.Rethrow = true;
}
