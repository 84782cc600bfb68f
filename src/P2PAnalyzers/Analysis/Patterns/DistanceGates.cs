using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>A comparison of a P2P distance with 0 or -1 and the generic mapping calls only its "P2P possible" side reaches.</summary>
internal sealed record DistanceGate(SyntaxNode Comparison, ImmutableArray<IInvocationOperation> GatedCalls);

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
            ImmutableArray<IInvocationOperation> gated = Reach(possible, block)
                .Where(b => !viaOther.Contains(b))
                .SelectMany(b => GenericMappingCalls(graph.Blocks[b], symbols))
                .Where(call => !MapTypeDecisions.Cover(flow, call))
                .ToImmutableArray();
            if (!gated.IsEmpty)
            {
                gates.Add(new DistanceGate(condition.Syntax, gated));
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
            : Verdict(flow.ValueOf(condition.Syntax));
        return possible is bool p ? p != negated : null;
    }

    /// <summary>The verdict a bool carries, when all it carries agree.</summary>
    private static bool? Verdict(FlowValue value)
    {
        bool possible = value.Facts.Any(f => f.Kind == FactKind.DistanceVerdict && f.Key.Kind == KeyKind.Possible);
        bool impossible = value.Facts.Any(f => f.Kind == FactKind.DistanceVerdict && f.Key.Kind == KeyKind.Impossible);
        return possible == impossible ? null : possible;
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

    private static IEnumerable<IInvocationOperation> GenericMappingCalls(BasicBlock block, KnownSymbols symbols) =>
        block.Operations.Append(block.BranchValue)
            .Where(op => op is not null)
            .SelectMany(op => op!.DescendantsAndSelf())
            .OfType<IInvocationOperation>()
            .Where(inv => IsGenericMapping(symbols.RoleOf(inv.TargetMethod)));

    public static bool IsGenericMapping(Role role) => role is Role.MapResource or Role.MapPhys or Role.MapPage or Role.MapSingle or Role.MapSg;
}
