using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// What the analysis of one method needs beyond its graph: the compilation's known symbols and the semantic model of
/// the method's tree (operations inside a control flow graph carry none).
/// </summary>
internal sealed class FlowContext
{
    public FlowContext(KnownSymbols symbols, IOperation root, bool helperSummaries = true)
    {
        Symbols = symbols;
        Model = root.SemanticModel;
        Owner = Model?.GetDeclaredSymbol(root.Syntax) ?? Model?.GetEnclosingSymbol(root.Syntax.SpanStart);
        HelperSummaries = helperSummaries;
    }

    /// <summary>The member whose body is analyzed (its class owns the helpers that are followed).</summary>
    public ISymbol? Owner { get; }

    /// <summary>False inside a helper's own summary, so that helpers are followed one level deep and never in a cycle.</summary>
    public bool HelperSummaries { get; }

    public KnownSymbols Symbols { get; }

    public SemanticModel? Model { get; }
}
