using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// What a path through one body knows of its conditions, for the path walks of family 3 (<see cref="ErrorReturnPaths"/>,
/// <see cref="UnmappedUsePaths"/>): the locals it knows to hold an error or not (<see cref="ErrorLocals"/>), and the
/// conditions it has seen decided, by text: a condition the body tests more than once
/// (<c>if (!is_dmabuf) map; .. if (ret &amp;&amp; !is_dmabuf) unmap;</c>), a flag the path set to a constant
/// (<c>mapped = false; .. if (mapped) unmap;</c>) and a state the path set to an enum constant
/// (<c>buf-&gt;state = UNMAPPED; .. if (buf-&gt;state == MAPPED) unmap;</c>). An edge that contradicts them is not taken.
/// </summary>
internal readonly record struct PathConditions(ImmutableDictionary<ILocalSymbol, bool> Errors, ImmutableDictionary<string, bool> Known, ImmutableDictionary<string, long> States)
{
    /// <summary>A path at the entry: nothing known.</summary>
    public static PathConditions Entry { get; } = new(
        ImmutableDictionary<ILocalSymbol, bool>.Empty.WithComparers(SymbolEqualityComparer.Default),
        ImmutableDictionary<string, bool>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableDictionary<string, long>.Empty.WithComparers(StringComparer.Ordinal));

    /// <summary>
    /// Two paths know the same when their dictionaries hold the same entries (the walks' visited sets compare states by
    /// value; the dictionaries are rebuilt on every step, so they are never the same instances).
    /// </summary>
    public bool Equals(PathConditions other) => Same(Errors, other.Errors) && Same(Known, other.Known) && Same(States, other.States);

    public override int GetHashCode() => Hash(Errors) ^ (Hash(Known) * 7) ^ (Hash(States) * 13);

    private static bool Same<TKey, TValue>(ImmutableDictionary<TKey, TValue> a, ImmutableDictionary<TKey, TValue> b)
        where TKey : notnull
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        foreach (KeyValuePair<TKey, TValue> entry in a)
        {
            if (!b.TryGetValue(entry.Key, out TValue? value) || !EqualityComparer<TValue>.Default.Equals(value, entry.Value))
            {
                return false;
            }
        }

        return true;
    }

    // Order-independent: the same entries hash alike in any dictionary.
    private static int Hash<TKey, TValue>(ImmutableDictionary<TKey, TValue> d)
        where TKey : notnull
    {
        int hash = d.Count;
        foreach (KeyValuePair<TKey, TValue> entry in d)
        {
            hash += (d.KeyComparer.GetHashCode(entry.Key) * 31) ^ EqualityComparer<TValue>.Default.GetHashCode(entry.Value!);
        }

        return hash;
    }

    // A bound on the states a walk visits: bodies are small, the locals tested few; past it the walk gives up.
    private const int MaxStates = 4096;

    /// <summary>
    /// Visits <paramref name="graph"/> path by path from its entry: each block once per distinct path state (states
    /// compare by value), <paramref name="walk"/> giving the blocks a state goes on to. False when the walk gave up
    /// (more than 4,096 states): its findings are then not to be reported.
    /// </summary>
    public static bool Explore<TState>(ControlFlowGraph graph, TState entry, Func<BasicBlock, TState, IEnumerable<(BasicBlock, TState)>> walk)
        where TState : IEquatable<TState>
    {
        var seen = new HashSet<(int, TState)>();
        var work = new Stack<(BasicBlock, TState)>();
        work.Push((graph.Blocks[0], entry));
        while (work.Count > 0)
        {
            (BasicBlock block, TState state) = work.Pop();
            if (!seen.Add((block.Ordinal, state)))
            {
                continue;
            }

            if (seen.Count > MaxStates)
            {
                return false;
            }

            foreach ((BasicBlock, TState) next in walk(block, state))
            {
                work.Push(next);
            }
        }

        return true;
    }

    /// <summary>The texts of the conditions <paramref name="graph"/> branches on more than once.</summary>
    public static HashSet<string> Retested(ControlFlowGraph graph) => new(
        graph.Blocks.Where(b => b.ConditionalSuccessor is not null && b.BranchValue is not null)
            .Select(b => Condition(b.BranchValue!).Text)
            .GroupBy(t => t, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key),
        StringComparer.Ordinal);

    /// <summary>
    /// What the path knows after <paramref name="op"/>: conditions and states reading what it assigns are forgotten; with
    /// <paramref name="flags"/>, a constant <c>bool</c> stored is remembered as that condition's value, and an enum
    /// constant stored as the state of what it is stored into.
    /// </summary>
    public PathConditions After(IOperation op, bool flags = false)
    {
        ImmutableDictionary<string, bool> known = Known;
        ImmutableDictionary<string, long> states = States;
        foreach (IOperation o in op.DescendantsAndSelf())
        {
            // What an out or ref argument or ++/-- writes is forgotten as a store is (`Prepare(out ret); if (ret != 0)`).
            if (ErrorLocals.WrittenInPlace(o) is IOperation written)
            {
                string name = written.Syntax.ToString();
                known = known.IsEmpty ? known : known.RemoveRange(known.Keys.Where(k => k.Contains(name)).ToList());
                states = states.IsEmpty ? states : states.RemoveRange(states.Keys.Where(k => k.Contains(name)).ToList());
            }

            if (o is IAssignmentOperation assignment)
            {
                // (A declaration's initializer, `bool mapped = false;`, is an assignment whose target's syntax is the declarator.)
                string target = assignment.Target is ILocalReferenceOperation { IsDeclaration: true } declared
                    ? declared.Local.Name
                    : assignment.Target.Syntax.ToString();
                if (!known.IsEmpty)
                {
                    known = known.RemoveRange(known.Keys.Where(k => k.Contains(target)).ToList());
                }

                if (!states.IsEmpty)
                {
                    states = states.RemoveRange(states.Keys.Where(k => k.Contains(target)).ToList());
                }

                if (flags && o is ISimpleAssignmentOperation && assignment.Value.ConstantValue is { HasValue: true, Value: bool set })
                {
                    known = known.SetItem(target, set);
                }
                else if (flags && o is ISimpleAssignmentOperation && EnumConstant(assignment.Value) is long state)
                {
                    states = states.SetItem(target, state);
                }
            }
        }

        return new PathConditions(ErrorLocals.After(op, Errors), known, states);
    }

    /// <summary>
    /// The conditions on the edge where <paramref name="value"/> is <paramref name="holds"/>; null when the path already
    /// knows the other way (the edge cannot be taken on it).
    /// </summary>
    public PathConditions? Take(IOperation value, bool holds, HashSet<string> retested)
    {
        (string text, bool negated) = Condition(value);
        bool plain = holds != negated;
        if (Known.TryGetValue(text, out bool known) && known != plain)
        {
            return null; // the same test went the other way earlier on this path
        }

        if (ErrorLocals.Refine(value, holds, Errors) is not { } errors)
        {
            return null; // contradicts what the path knows of a local it tested
        }

        if (StateTest(value, holds) is bool decided && !decided)
        {
            return null; // the state the path set says the test goes the other way
        }

        return new PathConditions(errors, retested.Contains(text) ? Known.SetItem(text, plain) : Known, States);
    }

    /// <summary>
    /// Whether <paramref name="value"/> being <paramref name="holds"/> agrees with a state the path set: a test
    /// <c>s == K</c> or <c>s != K</c> of an enum constant <c>K</c>, where the path stored a constant into <c>s</c>; null
    /// when the path knows nothing of it.
    /// </summary>
    private bool? StateTest(IOperation value, bool holds)
    {
        while (value is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            holds = !holds;
            value = not.Operand;
        }

        if (States.IsEmpty || value is not IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } test)
        {
            return null;
        }

        (IOperation tested, long? constant) = EnumConstant(test.RightOperand) is long r ? (test.LeftOperand, r)
            : EnumConstant(test.LeftOperand) is long l ? (test.RightOperand, (long?)l)
            : (test.LeftOperand, null);
        while (tested is IConversionOperation conversion)
        {
            tested = conversion.Operand;
        }

        if (constant is not long k || !States.TryGetValue(tested.Syntax.ToString(), out long state))
        {
            return null;
        }

        bool equal = state == k;
        return (test.OperatorKind == BinaryOperatorKind.Equals ? equal : !equal) == holds;
    }

    /// <summary>The value of an enum constant (<c>BufState.Unmapped</c>), as a long; null for anything else.</summary>
    private static long? EnumConstant(IOperation value)
    {
        while (value is IConversionOperation { IsImplicit: true } conversion)
        {
            value = conversion.Operand;
        }

        return value.Type?.TypeKind == TypeKind.Enum && value.ConstantValue is { HasValue: true, Value: object v }
            ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>
    /// Whether the graph's operation <paramref name="op"/> evaluates the call or store written as <paramref name="syntax"/>
    /// itself: its span holds it and its tree has the call or store, not only a capture of its result made in another
    /// block (<c>return error ? empty : Read(dev, a)</c> reads in the return what the branch computed).
    /// </summary>
    public static bool Evaluates(IOperation op, SyntaxNode syntax) =>
        op.Syntax.SyntaxTree == syntax.SyntaxTree && op.Syntax.Span.Contains(syntax.Span)
        && op.DescendantsAndSelf().Any(d => d.Syntax == syntax && d.Kind is OperationKind.Invocation or OperationKind.SimpleAssignment);

    /// <summary>The two ways out of a block that branches on its condition, each with the condition's value on it.</summary>
    public static IEnumerable<(ControlFlowBranch Branch, bool When)> Edges(BasicBlock block)
    {
        bool takenWhen = block.ConditionKind == ControlFlowConditionKind.WhenTrue;
        yield return (block.ConditionalSuccessor!, takenWhen);
        if (block.FallThroughSuccessor is ControlFlowBranch otherwise)
        {
            yield return (otherwise, !takenWhen);
        }
    }

    /// <summary>A condition by its text, <c>!</c> taken off.</summary>
    public static (string Text, bool Negated) Condition(IOperation value)
    {
        bool negated = false;
        while (value is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            negated = !negated;
            value = not.Operand;
        }

        return (Texts.GetValue(value.Syntax, s => s.ToString()), negated);
    }

    // A branch's text is asked at every step of every walk that passes it; the syntax does not change, so it is made once.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SyntaxNode, string> Texts = new();

    /// <summary>The operations of a region's blocks (a finally), branch values included.</summary>
    public static IEnumerable<IOperation> InRegion(ControlFlowGraph graph, ControlFlowRegion region)
    {
        for (int i = region.FirstBlockOrdinal; i <= region.LastBlockOrdinal; i++)
        {
            BasicBlock b = graph.Blocks[i];
            foreach (IOperation op in b.Operations)
            {
                yield return op;
            }

            if (b.BranchValue is not null)
            {
                yield return b.BranchValue;
            }
        }
    }
}
