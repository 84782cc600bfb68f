using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Whether an unmap runs only where a bus-address flag (<see cref="BusAddressFlags"/>) is clear, or a map type is not
/// <c>BusAddr</c>: under an if that tests it, after an early return taken when it is set, or in a method every call of
/// which is so guarded (nvme_unmap_data guarding nvme_free_prps with <c>!blk_rq_dma_unmap(..., map)</c>, which returns
/// true for <c>PCI_P2PDMA_MAP_BUS_ADDR</c>; before 2025 a bool, <c>iod-&gt;flags &amp; IOD_P2P_BUS_ADDR</c>).
/// </summary>
/// <remarks>
/// Which mapping a flag or a map type stands for is not followed (<c>iter-&gt;p2pdma.map</c> for <c>iter-&gt;addr</c>):
/// a guard by any of them silences P2P0013, a miss and never a wrong report.
/// </remarks>
internal static class FlagGuards
{
    /// <summary>How many callers up a guard is looked for.</summary>
    private const int MaxCallerDepth = 3;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Compilation, ConcurrentDictionary<IMethodSymbol, bool>> CallersGuarded = new();

    public static bool Guarded(IOperation unmap, KnownSymbols symbols)
    {
        // (Asked only of an unmap whose address may be a bus address: the flags are found once per compilation.)
        return Guarded(unmap.Syntax, unmap.SemanticModel, symbols, BusAddressFlags.Of(symbols), 0);
    }

    private static bool Guarded(SyntaxNode site, SemanticModel? model, KnownSymbols symbols, ImmutableHashSet<BusAddressFlag> flags, int depth)
    {
        if (model is null)
        {
            return false;
        }

        SyntaxNode child = site;
        for (SyntaxNode? parent = site.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            switch (parent)
            {
                case LambdaExpressionSyntax or AnonymousMethodExpressionSyntax or LocalFunctionStatementSyntax:
                    return false;
                case IfStatementSyntax ifStatement when child != ifStatement.Condition
                    && Clear(model.GetOperation(ifStatement.Condition), child == ifStatement.Statement, symbols, flags):
                    return true;
                case BlockSyntax block when EarlyExitWhenSet(block, child, model, symbols, flags):
                    return true;
                case BaseMethodDeclarationSyntax declaration when model.GetDeclaredSymbol(declaration) is IMethodSymbol method:
                    return depth < MaxCallerDepth && AllCallsGuarded(method, symbols, flags, depth + 1);
            }
        }

        return false;
    }

    /// <summary>An earlier statement of the block that leaves it when the flag is set: <c>if (flags &amp; BIT) return;</c>.</summary>
    private static bool EarlyExitWhenSet(BlockSyntax block, SyntaxNode child, SemanticModel model, KnownSymbols symbols, ImmutableHashSet<BusAddressFlag> flags) =>
        block.Statements.TakeWhile(s => s != child).OfType<IfStatementSyntax>().Any(s =>
            s.Else is null && Leaves(s.Statement) && Clear(model.GetOperation(s.Condition), holds: false, symbols, flags));

    private static bool Leaves(StatementSyntax statement) => statement switch
    {
        ReturnStatementSyntax or ContinueStatementSyntax or ThrowStatementSyntax => true,
        BlockSyntax { Statements.Count: > 0 } block => Leaves(block.Statements.Last()),
        _ => false,
    };

    /// <summary>True when the method is called, and every call of it in the compilation is guarded.</summary>
    private static bool AllCallsGuarded(IMethodSymbol method, KnownSymbols symbols, ImmutableHashSet<BusAddressFlag> flags, int depth)
    {
        method = method.OriginalDefinition;
        ConcurrentDictionary<IMethodSymbol, bool> known = CallersGuarded.GetValue(symbols.Compilation, _ => new ConcurrentDictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default));
        if (known.TryGetValue(method, out bool guarded))
        {
            return guarded;
        }

        int calls = 0;
        guarded = true;
        foreach (SyntaxTree tree in symbols.Compilation.SyntaxTrees)
        {
            TreeIndex index = TreeIndex.Of(tree);
            var bodies = index.BodiesNaming(method.Name);
            if (bodies.IsEmpty)
            {
                continue;
            }

            SemanticModel model = SemanticModels.Of(symbols.Compilation, tree);
            foreach (InvocationExpressionSyntax call in bodies.SelectMany(b => index.Bodies[b].DescendantNodes().OfType<InvocationExpressionSyntax>()))
            {
                if (model.GetOperation(call) is IInvocationOperation inv && SymbolEqualityComparer.Default.Equals(inv.TargetMethod.OriginalDefinition, method))
                {
                    calls++;
                    guarded &= Guarded(call, model, symbols, flags, depth);
                }
            }
        }

        // A method handed out as a delegate may be called from anywhere: only direct calls are read.
        guarded &= calls > 0;
        if (depth == 1)
        {
            known.TryAdd(method, guarded);
        }

