using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>What a mapping's address was when a use reached it.</summary>
internal enum UnmappedBy : byte
{
    /// <summary>An unmap of the same storage ran earlier on the path (debug.c: "free DMA memory it has already freed").</summary>
    Unmap,

    /// <summary>The path is on the failure edge of the mapping's test (debug.c: "free DMA memory it has not allocated").</summary>
    Failure,
}

/// <summary>
/// A use of a mapping's address on a path where it no longer maps anything: <see cref="Site"/> is the earlier unmap or
/// the failed test. <see cref="OnlyAfter"/>: every path reaching the use arrives so (an unmap there can go).
/// <see cref="SiteLeadsHere"/>: every path from the earlier unmap reaches this use before any other use and before
/// leaving (the earlier unmap can go, the kernel's fix for a double unmap at a shared error label).
/// </summary>
internal readonly record struct UnmappedUse(MappingUse Use, SyntaxNode Site, UnmappedBy By, bool OnlyAfter, bool SiteLeadsHere);

/// <summary>
/// P2P0023's walk: one mapping followed path by path through a body's control flow graph from the entry, as
/// <see cref="ErrorReturnPaths"/> follows it (<see cref="PathConditions"/> prune the edges a path cannot take), with the
/// storage its unmap named (<see cref="AddressKey"/>). A use of that storage after the unmap, or of the mapping on its
/// failure edge, is reported; a new map, or a store into what the storage's text reads, ends the path's interest.
/// </summary>
internal static class UnmappedUsePaths
{
    /// <summary>Every such use, in source order, each with the first (in source order) unmap or failure it follows.</summary>
    /// <param name="graph">The body's control flow graph.</param>
    /// <param name="map">The map call (of the original tree: matched to the graph by syntax).</param>
    /// <param name="mapKey">Where the map's result is stored (null when it is not).</param>
    /// <param name="uses">This mapping's uses in the body (of the original tree), outside lambdas.</param>
    /// <param name="isUnmap">Which of those uses unmaps it.</param>
    /// <param name="failed">What a branch condition says about the mapping.</param>
    /// <param name="isLibrary">Methods that store no address into what they are handed.</param>
    /// <param name="helperUnmaps">The storage the calls of methods of the compilation in an operation unmap (<see cref="HelperUnmaps"/>).</param>
    public static IReadOnlyList<UnmappedUse> All(ControlFlowGraph graph, IOperation map, AddressKey? mapKey, IReadOnlyList<MappingUse> uses, Func<MappingUse, bool> isUnmap,
        Func<IOperation, FailureTest> failed, Func<IMethodSymbol, bool> isLibrary, Func<IOperation, IEnumerable<(SyntaxNode Call, string Unmapped)>> helperUnmaps) =>
        new Walker(graph, map.Syntax, mapKey, uses, isUnmap, failed, isLibrary, helperUnmaps).Run();

    private enum Status : byte
    {
        NotMade,
        Live,
        Unmapped,
        Failed,
    }

    // Met: the path has reached a use since Site (the first use after an unmap decides whether that unmap may go).
    private readonly record struct PathState(Status Status, SyntaxNode? Site, AddressKey? Key, bool Met, PathConditions Conditions)
    {
        // The site by its position and the storage by its text, as the walk tells them apart.
        public bool Equals(PathState other) =>
            Status == other.Status && Met == other.Met && Site?.SpanStart == other.Site?.SpanStart
            && string.Equals(Key?.Text, other.Key?.Text, StringComparison.Ordinal) && Conditions.Equals(other.Conditions);

        public override int GetHashCode() =>
            ((int)Status * 397) ^ (Site?.SpanStart ?? -1) ^ (Key is null ? 0 : StringComparer.Ordinal.GetHashCode(Key.Text)) ^ (Met ? 1 << 20 : 0) ^ Conditions.GetHashCode();
    }

