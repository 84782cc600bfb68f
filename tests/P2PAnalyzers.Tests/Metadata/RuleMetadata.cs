using System.IO;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Tests.Metadata;

/// <summary>
/// Everything derived from the descriptors: the severity presets, the README rule table and the release-tracking
/// table. The descriptors are the one source; these texts are generated from them and checked in.
/// </summary>
internal static class RuleMetadata
{
    public static IReadOnlyList<DiagnosticDescriptor> Descriptors { get; } = typeof(P2PAnalyzers.Descriptors)
        .GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
        .OrderBy(d => d.Id, System.StringComparer.Ordinal)
        .ToList();

    public static readonly string[] Modes = { "Default", "Strict", "None" };

    public static string RepositoryRoot { get; } = FindRoot();

    public static string Preset(string mode)
    {
        var text = new StringBuilder();
        text.Append("# Generated from the rule descriptors by tests/P2PAnalyzers.Tests/Metadata; do not edit by hand.\n");
        text.Append($"# P2PAnalysisMode={mode}: {Describe(mode)}\n");
        text.Append("is_global = true\n");
        text.Append("# Below a project's own global configs (level 100) and .editorconfig files, so that theirs win.\n");
        text.Append("global_level = -1\n\n");
        foreach (DiagnosticDescriptor d in Descriptors)
        {
            text.Append($"# {d.Id}: {d.Title}\n");
            text.Append($"dotnet_diagnostic.{d.Id}.severity = {Severity(mode, d)}\n");
        }

        return text.ToString();
    }

    public static string ReadmeTable()
    {
        var text = new StringBuilder();
        text.Append("| ID | Title | Default | Fix |\n");
        text.Append("|----|-------|---------|-----|\n");
        foreach (DiagnosticDescriptor d in Descriptors)
        {
            string fix = HasFix(d.Id) ? "yes" : "no";
            text.Append($"| [{d.Id}](docs/rules/{d.Id}.md) | {d.Title} | {d.DefaultSeverity} | {fix} |\n");
        }

        return text.ToString();
    }

    public static string ReleaseTable()
    {
        var text = new StringBuilder();
        text.Append("Rule ID | Category | Severity | Notes\n");
        text.Append("--------|----------|----------|-------\n");
        foreach (DiagnosticDescriptor d in Descriptors)
        {
            text.Append($"{d.Id} | {d.Category} | {d.DefaultSeverity} | {AnalyzerTypeName(d.Id)}\n");
        }

        return text.ToString();
    }

    public static string AnalyzerTypeName(string id) =>
        typeof(P2PAnalyzers.Descriptors).Assembly.GetTypes().Single(t => t.Name.StartsWith(id, System.StringComparison.Ordinal) && t.Name.EndsWith("Analyzer", System.StringComparison.Ordinal)).Name;

    public static bool HasFix(string id) =>
        typeof(P2PAnalyzers.CodeFixes.Fixes.P2P0001PhysicalAddressAsDmaAddressCodeFix).Assembly.GetTypes()
            .Any(t => t.Name.StartsWith(id, System.StringComparison.Ordinal) && t.Name.EndsWith("CodeFix", System.StringComparison.Ordinal));

    private static string Severity(string mode, DiagnosticDescriptor d) => mode switch
    {
        "Strict" => "error",
        "None" => "none",
        _ => d.DefaultSeverity.ToString().ToLowerInvariant(),
    };

    private static string Describe(string mode) => mode switch
    {
        "Strict" => "every P2P rule is an error",
        "None" => "every P2P rule is off",
        _ => "every P2P rule at its default severity",
    };

    private static string FindRoot()
    {
        for (string? dir = System.AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "P2PAnalyzers.sln")))
            {
                return dir;
            }
        }

        throw new DirectoryNotFoundException("P2PAnalyzers.sln not found above the test assembly.");
    }
}
