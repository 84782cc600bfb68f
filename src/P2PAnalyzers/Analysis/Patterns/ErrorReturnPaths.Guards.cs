using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

internal static partial class ErrorReturnPaths
{
    /// <summary>A condition of a guard: the condition as written (leading <c>!</c> taken off) and its value on the leaking paths.</summary>
    internal readonly record struct GuardCondition(SyntaxNode Condition, bool When);

    /// <summary>
    /// For a leak whose exit paths that do not leak reach too: one or two conditions the body tests, known on every path
    /// to the exit (tested before it, nothing they read assigned since), that hold on every leaking path and not together
    /// on any other. An unmap guarded by them just before the exit unmaps exactly where the mapping leaks: io_uring
    /// zcrx's fix, <c>if (ret &amp;&amp; !area-&gt;mem.is_dmabuf) dma_unmap_sgtable(..)</c> before <c>return ret</c>.
    /// Null when there are none, or a leaking path never tested the mapping's success.
    /// </summary>
    /// <remarks>
    /// Conditions are compared by text, as the walk remembers them: comparisons of locals, parameters, fields and
    /// properties with constants, or such a value itself. A local passed by reference or captured by a lambda is left
    /// out (it may change unseen); a member is taken to keep its value across calls handed its object, as the walk takes
    /// conditions tested twice to.
    /// </remarks>
    public static IReadOnlyList<GuardCondition>? Guard(ControlFlowGraph graph, IOperation map, Func<IOperation, bool> ends, Func<IOperation, FailureTest> failed,
        Func<IOperation, bool> handsOn, bool anyExit, SyntaxNode body, SyntaxNode exit)
    {
        Dictionary<string, SyntaxNode> conditions = PureConditions(graph);
        if (conditions.Count == 0)
        {
            return null;
        }

        Walker walker = new Walker(graph, map.Syntax, ends, failed, handsOn, anyExit, body, exhaustive: true).Remembering(conditions.Keys);
        if (walker.Run() is null || walker.Arrivals is null)
        {
            return null;
        }

        var arrivals = walker.Arrivals.Where(a => a.Exit == exit).ToList();
        var leaking = arrivals.Where(a => a.Leaks).ToList();
        if (leaking.Count == 0 || leaking.Any(a => !a.Tested))
        {
            return null;
        }

        var others = arrivals.Where(a => !a.Leaks).ToList();
        // The tests nearest the exit first (the error test the exit returns after, as zcrx's fix used `ret`).
        var consistent = conditions.OrderByDescending(c => c.Value.SpanStart).Select(c => c.Key)
            .Where(text => leaking[0].Known.ContainsKey(text) && leaking.All(a => a.Known.TryGetValue(text, out bool v) && v == leaking[0].Known[text]))
            .Select(text => (Text: text, When: leaking[0].Known[text]))
            .ToList();
        bool Excludes((string Text, bool When) c, ImmutableDictionary<string, bool> known) => known.TryGetValue(c.Text, out bool v) && v != c.When;
        foreach (var c in consistent)
        {
            if (others.All(a => Excludes(c, a.Known)))
            {
                return new[] { new GuardCondition(conditions[c.Text], c.When) };
            }
        }

        for (int i = 0; i < consistent.Count; i++)
        {
            for (int j = i + 1; j < consistent.Count; j++)
            {
                if (others.All(a => Excludes(consistent[i], a.Known) || Excludes(consistent[j], a.Known)))
                {
                    return new[] { new GuardCondition(conditions[consistent[i].Text], consistent[i].When), new GuardCondition(conditions[consistent[j].Text], consistent[j].When) };
                }
            }
        }

        return null;
    }

    /// <summary>The body's branch conditions a guard may repeat, by text, each with its first occurrence in source order.</summary>
    private static Dictionary<string, SyntaxNode> PureConditions(ControlFlowGraph graph)
    {
        // Locals that may change where the walk sees no assignment: passed by reference, or named in a lambda.
        var operations = graph.Blocks.SelectMany(b => b.Operations.Concat(b.BranchValue is null ? Enumerable.Empty<IOperation>() : new[] { b.BranchValue }))
            .SelectMany(op => op.DescendantsAndSelf()).ToList();
        var unsteady = new HashSet<string>(
            operations.OfType<IArgumentOperation>().Where(a => a.Parameter?.RefKind is not (null or RefKind.None) && a.Value is ILocalReferenceOperation)
                .Select(a => ((ILocalReferenceOperation)a.Value).Local.Name)
                .Concat(operations.OfType<IFlowAnonymousFunctionOperation>()
                    .SelectMany(f => f.Syntax.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax>().Select(n => n.Identifier.ValueText))),
            StringComparer.Ordinal);
        var found = new Dictionary<string, SyntaxNode>(StringComparer.Ordinal);
        foreach (BasicBlock block in graph.Blocks.OrderBy(b => b.BranchValue?.Syntax.SpanStart ?? int.MaxValue))
        {
            if (block.ConditionalSuccessor is null || block.BranchValue is not IOperation value)
            {
                continue;
            }

            while (value is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
            {
                value = not.Operand;
            }

            string text = PathConditions.Condition(value).Text;
            if (Pure(value, unsteady) && !found.ContainsKey(text))
            {
                found[text] = value.Syntax;
            }
        }

        return found;
    }

    private static bool Pure(IOperation value, HashSet<string> unsteady) => value switch
    {
        IConversionOperation conversion => Pure(conversion.Operand, unsteady),
        IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual
            or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual } binary
            => (binary.LeftOperand.ConstantValue.HasValue || binary.RightOperand.ConstantValue.HasValue) && Pure(binary.LeftOperand, unsteady) && Pure(binary.RightOperand, unsteady),
        ILocalReferenceOperation local => !unsteady.Contains(local.Local.Name),
        IParameterReferenceOperation { Parameter.RefKind: RefKind.None } => true,
        IFieldReferenceOperation field => field.Instance is null || Pure(field.Instance, unsteady),
        IPropertyReferenceOperation { Arguments.Length: 0 } property => property.Instance is null || Pure(property.Instance, unsteady),
        IInstanceReferenceOperation => true,
        _ => value.ConstantValue.HasValue,
    };
}
