using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The kernel's error values as a path sees them: a negative errno constant (<c>-ENOMEM</c>, a <c>DmaError</c> other
/// than None), or a local the path assigned one, or tested non-zero or negative (<c>if (ret) goto err</c>,
/// <c>if (ret &lt; 0)</c>, the false edge of <c>if (ret == 0)</c>). Used by <see cref="ErrorReturnPaths"/>.
/// </summary>
internal static class ErrorLocals
{
    /// <summary>Whether <paramref name="value"/> is an error on a path where <paramref name="errors"/> hold one.</summary>
    public static bool IsError(IOperation value, ImmutableDictionary<ILocalSymbol, bool> errors)
    {
        value = Unwrap(value);
        if (Constant(value) is long c)
        {
            return c < 0;
        }

        return value switch
        {
            ILocalReferenceOperation local => errors.TryGetValue(local.Local, out bool e) && e,
            IUnaryOperation { OperatorKind: UnaryOperatorKind.Minus, Operand: var operand } => Unwrap(operand) is ILocalReferenceOperation l && errors.TryGetValue(l.Local, out bool f) && f,
            // ERR_PTR(-EINVAL): an object (not a number) made from nothing but an error, as a function returning a
            // pointer reports its failure.
            IInvocationOperation { Instance: null, Arguments: [IArgumentOperation only] } call
                when call.Type is { IsReferenceType: true } && call.Type.SpecialType != SpecialType.System_String => IsError(only.Value, errors),
            _ => false,
        };
    }

    /// <summary>
    /// What the path knows of its locals after <paramref name="op"/>: a constant stored records an error (non-zero) or not,
    /// an error value stored records one, any other store forgets the local.
    /// </summary>
    public static ImmutableDictionary<ILocalSymbol, bool> After(IOperation op, ImmutableDictionary<ILocalSymbol, bool> errors)
    {
        IOperation inner = op is IExpressionStatementOperation statement ? statement.Operation : op;
        if (inner is IAssignmentOperation { Target: IFlowCaptureReferenceOperation captured })
        {
            // The graph captured the target before a branch in the value (`ret = full ? -16 : 0`): the local it names is
            // assigned something not known here, so what the path knew of it goes.
            string name = captured.Syntax.ToString();
            ILocalSymbol? named = errors.Keys.FirstOrDefault(l => l.Name == name);
            return named is null ? errors : errors.Remove(named);
        }

        if (inner is IAssignmentOperation { Target: ILocalReferenceOperation target } assignment)
        {
            if (inner is ISimpleAssignmentOperation && Constant(Unwrap(assignment.Value)) is long c)
            {
                return errors.SetItem(target.Local, c != 0);
            }

            return inner is ISimpleAssignmentOperation && IsError(assignment.Value, errors) ? errors.SetItem(target.Local, true) : errors.Remove(target.Local);
        }

        // A local given by out or ref, or stepped by ++/--, holds what is not known here.
        foreach (ILocalReferenceOperation written in inner.DescendantsAndSelf().Select(WrittenInPlace).OfType<ILocalReferenceOperation>())
        {
            errors = errors.Remove(written.Local);
        }

        return errors;
    }

    /// <summary>What <paramref name="op"/> writes other than by assignment: an out or ref argument, the target of ++/--.</summary>
    public static IOperation? WrittenInPlace(IOperation op) => op switch
    {
        IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref } argument => argument.Value,
        IIncrementOrDecrementOperation step => step.Target,
        _ => null,
    };

    /// <summary>
    /// The locals holding an error (true) or known not to (false: zero or positive) where <paramref name="condition"/>
    /// is <paramref name="holds"/>; null when the path already knows the other (<c>if (ret != 0) ..; if (ret == 0)</c>:
    /// the edge cannot be taken).
    /// </summary>
    public static ImmutableDictionary<ILocalSymbol, bool>? Refine(IOperation condition, bool holds, ImmutableDictionary<ILocalSymbol, bool> errors)
    {
        condition = Unwrap(condition);
        if (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            return Refine(not.Operand, !holds, errors);
        }

        if (condition is not IBinaryOperation binary)
        {
            return errors;
        }

        BinaryOperatorKind kind = binary.OperatorKind;
        IOperation left = Unwrap(binary.LeftOperand), right = Unwrap(binary.RightOperand);
        if (left is not ILocalReferenceOperation && right is ILocalReferenceOperation)
        {
            (left, right) = (right, left);
            kind = Mirror(kind);
        }

        if (left is not ILocalReferenceOperation local || Constant(right) is not long c)
        {
            return errors;
        }

        // Where the test shows the local non-zero (or negative), it holds an error; where it shows zero or positive, not.
        bool? error = (kind, holds) switch
        {
            (BinaryOperatorKind.Equals, true) => c < 0 ? true : false,
            (BinaryOperatorKind.Equals, false) => c == 0 ? true : null,
            (BinaryOperatorKind.NotEquals, true) => c == 0 ? true : null,
            (BinaryOperatorKind.NotEquals, false) => c < 0 ? true : false,
            (BinaryOperatorKind.LessThan, true) => c <= 0 ? true : null,
            (BinaryOperatorKind.LessThan, false) => c >= 0 ? false : null,
            (BinaryOperatorKind.LessThanOrEqual, true) => c < 0 ? true : null,
            (BinaryOperatorKind.LessThanOrEqual, false) => c >= 0 ? false : null,
            (BinaryOperatorKind.GreaterThan, true) => c >= 0 ? false : null,
            (BinaryOperatorKind.GreaterThan, false) => c < 0 ? true : null,
            (BinaryOperatorKind.GreaterThanOrEqual, true) => c >= 0 ? false : null,
            (BinaryOperatorKind.GreaterThanOrEqual, false) => c <= 0 ? true : null,
            _ => null,
        };
        if (error is bool now && errors.TryGetValue(local.Local, out bool before) && before != now)
        {
            return null;
        }

        return error is bool e ? errors.SetItem(local.Local, e) : errors;
    }

    /// <summary>An integral or enum constant as a long (enums by their value: <c>DmaError.NoMemory</c> is -12).</summary>
    public static long? Constant(IOperation value) =>
        value.ConstantValue is { HasValue: true, Value: object v } && v is not bool and not string and not char and not double and not float and not decimal
            ? System.Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private static IOperation Unwrap(IOperation value)
    {
        while (value is IConversionOperation { IsImplicit: true } or IConversionOperation { Operand.ConstantValue.HasValue: false, Type.SpecialType: not SpecialType.System_Boolean } or IParenthesizedOperation)
        {
            value = value is IConversionOperation c ? c.Operand : ((IParenthesizedOperation)value).Operand;
        }

        return value;
    }

    /// <summary>The comparison with its operands swapped (<c>0 &lt; x</c> is <c>x &gt; 0</c>).</summary>
    public static BinaryOperatorKind Mirror(BinaryOperatorKind kind) => kind switch
    {
        BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
        BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
        BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
        BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
        _ => kind,
    };
}
