using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Canonical names of devices, providers and BARs, so that a map-type decision can be matched to the memory and device
/// a mapping call uses. Keys: <c>D:path</c> a device, <c>P:path</c> a provider, <c>B:devpath#bar</c> a device's BAR
/// (or the provider for it), <c>X:path</c> a BAR reached some other way.
/// </summary>
internal static class Identities
{
    /// <summary>The dotted path of a chain of locals, parameters, <c>this</c>, fields and properties; null otherwise.</summary>
    public static string? PathText(IOperation? op)
    {
        switch (op)
        {
            case ILocalReferenceOperation l:
                return l.Local.Name;
            case IParameterReferenceOperation p:
                return p.Parameter.Name;
            case IInstanceReferenceOperation:
                return "this";
            case IFieldReferenceOperation f:
                return f.Field.IsStatic ? f.Field.ContainingType.Name + "." + f.Field.Name : Join(PathText(f.Instance), f.Field.Name);
            case IPropertyReferenceOperation pr when pr.Arguments.IsEmpty:
                return pr.Property.IsStatic ? pr.Property.ContainingType.Name + "." + pr.Property.Name : Join(PathText(pr.Instance), pr.Property.Name);
            case IConversionOperation c when c.OperatorMethod is null:
                return PathText(c.Operand);
            default:
                return null;
        }
    }

    /// <summary>A BAR index given as a constant, or <c>*</c>.</summary>
    public static string BarIndex(IOperation? index) =>
        index?.ConstantValue is { HasValue: true, Value: int i } ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : "*";

    /// <summary>True for a key that names an object by its path in one method (<c>D:</c>, <c>P:</c>, <c>B:</c>, <c>X:</c>).</summary>
    public static bool IsObjectKey(string key) =>
        key.Length > 1 && key[1] == ':' && key[0] is 'D' or 'P' or 'B' or 'X';

    /// <summary>True unless both keys are known and name different providers or devices.</summary>
    public static bool MayMatch(string? a, string? b)
    {
        if (a is null || b is null || a == b || a.StartsWith("X:", System.StringComparison.Ordinal) || b.StartsWith("X:", System.StringComparison.Ordinal))
        {
            return true;
        }

        string ka = a.Substring(0, 2);
        string kb = b.Substring(0, 2);
        if (ka == kb)
        {
            return ka == "B:" && (BarWildcard(a, b) || BarWildcard(b, a));
        }

        // A device's describe-style decision covers every BAR of that device.
        if (ka == "D:" && kb == "B:")
        {
            return b.StartsWith("B:" + a.Substring(2) + "#", System.StringComparison.Ordinal);
        }

        if (ka == "B:" && kb == "D:")
        {
            return MayMatch(b, a);
        }

        // A provider path and a device BAR cannot be compared statically: do not guess.
        return true;
    }

    private static bool BarWildcard(string wild, string other) =>
        wild.EndsWith("#*", System.StringComparison.Ordinal) && other.StartsWith(wild.Substring(0, wild.Length - 1), System.StringComparison.Ordinal);

    private static string? Join(string? prefix, string name) => prefix is null ? null : prefix + "." + name;
}