        return guarded;
    }

    /// <summary>True when the condition, holding (or failing), says a bus-address flag is clear.</summary>
    private static bool Clear(IOperation? condition, bool holds, KnownSymbols symbols, ImmutableHashSet<BusAddressFlag> flags)
    {
        while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            condition = not.Operand;
            holds = !holds;
        }

        switch (condition)
        {
            // a && b holds: both hold; a || b fails: both fail.
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } logical
                when (logical.OperatorKind == BinaryOperatorKind.ConditionalAnd) == holds:
                return Clear(logical.LeftOperand, holds, symbols, flags) || Clear(logical.RightOperand, holds, symbols, flags);

            // A helper that returns true when its flag argument is true, or its map type BusAddr (blk_rq_dma_unmap:
            // if (map == PCI_P2PDMA_MAP_BUS_ADDR) return true;): its false says the flag is clear, the type not BusAddr.
            case IInvocationOperation call when !holds && symbols.IsSource(call.TargetMethod):
                return call.Arguments.Any(a => a.Parameter is IParameterSymbol p && TrueWhenTrue(call.TargetMethod, p, symbols)
                    && (IsMapType(p.Type, symbols) || Clear(a.Value, holds: false, symbols, flags)));
            default:
                return SetWhenTrue(condition, flags, symbols) is bool set && set != holds;
        }
    }

    /// <summary>True/false: the expression is true when a flag is set (a map type is BusAddr) / clear; null: not such a test.</summary>
    private static bool? SetWhenTrue(IOperation? test, ImmutableHashSet<BusAddressFlag> flags, KnownSymbols symbols)
    {
        switch (test)
        {
            case IConversionOperation c:
                return SetWhenTrue(c.Operand, flags, symbols);

            // map == P2PMapType.BusAddr, state.Map != P2PMapType.BusAddr (a local, a P2PMapState's Map, a mapping's MapType)
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } compare
                when (BusAddressFlags.IsBusAddrConstant(compare.RightOperand, symbols) && IsMapType(compare.LeftOperand.Type, symbols))
                    || (BusAddressFlags.IsBusAddrConstant(compare.LeftOperand, symbols) && IsMapType(compare.RightOperand.Type, symbols)):
                return compare.OperatorKind == BinaryOperatorKind.Equals;
            case IFieldReferenceOperation or IPropertyReferenceOperation when AddressKey.MemberOf(test) is ISymbol member && flags.Contains(new BusAddressFlag(member, null)):
                return true;

            // (flags & BIT) != 0, (flags & BIT) == 0
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } compare
                when compare.RightOperand.ConstantValue is { HasValue: true } zero && System.Convert.ToInt64(zero.Value ?? 1L, System.Globalization.CultureInfo.InvariantCulture) == 0
                    && IsBitOf(compare.LeftOperand, flags):
                return compare.OperatorKind == BinaryOperatorKind.NotEquals;

            // flags.HasFlag(BIT)
            case IInvocationOperation { TargetMethod.Name: "HasFlag", Instance: IOperation instance } hasFlag when hasFlag.Arguments.Length == 1
                && AddressKey.MemberOf(instance) is ISymbol member && BusAddressFlags.Bit(hasFlag.Arguments[0].Value) is long bit
                && flags.Contains(new BusAddressFlag(member, bit)):
                return true;
            default:
                return null;
        }
    }

    private static bool IsBitOf(IOperation op, ImmutableHashSet<BusAddressFlag> flags)
    {
        while (op is IConversionOperation c)
        {
            op = c.Operand;
        }

        return op is IBinaryOperation { OperatorKind: BinaryOperatorKind.And } and
            && ((AddressKey.MemberOf(and.LeftOperand) is ISymbol m1 && BusAddressFlags.Bit(and.RightOperand) is long b1 && flags.Contains(new BusAddressFlag(m1, b1)))
                || (AddressKey.MemberOf(and.RightOperand) is ISymbol m2 && BusAddressFlags.Bit(and.LeftOperand) is long b2 && flags.Contains(new BusAddressFlag(m2, b2))));
    }

    private static bool IsMapType(ITypeSymbol? type, KnownSymbols symbols) => SymbolEqualityComparer.Default.Equals(type, symbols.P2PMapType);

    /// <summary>
    /// True when the method returns true whenever <paramref name="parameter"/> is true (a map type: is BusAddr): its body
    /// is <c>=&gt; p</c> or <c>=&gt; p || ...</c>, or starts with <c>if (p) return true;</c> (<c>p == P2PMapType.BusAddr</c>).
    /// </summary>
    private static bool TrueWhenTrue(IMethodSymbol method, IParameterSymbol parameter, KnownSymbols symbols)
    {
        if (method.ReturnType.SpecialType != SpecialType.System_Boolean || method.DeclaringSyntaxReferences.Length != 1
            || method.DeclaringSyntaxReferences[0].GetSyntax() is not MethodDeclarationSyntax declaration)
        {
            return false;
        }

        bool mapType = IsMapType(parameter.Type, symbols);
        bool IsName(ExpressionSyntax? e) => e is IdentifierNameSyntax name && name.Identifier.ValueText == parameter.Name;
        bool IsBusAddr(ExpressionSyntax e) => e is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "BusAddr" };
        bool IsParameter(ExpressionSyntax? e) => mapType
            ? e is BinaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.EqualsExpression } equals
                && ((IsName(equals.Left) && IsBusAddr(equals.Right)) || (IsName(equals.Right) && IsBusAddr(equals.Left)))
            : IsName(e);
        ExpressionSyntax? result = declaration.ExpressionBody?.Expression;
        while (result is BinaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.LogicalOrExpression } either)
        {
            result = either.Left;
        }

        if (result is not null)
        {
            return IsParameter(result is ParenthesizedExpressionSyntax p ? p.Expression : result);
        }

        return declaration.Body?.Statements.FirstOrDefault() is IfStatementSyntax { Else: null } first && IsParameter(first.Condition)
            && (first.Statement is ReturnStatementSyntax { Expression: LiteralExpressionSyntax literal } ? literal
                : first.Statement is BlockSyntax { Statements: [ReturnStatementSyntax { Expression: LiteralExpressionSyntax l }] } ? l : null)
                ?.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.TrueLiteralExpression) == true;
    }
}
