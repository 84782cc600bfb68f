using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Runs the forward analysis over a control flow graph to a fixpoint, then once more to record what every expression
/// carries; lambdas and local functions are analyzed afterwards with the state at their creation or calls.
/// </summary>
internal static class FlowRunner
{
    private const int MaxNestedRounds = 8;

    /// <summary>Analyses the graph and records what every expression carries; returns the state at entry of each block.</summary>
    public static FlowState?[] Analyze(FlowContext k, ControlFlowGraph graph, FlowState initial, FlowRecorder recorder)
    {
        FlowState?[] states = FixpointAndRecord(k, graph, initial, recorder, k.Summary);
        AnalyzeNested(k, graph, recorder);
        return states;
    }

    /// <summary>
    /// The fixpoint, then the recording pass; for a graph without back edges or exception regions (most bodies), one
    /// pass in block order that records as it goes: there every block is reached after all its predecessors, so its
    /// first state is its final one and a second evaluation of the body would record the same.
    /// </summary>
    private static FlowState?[] FixpointAndRecord(FlowContext k, ControlFlowGraph graph, FlowState initial, FlowRecorder recorder, SummaryRecorder? returns = null)
    {
        if (!IsForwardOnly(graph))
        {
            FlowState?[] solved = Fixpoint(k, graph, initial, 0);
            Record(k, graph, solved, recorder, returns);
            return solved;
        }

        var states = new FlowState?[graph.Blocks.Length];
        states[0] = initial;
        foreach (BasicBlock block in graph.Blocks)
        {
            if (states[block.Ordinal] is FlowState state)
            {
                var evaluator = new Evaluator(k, graph, state, recorder, 0);
                (FlowState whenConditional, FlowState whenFallThrough) = Transfer(evaluator, block, out FlowValue branchValue);
                if (returns is not null && IsReturn(block))
                {
                    returns.Return(branchValue, block.BranchValue!.Syntax.GetLocation());
                }

                Propagate(block.ConditionalSuccessor, whenConditional, states, null);
                Propagate(block.FallThroughSuccessor, whenFallThrough, states, null);
            }
        }

        return states;
    }

    /// <summary>True when every branch goes to a later block and no region is entered but by a branch (no try, catch or finally).</summary>
    private static bool IsForwardOnly(ControlFlowGraph graph)
    {
        foreach (BasicBlock block in graph.Blocks)
        {
            if ((block.ConditionalSuccessor?.Destination is BasicBlock c && c.Ordinal <= block.Ordinal)
                || (block.FallThroughSuccessor?.Destination is BasicBlock f && f.Ordinal <= block.Ordinal)
                || !OnlyLifetimes(block.EnclosingRegion))
            {
                return false;
            }
        }

        return true;
    }

