using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Stores into a library flag the summary keeps (<see cref="FactProducers.KeptBySummary"/>): what a store says about
/// the distance. The kernel's exporters clear <c>attach-&gt;peer2peer</c> when <c>pci_p2pdma_distance() &lt; 0</c>;
/// the flag is then true only where P2P is possible, and a map callback that tests it tests the distance.
/// </summary>
internal sealed partial class Evaluator
{
    /// <summary>
    /// What a store hands to the flag's node: false stored where the distance says "not possible" is a "possible"
    /// verdict on the flag; a verdict stored is itself; false stored anywhere else never makes the flag true (nothing);
    /// anything else spoils the verdict (both verdicts, which agree on nothing).
    /// </summary>
    private FlowValue VerdictStored(IOperation target, FlowValue value)
    {
        IOperation? store = target.Parent;
        if (store is ISimpleAssignmentOperation { Value.ConstantValue: { HasValue: true, Value: false } })
        {
            return ImpossibleWhere(store) is Origin check
                ? FlowValue.Of(new Fact(FactKind.DistanceVerdict, check, key: FactKey.Of(KeyKind.Possible)))
                : FlowValue.Empty;
        }

        FlowValue verdicts = value.Where(f => f.Kind == FactKind.DistanceVerdict);
        if (!verdicts.IsEmpty && store is ISimpleAssignmentOperation or ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.And })
        {
            return verdicts;
        }

        var here = new Origin(Reporting.Text(target.Syntax), target.Syntax.GetLocation());
        return FlowValue.Of(new Fact(FactKind.DistanceVerdict, here, key: FactKey.Of(KeyKind.Possible)))
            .Add(new Fact(FactKind.DistanceVerdict, here, key: FactKey.Of(KeyKind.Impossible)));
    }

    /// <summary>
    /// The distance check under which <paramref name="store"/> runs only when P2P is not possible: an if around it,
    /// taken when its condition (or a conjunct of it) says "not possible", or not taken when it says "possible". Read
    /// from the syntax: the flow graph has no if left to climb to.
    /// </summary>
    private Origin? ImpossibleWhere(IOperation store)
    {
        SyntaxNode child = store.Syntax;
        for (SyntaxNode? parent = child.Parent; parent is not null and not MemberDeclarationSyntax and not LambdaExpressionSyntax and not LocalFunctionStatementSyntax;
            child = parent, parent = parent.Parent)
        {
            if (parent is IfStatementSyntax ifStatement && child != ifStatement.Condition
                && _context.Model?.GetOperation(ifStatement.Condition) is IOperation condition
                && ImpossibleWhen(condition, child == ifStatement.Statement) is Origin check)
            {
                return check;
            }
        }

        return null;
    }

    /// <summary>Where the distance was compared, when <paramref name="condition"/> holding (or failing) says "not possible".</summary>
    private Origin? ImpossibleWhen(IOperation condition, bool holds)
    {
        while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            condition = not.Operand;
            holds = !holds;
        }

        // a && b holds: both hold; a || b fails: both fail.
        if (condition is IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } logical
            && (logical.OperatorKind == BinaryOperatorKind.ConditionalAnd) == holds)
        {
            return ImpossibleWhen(logical.LeftOperand, holds) ?? ImpossibleWhen(logical.RightOperand, holds);
        }

        if (condition is IBinaryOperation compare)
        {
            return DistanceVerdicts.PossibleWhen(compare, d => Peek(d).Has(FactKind.Distance)) is bool p && p != holds
                ? new Origin(Reporting.Text(compare.Syntax), compare.Syntax.GetLocation())
                : null;
        }

        // A bool that keeps a verdict: where that verdict was computed.
        FlowValue value = Peek(condition);
        return DistanceVerdicts.Of(value) is bool possible && possible != holds ? Reporting.Earliest(value, FactKind.DistanceVerdict)?.Origin : null;
    }
}
