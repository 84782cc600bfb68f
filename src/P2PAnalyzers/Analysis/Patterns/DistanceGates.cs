using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// A comparison of a P2P distance with 0 or -1 (or a bool that keeps one), the generic mapping calls only its "P2P
/// possible" side reaches, and the calls of the compilation's helpers that map generically it reaches the same way.
/// </summary>
internal sealed record DistanceGate(SyntaxNode Comparison, ImmutableArray<IInvocationOperation> GatedCalls, ImmutableArray<IInvocationOperation> GatedHelpers);

/// <summary>
/// Finds distance checks that decide a mapping path: a branch on <c>distance &gt;= 0</c> (or <c>&lt; 0</c>, <c>!= -1</c>
/// ...) where a generic mapping call is reachable from the "P2P possible" edge and not from the other one. Used by
/// P2P0011 to report the gate and by P2P0010 to leave the calls it gates to P2P0011.
/// </summary>
internal static class DistanceGates
{
    // Computed once per body analysis, for the two rules that ask.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<MethodFlow, Holder> Cache = new();

    /// <summary>The distance checks in the method of <paramref name="flow"/> that gate a generic mapping call.</summary>
    public static ImmutableArray<DistanceGate> Of(MethodFlow flow, KnownSymbols symbols) =>
        Cache.GetValue(flow, f => new Holder(Find(f, symbols))).Gates;

    private sealed record Holder(ImmutableArray<DistanceGate> Gates);

    private static ImmutableArray<DistanceGate> Find(MethodFlow flow, KnownSymbols symbols)
    {
        ControlFlowGraph graph = flow.Graph;
        var gates = ImmutableArray.CreateBuilder<DistanceGate>();

        // Which provider and device a helper maps is not followed: in a body that asks a map type anywhere, the distance
        // is not taken for the decision of the helpers it calls.
        bool asksMapType = graph.Blocks.SelectMany(Calls).Any(inv => symbols.RoleOf(inv.TargetMethod) is Role.MapTypeQuery or Role.StateQuery or Role.DescribeQuery);
        foreach (BasicBlock block in graph.Blocks)
        {
            if (block.ConditionKind == ControlFlowConditionKind.None || block.BranchValue is not IOperation condition
                || PossibleWhen(condition, flow) is not bool possibleWhenTrue)
            {
                continue;
            }

            bool conditionalIsPossible = (block.ConditionKind == ControlFlowConditionKind.WhenTrue) == possibleWhenTrue;
            BasicBlock? possible = (conditionalIsPossible ? block.ConditionalSuccessor : block.FallThroughSuccessor)?.Destination;
            BasicBlock? other = (conditionalIsPossible ? block.FallThroughSuccessor : block.ConditionalSuccessor)?.Destination;
            HashSet<int> viaOther = Reach(other, block);
            // A call that a map-type decision covers is decided by the map type; the distance only said "possible".
            var only = Reach(possible, block).Where(b => !viaOther.Contains(b)).Select(b => graph.Blocks[b]).ToList();
            ImmutableArray<IInvocationOperation> gated = only
                .SelectMany(b => Calls(b).Where(inv => IsGenericMapping(symbols.RoleOf(inv.TargetMethod))))
                .Where(call => !MapTypeDecisions.Cover(flow, call))
                .ToImmutableArray();
            ImmutableArray<IInvocationOperation> helpers = only
                .SelectMany(b => Calls(b).Where(inv => !asksMapType && symbols.IsSource(inv.TargetMethod) && GenericMappers.Maps(inv.TargetMethod, symbols)))
                .ToImmutableArray();
            if (!gated.IsEmpty || !helpers.IsEmpty)
            {
                gates.Add(new DistanceGate(condition.Syntax, gated, helpers));
            }
        }

        return gates.ToImmutable();
    }

    /// <summary>
    /// True/false: the condition says "P2P possible" when it holds / fails; null: not a distance gate. The condition is a
    /// comparison of a distance with 0 or -1, or a bool that holds one (a local, field or helper result).
    /// </summary>
    private static bool? PossibleWhen(IOperation condition, MethodFlow flow)
    {
        bool negated = false;
        while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            condition = not.Operand;
            negated = !negated;
        }

        bool? possible = condition is IBinaryOperation compare
            ? DistanceVerdicts.PossibleWhen(compare, d => flow.ValueOf(d.Syntax).Has(FactKind.Distance))
            : DistanceVerdicts.Of(flow.ValueOf(condition.Syntax));
        return possible is bool p ? p != negated : null;
    }

    private static HashSet<int> Reach(BasicBlock? start, BasicBlock gate)
    {
        var seen = new HashSet<int>();
        var work = new Stack<BasicBlock>();
        if (start is not null)
        {
            work.Push(start);
        }

        while (work.Count > 0)
        {
            BasicBlock b = work.Pop();
            if (b == gate || !seen.Add(b.Ordinal))
            {
                continue;
            }

            foreach (BasicBlock? next in new[] { b.ConditionalSuccessor?.Destination, b.FallThroughSuccessor?.Destination })
            {
                if (next is not null)
                {
                    work.Push(next);
                }
            }
        }

        return seen;
    }

    private static IEnumerable<IInvocationOperation> Calls(BasicBlock block) =>
        block.Operations.Append(block.BranchValue)
            .Where(op => op is not null)
            .SelectMany(op => op!.DescendantsAndSelf())
            .OfType<IInvocationOperation>();

    public static bool IsGenericMapping(Role role) => role is Role.MapResource or Role.MapPhys or Role.MapPage or Role.MapSingle or Role.MapSg;
}