    private sealed class Walker
    {
        private readonly ControlFlowGraph _graph;
        private readonly SyntaxNode _map;
        private readonly AddressKey? _mapKey;
        private readonly IReadOnlyList<MappingUse> _uses;
        private readonly Func<MappingUse, bool> _isUnmap;
        private readonly Func<IOperation, FailureTest> _failed;
        private readonly Func<IMethodSymbol, bool> _isLibrary;
        private readonly Func<IOperation, IEnumerable<(SyntaxNode Call, string Unmapped)>> _helperUnmaps;
        private readonly Dictionary<IOperation, List<(SyntaxNode Call, string Unmapped)>> _helpers = new();
        private readonly Dictionary<IOperation, List<MappingUse>> _usesIn = new();
        private readonly HashSet<string> _retested;
        private readonly List<(MappingUse Use, SyntaxNode Site, UnmappedBy By)> _found = new();
        // How each use was reached: on some path after the unmap or failure, and on some path otherwise.
        private readonly Dictionary<SyntaxNode, (bool After, bool Other)> _reached = new();
        // From each unmap: the uses of its storage met first, and whether some path left or lost interest before one.
        private readonly Dictionary<SyntaxNode, (HashSet<SyntaxNode> First, bool Escapes)> _fromSite = new();

        public Walker(ControlFlowGraph graph, SyntaxNode map, AddressKey? mapKey, IReadOnlyList<MappingUse> uses, Func<MappingUse, bool> isUnmap,
            Func<IOperation, FailureTest> failed, Func<IMethodSymbol, bool> isLibrary, Func<IOperation, IEnumerable<(SyntaxNode Call, string Unmapped)>> helperUnmaps)
        {
            _helperUnmaps = helperUnmaps;
            _isUnmap = isUnmap;
            _graph = graph;
            _map = map;
            _mapKey = mapKey;
            _uses = uses;
            _failed = failed;
            _isLibrary = isLibrary;
            _retested = PathConditions.Retested(graph);
        }

        public IReadOnlyList<UnmappedUse> Run()
        {
            if (!PathConditions.Explore(_graph, new PathState(Status.NotMade, null, null, false, PathConditions.Entry), Walk))
            {
                return Array.Empty<UnmappedUse>();
            }

            return _found.GroupBy(f => f.Use.At.Syntax)
                .Select(g => g.OrderBy(f => f.By).ThenBy(f => f.Site.SpanStart).First())
                .OrderBy(f => f.Use.At.Syntax.SpanStart)
                .Select(f => new UnmappedUse(f.Use, f.Site, f.By, OnlyAfter(f.Use.At.Syntax), LeadsHere(f.Site, f.By, f.Use.At.Syntax)))
                .ToList();
        }

        private bool OnlyAfter(SyntaxNode at) => _reached.TryGetValue(at, out var reached) && !reached.Other;

        private bool LeadsHere(SyntaxNode site, UnmappedBy by, SyntaxNode at) =>
            by == UnmappedBy.Unmap && _fromSite.TryGetValue(site, out var from) && !from.Escapes && from.First.Count == 1 && from.First.Contains(at);

        private bool HoldsMap(IOperation op) => PathConditions.Evaluates(op, _map);

        // A use is made where the graph evaluates it, not where a captured result of it is read (the return of
        // `error ? empty : Read(dev, a)` reads a capture the success branch made).
        private IEnumerable<MappingUse> UsesIn(IOperation op)
        {
            if (!_usesIn.TryGetValue(op, out List<MappingUse>? found))
            {
                found = _usesIn[op] = _uses.Where(u => PathConditions.Evaluates(op, u.At.Syntax)).ToList();
            }

            return found;
        }

