using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// What a comparison of a P2P distance with 0 or -1 says: "P2P possible" when it holds, or when it fails. Shared by the
/// transfer of comparisons (a verdict kept in a bool) and the distance gates.
/// </summary>
internal static class DistanceVerdicts
{
    /// <summary>
    /// True/false: the comparison says "P2P possible" when it holds / fails; null: not a comparison with 0 or -1 of an
    /// operand that <paramref name="isDistance"/> says carries a distance.
    /// </summary>
    public static bool? PossibleWhen(IBinaryOperation compare, System.Func<IOperation, bool> isDistance)
    {
        BinaryOperatorKind op = compare.OperatorKind;
        IOperation distance = compare.LeftOperand;
        Optional<object?> constant = compare.RightOperand.ConstantValue;
        if (!constant.HasValue)
        {
            (distance, constant, op) = (compare.RightOperand, compare.LeftOperand.ConstantValue, Mirror(op));
        }

        if (!constant.HasValue || constant.Value is not int c || !isDistance(distance))
        {
            return null;
        }

        return (op, c) switch
        {
            (BinaryOperatorKind.GreaterThanOrEqual, 0) or (BinaryOperatorKind.GreaterThan, -1) or (BinaryOperatorKind.NotEquals, -1) => true,
            (BinaryOperatorKind.LessThan, 0) or (BinaryOperatorKind.LessThanOrEqual, -1) or (BinaryOperatorKind.Equals, -1) => false,
            _ => null,
        };
    }

    /// <summary>
    /// The verdict a bool carries: true when it is true where P2P is possible, false when it is true where it is not;
    /// null when it carries none, or both (stores that disagree).
    /// </summary>
    public static bool? Of(FlowValue value)
    {
        bool possible = value.Facts.Any(f => f.Kind == FactKind.DistanceVerdict && f.Key.Kind == KeyKind.Possible);
        bool impossible = value.Facts.Any(f => f.Kind == FactKind.DistanceVerdict && f.Key.Kind == KeyKind.Impossible);
        return possible == impossible ? null : possible;
    }

    private static BinaryOperatorKind Mirror(BinaryOperatorKind op) => op switch
    {
        BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
        BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
        BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
        BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
        _ => op,
    };
}
