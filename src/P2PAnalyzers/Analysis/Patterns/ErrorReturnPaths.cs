using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>What a branch condition says about a mapping made before it.</summary>
internal enum FailureTest : byte
{
    /// <summary>Nothing: both edges carry the mapping.</summary>
    None,

    /// <summary>The mapping failed where the condition is true (<c>if (dma_mapping_error(dev, a))</c>).</summary>
    WhenTrue,

    /// <summary>The mapping failed where the condition is false (<c>if (ret == 0)</c> after <c>ret = dma_map_sgtable(..)</c>).</summary>
    WhenFalse,

    /// <summary>
    /// The address is zero where the condition is true (<c>if (!outbuf_dma)</c>): the kernel's "never mapped", as the
    /// local started; no failed mapping is zero (<c>DMA_MAPPING_ERROR</c> is all ones), and the other edge says nothing
    /// of success.
    /// </summary>
    ZeroWhenTrue,

    /// <summary>The address is zero where the condition is false (mtip32xx's <c>abort: if (outbuf_dma) dma_unmap_single(..)</c>).</summary>
    ZeroWhenFalse,
}

/// <summary>What a <see cref="FailureTest"/> says of an edge.</summary>
internal static class FailureTests
{
    /// <summary>Whether the edge where the condition is <paramref name="condition"/> is the mapping's failure.</summary>
    public static bool FailsOn(this FailureTest test, bool condition) =>
        (test == FailureTest.WhenTrue && condition) || (test == FailureTest.WhenFalse && !condition);

    /// <summary>Whether the edge where the condition is <paramref name="condition"/> has the address zero.</summary>
    public static bool ZeroOn(this FailureTest test, bool condition) =>
        (test == FailureTest.ZeroWhenTrue && condition) || (test == FailureTest.ZeroWhenFalse && !condition);
}

/// <summary>
/// The kernel convention P2P0022 holds code to: a function that returns an error leaves nothing behind, so every path
/// from a mapping that succeeded to a return of an error (a negative errno constant, a <c>DmaError</c> other than None,
/// or a local the path has found non-zero or negative: <c>if (ret) goto err; ... err: return ret;</c>) or to a
/// <c>throw</c> must unmap it or hand it on. The walk follows one body's control flow graph path by path from the entry;
/// a path's conditions are the locals it knows to hold an error or not (<see cref="ErrorLocals"/>) and the conditions
/// the body tests more than once, by text. A path stops being a leak where the mapping is unmapped, handed on, or shown
/// to have failed, and leaks at an error return or a throw.
/// </summary>
internal static partial class ErrorReturnPaths
{
    /// <summary>
    /// The first (in source order) error return or throw reachable through <paramref name="map"/> along which
    /// <paramref name="ends"/> holds for no operation after it; null when none (or the walk gave up).
    /// </summary>
    /// <remarks>
    /// The walk starts at the entry, so that a condition tested before the map and again after it
    /// (<c>if (!area-&gt;mem.is_dmabuf) map; ... if (ret &amp;&amp; !area-&gt;mem.is_dmabuf) unmap;</c>) takes the same
    /// edge both times: conditions the body tests more than once are remembered by their text on the path (and
    /// forgotten when something they read is assigned).
    /// </remarks>
    /// <param name="graph">The body's control flow graph.</param>
    /// <param name="map">The map call (an operation of the original tree: matched to the graph by syntax).</param>
    /// <param name="ends">Whether an operation unmaps the mapping or hands it on.</param>
    /// <param name="failed">What a branch condition says about the mapping.</param>
    /// <param name="handsOn">Whether a returned value hands the mapping on.</param>
    /// <param name="anyExit">
    /// Whether every way out counts, not only error returns: a single address kept in a local is lost at any return or at
    /// the end of the function (a table lives in its object, which a success return leaves mapped for the completion).
    /// </param>
    /// <param name="body">The function's body: the key of the end of the function, which has no statement of its own.</param>
    public static Leak? FirstLeak(ControlFlowGraph graph, IOperation map, Func<IOperation, bool> ends, Func<IOperation, FailureTest> failed, Func<IOperation, bool> handsOn,
        bool anyExit, SyntaxNode body)
    {
        // Paths past an unmap, a hand-off or a failure matter only to say whether a leaking exit is reached otherwise
        // too: they are walked only once a leak was found (most bodies have none).
        if (new Walker(graph, map.Syntax, ends, failed, handsOn, anyExit, body, exhaustive: false).Run() is not Leak leak)
        {
            return null;
        }

        var walker = new Walker(graph, map.Syntax, ends, failed, handsOn, anyExit, body, exhaustive: true);
        Leak? whole = walker.Run();
        return whole is Leak w && w.Exit == leak.Exit ? w with { FurtherExits = walker.OnlyLeaking(except: w.Exit) } : leak with { OnlyLeaksReachIt = false };
    }

