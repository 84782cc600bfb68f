using System.Reflection;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using P2PAnalyzers.CodeFixes.Shared;

namespace P2PAnalyzers.Robustness.Infrastructure;

/// <summary>Every shipped analyzer and code-fix provider, found by their export attributes (so a new rule is covered without editing the suite).</summary>
internal static class Products
{
    public static ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } = typeof(Descriptors).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static ImmutableArray<CodeFixProvider> Fixers { get; } = typeof(P2PCodeFix).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t) && t.GetCustomAttribute<ExportCodeFixProviderAttribute>() is not null)
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    private static readonly ImmutableDictionary<string, CodeFixProvider> FixerById =
        Fixers.SelectMany(f => f.FixableDiagnosticIds.Select(id => (id, f))).ToImmutableDictionary(p => p.id, p => p.f, StringComparer.Ordinal);

    /// <summary>The fix provider for a rule; null for a rule without a fix (P2P0004).</summary>
    public static CodeFixProvider? FixerFor(string id) => FixerById.GetValueOrDefault(id);

    public static bool IsProductDiagnostic(string id) => id.StartsWith("P2P", StringComparison.Ordinal);
}