        private PathState Step(IOperation op, PathState state)
        {
            if (HoldsMap(op))
            {
                Lose(state);
                return state with { Status = Status.Live, Site = null, Key = null, Met = false, Conditions = state.Conditions.After(op, flags: true) };
            }

            foreach (MappingUse use in UsesIn(op))
            {
                SyntaxNode at = use.At.Syntax;
                bool same = state.Key is null || AddressKey.Of(use.Operand).Text == state.Key.Text;
                bool after = state.Status is Status.Unmapped or Status.Failed && same;
                (bool After, bool Other) r = _reached.TryGetValue(at, out var known) ? known : default;
                _reached[at] = (r.After || after, r.Other || !after);
                if (after)
                {
                    _found.Add((use, state.Site!, state.Status == Status.Unmapped ? UnmappedBy.Unmap : UnmappedBy.Failure));
                    if (state.Status == Status.Unmapped && !state.Met)
                    {
                        Site(state.Site!).First.Add(at);
                    }

                    state = state with { Met = true };
                }
                else if (state.Status == Status.Live && _isUnmap(use))
                {
                    state = state with { Status = Status.Unmapped, Site = at, Key = AddressKey.Of(use.Operand), Met = false };
                }
            }

            // A helper of the compilation that unmaps the map's storage (a release called on the error path) unmaps it
            // here; its call neither reports (the second unmap through a helper is not followed) nor forgets the storage.
            bool helper = false;
            if (_mapKey is AddressKey mapKey)
            {
                if (!_helpers.TryGetValue(op, out var calls))
                {
                    calls = _helpers[op] = _helperUnmaps(op).ToList();
                }

                foreach ((SyntaxNode call, string unmapped) in calls)
                {
                    if (unmapped == mapKey.Text)
                    {
                        helper = true;
                        if (state.Status == Status.Live)
                        {
                            state = state with { Status = Status.Unmapped, Site = call, Key = mapKey, Met = false };
                        }
                    }
                }
            }

            if (!helper && state.Status is Status.Unmapped or Status.Failed && state.Key is AddressKey key && key.WrittenBy(op, _isLibrary))
            {
                Lose(state);
                state = state with { Status = Status.NotMade, Site = null, Key = null, Met = false };
            }

            return state with { Conditions = state.Conditions.After(op, flags: true) };
        }

        /// <summary>A path that stops following the storage before meeting a use: the earlier unmap was not redundant on it.</summary>
        private void Lose(PathState state)
        {
            if (state.Status == Status.Unmapped && !state.Met)
            {
                var s = Site(state.Site!);
                _fromSite[state.Site!] = (s.First, true);
            }
        }

        private (HashSet<SyntaxNode> First, bool Escapes) Site(SyntaxNode site)
        {
            if (!_fromSite.TryGetValue(site, out var s))
            {
                s = (new HashSet<SyntaxNode>(), false);
                _fromSite[site] = s;
            }

            return s;
        }

        private List<(BasicBlock, PathState)> Walk(BasicBlock block, PathState state)
        {
            var next = new List<(BasicBlock, PathState)>();
            foreach (IOperation op in block.Operations)
            {
                state = Step(op, state);
            }

            IOperation? value = block.BranchValue;
            if (value is not null)
            {
                state = Step(value, state);
            }

            if (block.ConditionalSuccessor is not null && value is not null)
            {
                FailureTest test = state.Status is Status.Live or Status.Failed ? _failed(value) : FailureTest.None;
                foreach ((ControlFlowBranch branch, bool condition) in PathConditions.Edges(block))
                {
                    // A path whose mapping failed takes a second test of it (the check kept in a local, ret = ..;
                    // if (ret) goto err) only on its failure edge.
                    if (state.Status == Status.Failed && test is FailureTest.WhenTrue or FailureTest.WhenFalse && !test.FailsOn(condition))
                    {
                        continue;
                    }

                    // Nor does it take a test of the address against zero on the zero edge: DMA_MAPPING_ERROR is not zero.
                    if (state.Status == Status.Failed && test.ZeroOn(condition))
                    {
                        continue;
                    }

                    if (state.Conditions.Take(value, condition, _retested) is not PathConditions conditions)
                    {
                        continue; // the path already knows the other way
                    }

                    PathState taken = state.Status == Status.Live && test.FailsOn(condition)
                        ? state with { Status = Status.Failed, Site = value.Syntax, Key = _mapKey, Met = false, Conditions = conditions }
                        : state with { Conditions = conditions };
                    Go(branch, taken);
                }

                return next;
            }

            if (block.FallThroughSuccessor is ControlFlowBranch fall)
            {
                Go(fall, state);
            }

            return next;

            void Go(ControlFlowBranch branch, PathState s)
            {
                // A path out of a try runs its finally blocks: what they do happens on the way.
                foreach (ControlFlowRegion region in branch.FinallyRegions)
                {
                    foreach (IOperation op in PathConditions.InRegion(_graph, region))
                    {
                        s = Step(op, s);
                    }
                }

                if (branch.Destination is BasicBlock b && b.Kind == BasicBlockKind.Block
                    && branch.Semantics is ControlFlowBranchSemantics.Regular)
                {
                    next.Add((b, s with { Conditions = ConditionsAhead.Trim(_graph, b.Ordinal, s.Conditions) }));
                }
                else
                {
                    Lose(s); // the function leaves (return, throw, end)
                }
            }
        }
    }
}