    /// <summary>
    /// A leaking exit: the return or throw, and whether every path that reaches it leaks the mapping after testing that
    /// it succeeded (none arrives before the map, after its unmap or hand-off, on its failure edge, without its test, or
    /// returning success), where an unmap added just before it is sound.
    /// </summary>
    internal readonly record struct Leak(SyntaxNode Exit, bool OnlyLeaksReachIt, bool Error)
    {
        /// <summary>
        /// For each conditional edge (a block and the value its condition has there), whether some path takes it with the
        /// mapping live and tested, and whether some path takes it otherwise; from the walk of every path only.
        /// </summary>
        public IReadOnlyDictionary<(int Block, bool When), (bool Live, bool Other)> Edges { get; init; } =
            new Dictionary<(int Block, bool When), (bool Live, bool Other)>();

        /// <summary>
        /// The other leaking returns and throws that only leaking paths reach, in source order (mxs_dcp_start_dma's
        /// -ETIMEDOUT and -EINVAL): where an unmap added before each, with the first, releases the mapping on every way
        /// out. From the walk of every path only.
        /// </summary>
        public IReadOnlyList<SyntaxNode> FurtherExits { get; init; } = System.Array.Empty<SyntaxNode>();
    }

    private enum Status : byte
    {
        NotMade,
        Live,
        Gone,
    }

    private readonly record struct PathState(Status Status, bool Tested, PathConditions Conditions);

    private sealed class Walker
    {
        private readonly ControlFlowGraph _graph;
        private readonly SyntaxNode _map;
        private readonly Func<IOperation, bool> _ends;
        private readonly Func<IOperation, FailureTest> _failed;
        private readonly Func<IOperation, bool> _handsOn;
        private readonly HashSet<string> _retested;
        private readonly bool _exhaustive;
        // Every exit reached, with whether some path leaks there and whether some path arrives there otherwise.
        private readonly Dictionary<SyntaxNode, (bool Leaks, bool Other, bool Error)> _exits = new();
        private readonly Dictionary<(int Block, bool When), (bool Live, bool Other)> _edges = new();
        private readonly bool _anyExit;
        private readonly SyntaxNode _body;

        /// <summary>With <see cref="Remembering"/>: every arrival at an exit, whether it leaks (and was tested) and what its path knew.</summary>
        public List<(SyntaxNode Exit, bool Leaks, bool Tested, ImmutableDictionary<string, bool> Known)>? Arrivals { get; private set; }

        /// <summary>Remembers <paramref name="conditions"/> on every path too (the guard walk) and records the arrivals.</summary>
        public Walker Remembering(IEnumerable<string> conditions)
        {
            _retested.UnionWith(conditions);
            Arrivals = new();
            return this;
        }

        public Walker(ControlFlowGraph graph, SyntaxNode map, Func<IOperation, bool> ends, Func<IOperation, FailureTest> failed, Func<IOperation, bool> handsOn,
            bool anyExit, SyntaxNode body, bool exhaustive)
        {
            _anyExit = anyExit;
            _body = body;
            _exhaustive = exhaustive;
            _graph = graph;
            _map = map;
            _ends = ends;
            _failed = failed;
            _handsOn = handsOn;
            _retested = PathConditions.Retested(graph);
        }

        public Leak? Run()
        {
            if (!PathConditions.Explore(_graph, new PathState(Status.NotMade, false, PathConditions.Entry),
                (block, state) => Walk(block, state).Where(next => _exhaustive || next.Item2.Status != Status.Gone)))
            {
                return null;
            }

            return _exits.Where(e => e.Value.Leaks).OrderBy(e => e.Key == _body ? e.Key.Span.End : e.Key.SpanStart)
                .Select(e => (Leak?)new Leak(e.Key, !e.Value.Other, e.Value.Error) { Edges = _edges }).FirstOrDefault();
        }

        /// <summary>After <see cref="Run"/>: the leaking exits other than <paramref name="except"/> that only leaking paths reach (not the body's end).</summary>
        public IReadOnlyList<SyntaxNode> OnlyLeaking(SyntaxNode except) =>
            _exits.Where(e => e.Value.Leaks && !e.Value.Other && e.Key != except && e.Key != _body).Select(e => e.Key).OrderBy(e => e.SpanStart).ToList();

        private bool HoldsMap(IOperation op) => PathConditions.Evaluates(op, _map);

