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

    /// <summary>
    /// The fix providers of a rule, in name order; empty for a rule without a fix (P2P0004). A rule may have several:
    /// P2P0013's bus-address tracking is a provider of its own beside the rule's local rewrites.
    /// </summary>
    public static ImmutableArray<CodeFixProvider> FixersFor(string id) => Fixers.Where(f => f.FixableDiagnosticIds.Contains(id)).ToImmutableArray();

    /// <summary>
    /// Providers whose fix edits other documents by design (P2P0013's flag added to a struct declared elsewhere, the
    /// store in the map path, the guard in the completion; the exporter unit rewrites of P2P0001, P2P0003, P2P0010 and
    /// P2P0011: the builder in another file, its callers, its helpers, the unmap): the matrix checks every document
    /// they change instead of failing them.
    /// </summary>
    public static bool EditsAcrossDocuments(CodeFixProvider provider) => provider is P2PAnalyzers.CodeFixes.Fixes.P2P0013BusAddressFlagCodeFix
        or P2PAnalyzers.CodeFixes.Fixes.P2P0001PhysicalAddressAsDmaAddressCodeFix or P2PAnalyzers.CodeFixes.Fixes.P2P0003HandBuiltDmaOnlyTableCodeFix
        or P2PAnalyzers.CodeFixes.Fixes.P2P0010PeerMemoryMappedWithoutMapTypeCodeFix or P2PAnalyzers.CodeFixes.Fixes.P2P0011DistanceAsMappingDecisionCodeFix;

    public static bool IsProductDiagnostic(string id) => id.StartsWith("P2P", StringComparison.Ordinal);
}
