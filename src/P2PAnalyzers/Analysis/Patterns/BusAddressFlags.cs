using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>A member (and, for a bit in a flags member, the bit) the compilation sets where a mapping is a bus address.</summary>
internal readonly record struct BusAddressFlag(ISymbol Member, long? Bit);

/// <summary>
/// The bus-address flags of a compilation, the way the kernel tracks them: nvme's <c>IOD_P2P_BUS_ADDR</c> bit set in
/// <c>iod-&gt;flags</c> when <c>iter.p2pdma.map == PCI_P2PDMA_MAP_BUS_ADDR</c>, a bool a driver sets in the
/// <c>BusAddr</c> arm of its map-type switch. A test that such a flag is clear says the addresses unmapped under it are
/// not bus addresses, wherever the flag was set: which mapping a flag stands for is not followed, so a guard by any
/// bus-address flag of the compilation silences P2P0013 (a miss, never a wrong report).
/// </summary>
internal static class BusAddressFlags
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Compilation, Holder> Cache = new();

    private sealed record Holder(ImmutableHashSet<BusAddressFlag> Flags);

    /// <summary>The flags set, anywhere in the compilation, where the mapping is known to be a bus address.</summary>
    public static ImmutableHashSet<BusAddressFlag> Of(KnownSymbols symbols) =>
        Cache.GetValue(symbols.Compilation, _ => new Holder(Find(symbols))).Flags;

    private static ImmutableHashSet<BusAddressFlag> Find(KnownSymbols symbols)
    {
        var flags = ImmutableHashSet.CreateBuilder<BusAddressFlag>();
        foreach (SyntaxTree tree in symbols.Compilation.SyntaxTrees.OrderBy(t => t.FilePath, System.StringComparer.Ordinal))
        {
            TreeIndex index = TreeIndex.Of(tree);
            var bodies = new SortedSet<int>(BusWords.SelectMany(n => index.BodiesNaming(n)));
            SemanticModel? model = null;
            foreach (int body in bodies)
            {
                // Syntax first: a store that may set a flag, under an if or case that names a bus address; only those bind.
                foreach (AssignmentExpressionSyntax store in index.Bodies[body].DescendantNodes().OfType<AssignmentExpressionSyntax>())
                {
                    if (MaySetFlag(store) && EnclosingBusBranch(store) is SyntaxNode branch)
                    {
                        model ??= SemanticModels.Of(symbols.Compilation, tree);
                        if (RunsWhereBus(store, branch, model, symbols))
                        {
                            Collect(store, model, flags);
                        }
                    }
                }
            }
        }

        return flags.ToImmutable();
    }

    private static readonly string[] BusWords = { "BusAddr", "IsBusAddress", "IsDmaBusAddress" };

    private static bool MaySetFlag(AssignmentExpressionSyntax store) =>
        store.IsKind(SyntaxKind.OrAssignmentExpression)
        || (store.IsKind(SyntaxKind.SimpleAssignmentExpression)
            && (store.Right.IsKind(SyntaxKind.BitwiseOrExpression) || store.Right.IsKind(SyntaxKind.TrueLiteralExpression)));

    /// <summary>The nearest if (or switch section) around the store whose condition (or label) names a bus address.</summary>
    private static SyntaxNode? EnclosingBusBranch(SyntaxNode store)
    {
        SyntaxNode child = store;
        for (SyntaxNode? parent = store.Parent; parent is not null and not MemberDeclarationSyntax and not LambdaExpressionSyntax and not LocalFunctionStatementSyntax;
            child = parent, parent = parent.Parent)
        {
            if ((parent is IfStatementSyntax ifStatement && child != ifStatement.Condition && NamesBus(ifStatement.Condition))
                || (parent is SwitchSectionSyntax section && section.Labels.Any(NamesBus)))
            {
                return parent;
            }
        }

        return null;
    }

    private static bool NamesBus(SyntaxNode node) =>
        node.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && System.Array.IndexOf(BusWords, t.ValueText) >= 0);

    /// <summary>True when the branch runs the store only where the mapping is a bus address.</summary>
    private static bool RunsWhereBus(SyntaxNode store, SyntaxNode branch, SemanticModel model, KnownSymbols symbols)
    {
        switch (branch)
        {
            case IfStatementSyntax ifStatement when model.GetOperation(ifStatement.Condition) is IOperation condition:
                bool inThen = ifStatement.Statement.Span.Contains(store.Span);
                return SaysBus(condition, symbols) == inThen;
            case SwitchSectionSyntax section:
                return section.Labels.OfType<CaseSwitchLabelSyntax>().Any(l => IsBusAddrConstant(model.GetOperation(l.Value), symbols));
            default:
                return false;
        }
    }

    /// <summary>True/false: the condition says "a bus address" when it holds / fails; null: it says neither.</summary>
    private static bool? SaysBus(IOperation condition, KnownSymbols symbols)
    {
        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                return !SaysBus(not.Operand, symbols);
            case IPropertyReferenceOperation p when symbols.RoleOf(p.Property) is Role.SgIsBusAddress or Role.MappingIsBusAddress:
                return true;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } compare
                when IsBusAddrConstant(compare.RightOperand, symbols) || IsBusAddrConstant(compare.LeftOperand, symbols):
                return compare.OperatorKind == BinaryOperatorKind.Equals;
            default:
                return null;
        }
    }

    public static bool IsBusAddrConstant(IOperation? op, KnownSymbols symbols)
    {
        while (op is IConversionOperation c)
        {
            op = c.Operand;
        }

        return op is IFieldReferenceOperation { Field.Name: "BusAddr" } f && SymbolEqualityComparer.Default.Equals(f.Field.ContainingType, symbols.P2PMapType);
    }

    /// <summary>A store of true into a bool member, or of a constant bit into a flags member (<c>|=</c>, <c>= x | bit</c>).</summary>
    private static void Collect(AssignmentExpressionSyntax assignment, SemanticModel model, ImmutableHashSet<BusAddressFlag>.Builder flags)
    {
        switch (model.GetOperation(assignment))
        {
            case ISimpleAssignmentOperation { Value.ConstantValue: { HasValue: true, Value: true } } store when AddressKey.MemberOf(store.Target) is ISymbol member:
                flags.Add(new BusAddressFlag(member, null));
                break;
            case ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Or } orStore when AddressKey.MemberOf(orStore.Target) is ISymbol member && Bit(orStore.Value) is long bit:
                flags.Add(new BusAddressFlag(member, bit));
                break;
            case ISimpleAssignmentOperation { Value: IBinaryOperation { OperatorKind: BinaryOperatorKind.Or } value } store
                when AddressKey.MemberOf(store.Target) is ISymbol member && (Bit(value.RightOperand) ?? Bit(value.LeftOperand)) is long bit:
                flags.Add(new BusAddressFlag(member, bit));
                break;
        }
    }

    /// <summary>The value of a constant single bit (an enum member or an integer).</summary>
    public static long? Bit(IOperation? op)
    {
        while (op is IConversionOperation c && !c.ConstantValue.HasValue)
        {
            op = c.Operand;
        }

        if (op?.ConstantValue is not { HasValue: true, Value: object value } || value is bool)
        {
            return null;
        }

        try
        {
            long bit = System.Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
            return bit != 0 && (bit & (bit - 1)) == 0 ? bit : null;
        }
        catch (System.Exception e) when (e is System.InvalidCastException or System.FormatException or System.OverflowException)
        {
            return null;
        }
    }
}
