using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The scatterlist map calls of a body that reach an unmap of the same list: walked backwards through the control flow
/// graph from the unmap, each path ends at a map of the list (found), an unmap of it (what was mapped before is gone), or
/// where the list may arrive mapped from elsewhere: the body's entry, a store into what names it, or a method of the
/// compilation handed the object it lives in (<see cref="AddressKey.WrittenBy"/>). debug.c pairs an unmap with the live
/// mapping of its list, not with every map the function made: a map in another <c>switch</c> case, or one already
/// unmapped before the list was re-mapped, does not answer for this unmap.
/// </summary>
internal static class ReachingTableMaps
{
    /// <summary>What reaches the unmap: the map calls (syntax of the original tree), and whether some path arrives from elsewhere.</summary>
    public readonly record struct Reach(ImmutableArray<IInvocationOperation> Maps, bool Arrives);

    /// <summary>Null when the unmap is not in <paramref name="graph"/> (a lambda's or local function's body).</summary>
    public static Reach? Of(ControlFlowGraph graph, IInvocationOperation unmap, AddressKey table, KnownSymbols k)
    {
        foreach (BasicBlock block in graph.Blocks)
        {
            IReadOnlyList<IOperation> ops = Operations(block);
            for (int i = 0; i < ops.Count; i++)
            {
                if (ops[i].DescendantsAndSelf().Any(o => o.Syntax == unmap.Syntax && o is IInvocationOperation))
                {
                    return new Walker(graph, unmap, table, k).Run(block, i);
                }
            }
        }

        return null;
    }

    private static IReadOnlyList<IOperation> Operations(BasicBlock block) =>
        block.BranchValue is null ? block.Operations : block.Operations.Add(block.BranchValue);

    private enum Outcome : byte
    {
        Continue,
        Found,
        Ended,
        Arrived,
    }

    private sealed class Walker
    {
        private readonly ControlFlowGraph _graph;
        private readonly IInvocationOperation _unmap;
        private readonly AddressKey _table;
        private readonly KnownSymbols _k;
        private readonly List<IInvocationOperation> _maps = new();
        private readonly HashSet<int> _scanned = new();
        private bool _arrives;

        public Walker(ControlFlowGraph graph, IInvocationOperation unmap, AddressKey table, KnownSymbols k)
        {
            _graph = graph;
            _unmap = unmap;
            _table = table;
            _k = k;
        }

        public Reach Run(BasicBlock start, int index)
        {
            // The operation that holds the unmap: only the calls evaluated before it there (an `if (map(..) == 0)` is not).
            Outcome first = Examine(Operations(start)[index], before: _unmap.Syntax.SpanStart);
            for (int i = index - 1; first == Outcome.Continue && i >= 0; i--)
            {
                first = Examine(Operations(start)[i], before: int.MaxValue);
            }

            var pending = new Stack<BasicBlock>();
            if (first == Outcome.Continue)
            {
                PushPredecessors(start, pending);
            }

            while (pending.Count > 0)
            {
                BasicBlock block = pending.Pop();
                if (!_scanned.Add(block.Ordinal))
                {
                    continue;
                }

                Outcome outcome = Outcome.Continue;
                IReadOnlyList<IOperation> ops = Operations(block);
                for (int i = ops.Count - 1; outcome == Outcome.Continue && i >= 0; i--)
                {
                    outcome = Examine(ops[i], before: int.MaxValue);
                }

                if (outcome == Outcome.Continue)
                {
                    PushPredecessors(block, pending);
                }
            }

            return new Reach(_maps.Distinct().OrderBy(m => m.Syntax.SpanStart).ToImmutableArray(), _arrives);
        }

        private void PushPredecessors(BasicBlock block, Stack<BasicBlock> pending)
        {
            if (block.Kind == BasicBlockKind.Entry)
            {
                _arrives = true;
                return;
            }

            foreach (ControlFlowBranch branch in block.Predecessors)
            {
                pending.Push(branch.Source);
            }

            // A catch or finally is entered from anywhere in its try: every block there may come before it.
            if (block.EnclosingRegion is { Kind: ControlFlowRegionKind.Catch or ControlFlowRegionKind.Finally or ControlFlowRegionKind.Filter } handler
                && handler.FirstBlockOrdinal == block.Ordinal && handler.EnclosingRegion?.NestedRegions.FirstOrDefault() is { Kind: ControlFlowRegionKind.Try } tried)
            {
                for (int ordinal = tried.FirstBlockOrdinal; ordinal <= tried.LastBlockOrdinal; ordinal++)
                {
                    pending.Push(_graph.Blocks[ordinal]);
                }
            }
        }

        // The last call of the operation that maps or unmaps the list decides; else a store or a helper that may change
        // what names the list makes it arrive from elsewhere.
        private Outcome Examine(IOperation op, int before)
        {
            IInvocationOperation? last = op.DescendantsAndSelf().OfType<IInvocationOperation>()
                .Where(call => call.Syntax.Span.End <= before && !call.IsImplicit && IsOfTheTable(call))
                .OrderBy(call => call.Syntax.Span.End).LastOrDefault();
            if (last is not null)
            {
                if (TableMapCalls.IsTableUnmap(_k.RoleOf(last.TargetMethod)))
                {
                    return Outcome.Ended;
                }

                _maps.Add(last);
                return Outcome.Found;
            }

            if (before == int.MaxValue && (StoresRoot(op) || CallsUnseen(op) || _table.WrittenBy(op, m => _k.IsLibrary(m) || KnownSymbols.IsRuntime(m))))
            {
                _arrives = true;
                return Outcome.Arrived;
            }

            return Outcome.Continue;
        }

        private bool IsOfTheTable(IInvocationOperation call) =>
            _k.RoleOf(call.TargetMethod) is Role.MapSg or Role.MapSgAware or Role.MapSgTable or Role.UnmapSg or Role.UnmapSgTable
            && SgEntryCounts.Table(call)?.Value is IOperation given
            && AddressKey.Of(given) is { } key && key.Text == _table.Text && key.RootIsThis == _table.RootIsThis
            && SymbolEqualityComparer.Default.Equals(key.Root, _table.Root);

        // A local function or a delegate may map the list through what it captured, handed nothing.
        private static bool CallsUnseen(IOperation op) =>
            op.DescendantsAndSelf().OfType<IInvocationOperation>().Any(c => c.TargetMethod.MethodKind is MethodKind.LocalFunction or MethodKind.DelegateInvoke);

        // A new value of the local or parameter the list's name starts from (a foreach variable's next element).
        private bool StoresRoot(IOperation op) =>
            _table.Root is not null && op.DescendantsAndSelf().OfType<IAssignmentOperation>().Any(a => AddressKey.Value(a.Target) switch
            {
                ILocalReferenceOperation l => SymbolEqualityComparer.Default.Equals(l.Local, _table.Root),
                IParameterReferenceOperation p => SymbolEqualityComparer.Default.Equals(p.Parameter, _table.Root),
                _ => false,
            });
    }
}
