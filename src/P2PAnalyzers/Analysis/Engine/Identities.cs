using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Canonical names of devices, providers and BARs (<see cref="FactKey"/>), so that a map-type decision can be matched
/// to the memory and device a mapping call uses.
/// </summary>
internal static class Identities
{
    /// <summary>The path of a chain of locals, parameters, <c>this</c>, fields and properties; null otherwise.</summary>
    public static ObjectPath? PathOf(IOperation? op)
    {
        switch (op)
        {
            case ILocalReferenceOperation l:
                return new ObjectPath(l.Local.Name, null);
            case IParameterReferenceOperation p:
                return new ObjectPath(p.Parameter.Name, null);
            case IInstanceReferenceOperation i:
                return new ObjectPath("this", i.Type?.Name);
            case IFieldReferenceOperation f:
                return f.Field.IsStatic ? Static(f.Field) : PathOf(f.Instance)?.Member(f.Field.Name);
            case IPropertyReferenceOperation pr when pr.Arguments.IsEmpty:
                return pr.Property.IsStatic ? Static(pr.Property) : PathOf(pr.Instance)?.Member(pr.Property.Name);
            case IConversionOperation c when c.OperatorMethod is null:
                return PathOf(c.Operand);
            default:
                return null;
        }
    }

    /// <summary>A BAR index given as a constant; null otherwise.</summary>
    public static int? BarIndex(IOperation? index) => index?.ConstantValue is { HasValue: true, Value: int i } ? i : null;

    private static ObjectPath Static(ISymbol member) => new(member.ContainingType.Name + "." + member.Name, ObjectPath.Everywhere);
}