        private List<(BasicBlock, PathState)> Walk(BasicBlock block, PathState state)
        {
            var next = new List<(BasicBlock, PathState)>();
            foreach (IOperation op in block.Operations)
            {
                if (state.Status != Status.Live && HoldsMap(op))
                {
                    state = state with { Status = Status.Live, Tested = false };
                }

                if (state.Status == Status.Live && _ends(op))
                {
                    state = state with { Status = Status.Gone };
                }

                state = state with { Conditions = state.Conditions.After(op, flags: true) };
            }

            IOperation? value = block.BranchValue;
            if (value is not null && state.Status != Status.Live && HoldsMap(value))
            {
                state = state with { Status = Status.Live, Tested = false };
            }

            if (block.ConditionalSuccessor is not null && value is not null)
            {
                if (state.Status == Status.Live && _ends(value))
                {
                    state = state with { Status = Status.Gone };
                }

                FailureTest test = state.Status == Status.Live ? _failed(value) : FailureTest.None;
                foreach ((ControlFlowBranch branch, bool condition) in PathConditions.Edges(block))
                {
                    // The paths past the mapping's failure are followed too: an exit they reach is not only a leak's.
                    // A zero address holds no mapping either (a mapping at bus address zero is not one the kernel's
                    // `if (dma) unmap` idiom could release, and the idiom is everywhere).
                    bool failedHere = test.FailsOn(condition) || test.ZeroOn(condition);
                    if (state.Conditions.Take(value, condition, _retested) is not PathConditions conditions)
                    {
                        continue; // the path already knows the other way
                    }

                    // Past the test on its success edge the mapping is known to exist: an unmap there is sound.
                    bool tested = state.Tested || test is FailureTest.WhenTrue or FailureTest.WhenFalse;
                    PathState taken = state with { Status = failedHere ? Status.Gone : state.Status, Tested = tested, Conditions = conditions };
                    if (_exhaustive)
                    {
                        bool live = taken.Status == Status.Live && taken.Tested;
                        (bool Live, bool Other) use = _edges.TryGetValue((block.Ordinal, condition), out var u) ? u : default;
                        _edges[(block.Ordinal, condition)] = (use.Live || live, use.Other || !live);
                    }

                    Step(branch, taken, null);
                }

                return next;
            }

            if (block.FallThroughSuccessor is ControlFlowBranch fall)
            {
                Step(fall, state, value);
            }

            return next;

            void Step(ControlFlowBranch branch, PathState s, IOperation? returned)
            {
                // A path out of a try runs its finally blocks: an unmap or hand-off there ends it too.
                if (s.Status == Status.Live && branch.FinallyRegions.Any(r => PathConditions.InRegion(_graph, r).Any(_ends)))
                {
                    s = s with { Status = Status.Gone };
                }

                switch (branch.Semantics)
                {
                    case ControlFlowBranchSemantics.Return when returned is not null:
                        bool error = ErrorLocals.IsError(returned, s.Conditions.Errors);
                        Arrive(returned.Syntax.Parent ?? returned.Syntax,
                            s.Status == Status.Live && !_ends(returned) && !_handsOn(returned) && (error || _anyExit), s.Tested, error, s.Conditions.Known);
                        return;
                    case ControlFlowBranchSemantics.Throw when returned is not null:
                        Arrive(returned.Syntax.Parent ?? returned.Syntax, s.Status == Status.Live, s.Tested, error: true, s.Conditions.Known);
                        return;
                    case ControlFlowBranchSemantics.Regular or ControlFlowBranchSemantics.Return when branch.Destination is { Kind: BasicBlockKind.Exit }:
                        // The end of the function, or a return without a value: no statement of its own in the graph.
                        Arrive(_body, s.Status == Status.Live && _anyExit, s.Tested, error: false, s.Conditions.Known);
                        return;
                    case ControlFlowBranchSemantics.Regular when branch.Destination is BasicBlock b && b.Kind == BasicBlockKind.Block:
                        // The guard walk reads what paths knew at the exits: it forgets nothing.
                        next.Add((b, Arrivals is not null ? s : s with { Conditions = ConditionsAhead.Trim(_graph, b.Ordinal, s.Conditions) }));
                        return;
                }
            }
        }

        // "Other" also counts a leak on a path that never tested the mapping: an unmap added there could unmap a failed one.
        private void Arrive(SyntaxNode exit, bool leaks, bool tested, bool error, ImmutableDictionary<string, bool> conditions)
        {
            Arrivals?.Add((exit, leaks, tested, conditions));
            (bool Leaks, bool Other, bool Error) known = _exits.TryGetValue(exit, out var k) ? k : default;
            _exits[exit] = (known.Leaks || leaks, known.Other || !leaks || !tested, known.Error || (leaks && error));
        }
    }
}