    private static bool OnlyLifetimes(ControlFlowRegion? region)
    {
        for (; region is not null; region = region.EnclosingRegion)
        {
            if (region.Kind is not (ControlFlowRegionKind.Root or ControlFlowRegionKind.LocalLifetime))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The union of the values a (local) function returns when entered in <paramref name="initial"/>.</summary>
    public static FlowValue ReturnValue(FlowContext k, ControlFlowGraph graph, FlowState initial, int depth)
    {
        FlowState?[] states = Fixpoint(k, graph, initial, depth);
        FlowValue result = FlowValue.Empty;
        foreach (BasicBlock block in graph.Blocks)
        {
            if (states[block.Ordinal] is FlowState state && IsReturn(block))
            {
                var evaluator = new Evaluator(k, graph, state, null, depth);
                foreach (IOperation op in block.Operations)
                {
                    evaluator.Eval(op);
                }

                result = result.Union(evaluator.Eval(block.BranchValue));
            }
        }

        return result;
    }

    private static FlowState?[] Fixpoint(FlowContext k, ControlFlowGraph graph, FlowState initial, int depth)
    {
        var states = new FlowState?[graph.Blocks.Length];
        states[0] = initial;
        // Lowest ordinal first: Roslyn numbers blocks in source order, so a block without a back edge into it is
        // evaluated once, after all its predecessors, instead of once per predecessor that reaches it first.
        var work = new SortedSet<int> { 0 };
        for (int round = 0; round < 3; round++)
        {
            Iterate(k, graph, states, work, depth);

            // Blocks entered implicitly (finally and catch regions) start from everything seen so far. Most bodies have
            // none: then nothing is joined.
            var unreached = graph.Blocks.Where(b => b.IsReachable && states[b.Ordinal] is null).ToList();
            FlowState? all = unreached.Count == 0 ? null
                : states.Where(s => s is not null).Aggregate((FlowState?)null, (acc, s) => FlowState.Join(acc, s!));
            foreach (BasicBlock block in all is null ? Enumerable.Empty<BasicBlock>() : unreached)
            {
                states[block.Ordinal] = all;
                work.Add(block.Ordinal);
            }

            if (work.Count == 0)
            {
                break;
            }
        }

        return states;
    }

    private static void Iterate(FlowContext k, ControlFlowGraph graph, FlowState?[] states, SortedSet<int> work, int depth)
    {
        int budget = graph.Blocks.Length * 32;
        while (work.Count > 0 && budget-- > 0)
        {
            int next = work.Min;
            work.Remove(next);
            BasicBlock block = graph.Blocks[next];
            var evaluator = new Evaluator(k, graph, states[block.Ordinal]!, null, depth);
            (FlowState whenConditional, FlowState whenFallThrough) = Transfer(evaluator, block);
            Propagate(block.ConditionalSuccessor, whenConditional, states, work);
            Propagate(block.FallThroughSuccessor, whenFallThrough, states, work);
        }
    }

    private static void Propagate(ControlFlowBranch? branch, FlowState state, FlowState?[] states, SortedSet<int>? work)
    {
        if (branch?.Destination is not BasicBlock target)
        {
            return;
        }

        FlowState joined = FlowState.Join(states[target.Ordinal], state);
        if (states[target.Ordinal] is null || !joined.SameAs(states[target.Ordinal]!))
        {
            states[target.Ordinal] = joined;
            work?.Add(target.Ordinal);
        }
    }

    /// <summary>Evaluates a block; returns the states on its conditional and fall-through edges.</summary>
    private static (FlowState WhenConditional, FlowState WhenFallThrough) Transfer(Evaluator evaluator, BasicBlock block) =>
        Transfer(evaluator, block, out _);

    /// <summary>As <see cref="Transfer(Evaluator, BasicBlock)"/>; <paramref name="branchValue"/> is what the block's branch value carries.</summary>
    private static (FlowState WhenConditional, FlowState WhenFallThrough) Transfer(Evaluator evaluator, BasicBlock block, out FlowValue branchValue)
    {
        foreach (IOperation op in block.Operations)
        {
            evaluator.Eval(op);
        }

        branchValue = evaluator.Eval(block.BranchValue);
        FlowState after = evaluator.State;
        if (block.ConditionKind == ControlFlowConditionKind.None || block.BranchValue is null)
        {
            return (after, after);
        }

        return Refined(evaluator, block, after);
    }

    // Apart from Transfer so that its closure is made only for blocks that branch.
    private static (FlowState WhenConditional, FlowState WhenFallThrough) Refined(Evaluator evaluator, BasicBlock block, FlowState after)
    {
        bool conditionalWhen = block.ConditionKind == ControlFlowConditionKind.WhenTrue;
        // The flag's value as the block computed it (also when it comes from the rest of the program).
        Func<IOperation, FlowValue> valueOf = op => Evaluator.PathOf(op) is AccessPath path && after.Values.TryGetValue(path, out FlowValue v) ? v : evaluator.Peek(op);
        return (BranchRefinement.Refine(after, block.BranchValue!, conditionalWhen, valueOf),
                BranchRefinement.Refine(after, block.BranchValue!, !conditionalWhen, valueOf));
    }

    private static void Record(FlowContext k, ControlFlowGraph graph, FlowState?[] states, FlowRecorder recorder, SummaryRecorder? returns = null)
    {
        foreach (BasicBlock block in graph.Blocks)
        {
            if (states[block.Ordinal] is FlowState state)
            {
                var evaluator = new Evaluator(k, graph, state, recorder, 0);
                Transfer(evaluator, block, out FlowValue branchValue);
                if (returns is not null && IsReturn(block))
                {
                    // The root graph's returns (not a lambda's or local function's) are the method's, for the summary.
                    returns.Return(branchValue, block.BranchValue!.Syntax.GetLocation());
                }
            }
        }
    }

    private static void AnalyzeNested(FlowContext k, ControlFlowGraph root, FlowRecorder recorder)
    {
        int lambdasDone = 0;
        var analyzed = new Dictionary<IMethodSymbol, FlowState>(SymbolEqualityComparer.Default);
        for (int round = 0; round < MaxNestedRounds; round++)
        {
            bool progress = false;
            while (lambdasDone < recorder.Lambdas.Count)
            {
                var (lambda, graph, state) = recorder.Lambdas[lambdasDone++];
                ControlFlowGraph body = graph.GetAnonymousFunctionControlFlowGraphInScope(lambda);
                FixpointAndRecord(k, body, state, recorder);
                progress = true;
            }

            foreach (var call in recorder.LocalFunctionCalls.ToList())
            {
                if (analyzed.TryGetValue(call.Key, out FlowState? seen) && seen.SameAs(call.Value.State))
                {
                    continue;
                }

                analyzed[call.Key] = call.Value.State;
                if (LocalFunctionGraph(call.Value.Graph, call.Key) is ControlFlowGraph body)
                {
                    FixpointAndRecord(k, body, call.Value.State, recorder);
                }

                progress = true;
            }

            if (!progress)
            {
                break;
            }
        }

        // Local functions nobody calls still have their own sources and sinks.
        foreach (IMethodSymbol function in root.LocalFunctions.Where(f => !analyzed.ContainsKey(f)))
        {
            ControlFlowGraph body = root.GetLocalFunctionControlFlowGraph(function);
            FixpointAndRecord(k, body, FlowState.Entry, recorder);
        }
    }

    /// <summary>
    /// The graph of a local function declared in <paramref name="graph"/> or a graph enclosing it; null when the call
    /// targets one declared elsewhere (only in code with errors, such as a top-level local function called from a class).
    /// </summary>
    public static ControlFlowGraph? LocalFunctionGraph(ControlFlowGraph graph, IMethodSymbol function)
    {
        for (ControlFlowGraph? scope = graph; scope is not null; scope = scope.Parent)
        {
            if (scope.LocalFunctions.Contains(function, SymbolEqualityComparer.Default))
            {
                return scope.GetLocalFunctionControlFlowGraph(function);
            }
        }

        return null;
    }

    private static bool IsReturn(BasicBlock block) =>
        block.BranchValue is not null && block.ConditionKind == ControlFlowConditionKind.None
        && block.FallThroughSuccessor is { Destination.Kind: BasicBlockKind.Exit, Semantics: ControlFlowBranchSemantics.Regular or ControlFlowBranchSemantics.Return };
}
