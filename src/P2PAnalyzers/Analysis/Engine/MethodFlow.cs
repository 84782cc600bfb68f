using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The address-provenance analysis of one method body (with its lambdas and local functions), computed once and
/// shared by every rule that asks. Rules ask by syntax node: the facts an expression carries, the map-type decisions
/// made on every path to a call.
/// </summary>
internal sealed class MethodFlow
{
    private readonly FlowRecorder _recorder;

    private MethodFlow(ControlFlowGraph graph, FlowRecorder recorder, FlowState?[] states)
    {
        Graph = graph;
        _recorder = recorder;
        States = states;
    }

    public ControlFlowGraph Graph { get; }

    /// <summary>The state at the entry of each block of <see cref="Graph"/> (null: not reached); the last block is the exit.</summary>
    public FlowState?[] States { get; }

    /// <summary>
    /// The analysis of the body <paramref name="root"/> (a top-level operation block), computed on first use and once:
    /// the rules that ask for the same body at the same time wait for one analysis instead of each running their own.
    /// </summary>
    public static MethodFlow Of(IOperation root, KnownSymbols symbols, Func<IOperation, ControlFlowGraph> graphOf)
    {
        RecentFlows.Slot slot = symbols.RecentFlows.For(root);
        lock (slot)
        {
            // Left empty when the analysis throws (or is cancelled), so that a later request computes it afresh. A body
            // the whole-program summary read last with the values a rule sees is not analysed again.
            ProgramSummary program = symbols.Program;
            return slot.Flow ??= symbols.TakeSummaryFlow(root.Syntax) ?? Analyze(root, new FlowContext(symbols, root, program), graphOf);
        }
    }

    /// <summary>A body's analysis made while the whole-program summary read it.</summary>
    internal static MethodFlow FromSummary(ControlFlowGraph graph, FlowRecorder recorder, FlowState?[] states) => new(graph, recorder, states);

    private static MethodFlow Analyze(IOperation root, FlowContext context, Func<IOperation, ControlFlowGraph> graphOf)
    {
        ControlFlowGraph graph = graphOf(root);
        var recorder = new FlowRecorder();
        FlowState?[] states = FlowRunner.Analyze(context, graph, FlowState.Entry, recorder);
        return new MethodFlow(graph, recorder, states);
    }

    /// <summary>The top-level operation block (method body, initializer) that holds <paramref name="operation"/>.</summary>
    public static IOperation RootOf(IOperation operation)
    {
        IOperation root = operation;
        while (root.Parent is IOperation parent)
        {
            root = parent;
        }

        return root;
    }


    /// <summary>True when a helper this method handed the table (or its entries) to fills them with DMA addresses.</summary>
    public bool FilledElsewhere(Origin table) => _recorder.FilledElsewhere.Contains(table);

    /// <summary>Everything the expression may carry, on any path.</summary>
    public FlowValue ValueOf(SyntaxNode expression) =>
        _recorder.Values.TryGetValue(expression, out FlowValue value) ? value : FlowValue.Empty;

    /// <summary>
    /// The mappings made in this body that, on some path to <paramref name="callOrStore"/>, were neither checked with
    /// <c>Dma.MappingError</c> nor handed to a helper of the compilation.
    /// </summary>
    public ImmutableHashSet<OriginSource> UncheckedAt(SyntaxNode callOrStore) =>
        _recorder.Unchecked.TryGetValue(callOrStore, out var @unchecked) ? @unchecked : ImmutableHashSet<OriginSource>.Empty;

    /// <summary>The map-type decisions made on every path to the call, or null when the call was not reached.</summary>
    public ImmutableHashSet<MapTypeDecision>? DecisionsAt(SyntaxNode call) =>
        _recorder.Decisions.TryGetValue(call, out var decisions) ? decisions : null;
}
