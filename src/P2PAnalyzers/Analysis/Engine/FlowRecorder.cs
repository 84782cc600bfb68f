using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Collects what the final pass over a method (and the lambdas and local functions in it) found: the facts of every
/// expression, keyed by syntax so that rules can ask about the original operation tree, and the map-type decisions
/// in force at each call.
/// </summary>
internal sealed class FlowRecorder
{
    public Dictionary<SyntaxNode, FlowValue> Values { get; } = new();

    public Dictionary<SyntaxNode, ImmutableHashSet<MapTypeDecision>> Decisions { get; } = new();

    /// <summary>Hand-built tables (by origin) whose entries a helper of the compilation filled with DMA addresses.</summary>
    public HashSet<Origin> FilledElsewhere { get; } = new();

    /// <summary>Lambdas met during recording, with the graph they live in and the state where they were created.</summary>
    public List<(IFlowAnonymousFunctionOperation Lambda, ControlFlowGraph Graph, FlowState State)> Lambdas { get; } = new();

    /// <summary>Local functions called during recording: the graph they live in and the joined state at their calls.</summary>
    public Dictionary<IMethodSymbol, (ControlFlowGraph Graph, FlowState State)> LocalFunctionCalls { get; } = new(SymbolEqualityComparer.Default);

    /// <summary>False for a body read for the whole-program summary: only what it hands on is kept, not every value.</summary>
    public bool KeepsValues { get; init; } = true;

    public void Record(SyntaxNode syntax, FlowValue value)
    {
        if (!KeepsValues)
        {
            return;
        }

        Values[syntax] = Values.TryGetValue(syntax, out FlowValue known) ? known.Union(value) : value;
    }

    public void RecordDecisions(SyntaxNode call, ImmutableHashSet<MapTypeDecision>? decisions)
    {
        if (!KeepsValues)
        {
            return;
        }

        ImmutableHashSet<MapTypeDecision> d = decisions ?? ImmutableHashSet<MapTypeDecision>.Empty;
        Decisions[call] = Decisions.TryGetValue(call, out ImmutableHashSet<MapTypeDecision> known) ? known.Intersect(d) : d;
    }

    /// <summary>The mappings not checked on some path to a call or a store (may: every visit adds).</summary>
    public Dictionary<SyntaxNode, ImmutableHashSet<OriginSource>> Unchecked { get; } = new();

    public void RecordUnchecked(SyntaxNode at, ImmutableHashSet<OriginSource> @unchecked)
    {
        if (!KeepsValues)
        {
            return;
        }

        Unchecked[at] = Unchecked.TryGetValue(at, out ImmutableHashSet<OriginSource> known) ? known.Union(@unchecked) : @unchecked;
    }

    public void RecordLocalFunctionCall(IMethodSymbol function, ControlFlowGraph graph, FlowState state)
    {
        LocalFunctionCalls[function] = LocalFunctionCalls.TryGetValue(function, out var known)
            ? (known.Graph, FlowState.Join(known.State, state))
            : (graph, state);
    }
}
