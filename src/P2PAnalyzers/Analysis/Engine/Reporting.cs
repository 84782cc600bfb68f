using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>Helpers for building messages and choosing among facts deterministically.</summary>
internal static class Reporting
{
    private const int MaxOperandLength = 60;

    /// <summary>The fact of <paramref name="kind"/> that comes first in the source, so reports do not depend on analysis order.</summary>
    public static Fact? Earliest(FlowValue value, FactKind kind) =>
        value.Facts.Where(f => f.Kind == kind)
            .OrderBy(f => f.Origin.Location.SourceTree?.FilePath, System.StringComparer.Ordinal)
            .ThenBy(f => f.Origin.Location.SourceSpan.Start)
            .ThenBy(f => f.Origin.What, System.StringComparer.Ordinal)
            .Cast<Fact?>()
            .FirstOrDefault();

    /// <summary>
    /// The additional locations that show where a fact came from: none for a fact made in the method reported (the
    /// message names it), else its source and every hop across methods (the store at probe, the call, the return).
    /// </summary>
    public static IEnumerable<Location> Origins(Fact fact) =>
        fact.Origin.Steps.IsEmpty ? Enumerable.Empty<Location>() : fact.Origin.Locations().Where(l => l.IsInSource);

    /// <summary>Source text of an operand, on one line and shortened for a message.</summary>
    public static string Text(SyntaxNode node)
    {
        string text = string.Join(" ", node.ToString().Split(new[] { '\r', '\n', ' ', '\t' }, System.StringSplitOptions.RemoveEmptyEntries));
        return text.Length <= MaxOperandLength ? text : text.Substring(0, MaxOperandLength - 3) + "...";
    }

    /// <summary>Diagnostic properties code fixes read: which memory the source address points into, and its BAR or provider.</summary>
    public static ImmutableDictionary<string, string?> SourceProperties(Fact source) =>
        source.Key.Write(ImmutableDictionary<string, string?>.Empty.Add(PropertyNames.Memory, source.Memory.ToString()));
}

/// <summary>Names of the diagnostic properties shared by analyzers and code fixes.</summary>
internal static class PropertyNames
{
    public const string Memory = "Memory";
    public const string Kind = "Kind";
}
