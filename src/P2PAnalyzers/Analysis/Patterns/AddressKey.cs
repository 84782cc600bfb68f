using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Where a DMA address is kept, as the code names it (<c>sfc.Daddr</c>, <c>ring.Addrs[i]</c>, a local): two uses name
/// the same storage when their texts agree and nothing the text reads was assigned between them. The parts are what a
/// store must name to change what the text denotes (<c>i</c>, <c>ring.Addrs</c>, <c>ring</c>); the root is the local or
/// parameter the chain starts from, or <c>this</c>, which a method of the compilation handed it may store into.
/// </summary>
internal sealed class AddressKey
{
    private AddressKey(string text, ImmutableHashSet<string> parts, ISymbol? root, bool rootIsThis)
    {
        Text = text;
        Parts = parts;
        Root = root;
        RootIsThis = rootIsThis;
    }

    public string Text { get; }

    public ImmutableHashSet<string> Parts { get; }

    /// <summary>The local or parameter the chain starts from (null for <c>this</c> or a static member).</summary>
    public ISymbol? Root { get; }

    public bool RootIsThis { get; }

    /// <summary>The key of the address <paramref name="value"/> reads (its conversions and parentheses taken off).</summary>
    public static AddressKey Of(IOperation value)
    {
        value = Value(value);
        IOperation root = value;
        while (true)
        {
            IOperation? inner = root switch
            {
                IMemberReferenceOperation member => member.Instance,
                IArrayElementReferenceOperation element => element.ArrayReference,
                _ => null,
            };
            if (inner is null)
            {
                break;
            }

            root = Value(inner);
        }

        ISymbol? symbol = root switch
        {
            ILocalReferenceOperation l => l.Local,
            IParameterReferenceOperation p => p.Parameter,
            _ => null,
        };
        ImmutableHashSet<string> parts = value.Syntax.DescendantNodesAndSelf().OfType<ExpressionSyntax>()
            .Select(e => Normalize(e.ToString())).ToImmutableHashSet(StringComparer.Ordinal);
        return new AddressKey(Normalize(value.Syntax.ToString()), parts, symbol, root is IInstanceReferenceOperation);
    }

    /// <summary>The key of a local that holds the address.</summary>
    public static AddressKey OfLocal(ILocalSymbol local) =>
        new(local.Name, ImmutableHashSet.Create(StringComparer.Ordinal, local.Name), local, rootIsThis: false);

    /// <summary>The text of a target or address without <c>this.</c> and whitespace.</summary>
    public static string Normalize(string text)
    {
        string compact = new(text.Where(c => !char.IsWhiteSpace(c)).ToArray());
        return compact.StartsWith("this.", StringComparison.Ordinal) ? compact.Substring("this.".Length) : compact;
    }

    /// <summary>
    /// Whether <paramref name="op"/> may change what the key denotes: a store into it or into what it reads, or a call of
    /// a method of the compilation handed the object it lives in.
    /// </summary>
    public bool WrittenBy(IOperation op, Func<IMethodSymbol, bool> isLibrary)
    {
        foreach (IOperation o in op.DescendantsAndSelf())
        {
            IOperation? target = o switch
            {
                IAssignmentOperation assignment => assignment.Target,
                IIncrementOrDecrementOperation step => step.Target,
                IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } byRef => byRef.Value,
                _ => null,
            };
            if (target is not null && (Parts.Contains(Normalize(target.Syntax.ToString())) || target is ITupleOperation))
            {
                return true;
            }

            // A method of the compilation handed the object the address lives in (or, for this's members, called on
            // this; for a static member, any) may store a new address there: a ring refilled between two unmaps.
            if (o is IInvocationOperation call && !isLibrary(call.TargetMethod) && Handed(call))
            {
                return true;
            }
        }

        return false;
    }

    // Handed the object the address lives in, or an object on the way to it (`sfc`, `ring` for `ring.Slot.Addr`): a
    // member of the same root that is not on the way (`sfc.RegmapBase`, `sfc.Dev` to a logging helper) is not.
    private bool Handed(IInvocationOperation call)
    {
        if (Root is null && !RootIsThis)
        {
            return true;
        }

        if (RootIsThis && (call.Instance is IInstanceReferenceOperation || (call.Instance is null && !call.TargetMethod.IsStatic)))
        {
            return true;
        }

        return call.Arguments.Select(a => a.Value).Concat(call.Instance is null ? Enumerable.Empty<IOperation>() : new[] { call.Instance })
            .Select(Value)
            .Select(a => (Operation: a, Text: Normalize(a.Syntax.ToString())))
            // (the address itself, a value, is read, not stored into: passed by ref it is a store, above)
            .Any(a => (RootIsThis && a.Operation is IInstanceReferenceOperation) || (a.Text != Text && Parts.Contains(a.Text) && a.Operation is not ILiteralOperation));
    }

    /// <summary>The value under its conversions and parentheses.</summary>
    public static IOperation Value(IOperation value)
    {
        while (value is IConversionOperation or IParenthesizedOperation)
        {
            value = value is IConversionOperation c ? c.Operand : ((IParenthesizedOperation)value).Operand;
        }

        return value;
    }

    /// <summary>
    /// The field or property (its original definition) an operation reads or writes, past conversions: the member a
    /// flag, a table or a count is kept in, whatever object holds it; null for anything else (an indexer, a local).
    /// </summary>
    public static ISymbol? MemberOf(IOperation? op) =>
        op is null ? null : Value(op) switch
        {
            IFieldReferenceOperation f => f.Field.OriginalDefinition,
            IPropertyReferenceOperation { Arguments.IsEmpty: true } p => p.Property.OriginalDefinition,
            _ => null,
        };
}
