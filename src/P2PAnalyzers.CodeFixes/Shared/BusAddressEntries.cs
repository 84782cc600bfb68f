using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Scatterlist entries that may hold a bus address, the kernel's way (<c>pci_p2pdma_map_segment</c>,
/// <c>sg_dma_mark_bus_address</c>, <c>dma_direct_unmap_sg</c>): the store of a peer's address into an entry marks the
/// entry when the address is a bus address (<see cref="MapTypeEntries"/>), and every unmap of an entry's address skips
/// marked entries.
/// Guarding the unmap of an entry that is never marked changes nothing, so every entry unmap of the project is guarded;
/// the fix is declined where an entry's address goes anywhere else than an unmap, the device or a comparison (a copy
/// would lose the mark), where another store could overwrite a marked entry, and where the pre-6.2
/// <c>Dma.LegacyUnmapSg</c>, which does not skip marked entries, is called.
/// </summary>
internal static class BusAddressEntries
{
    private static readonly HashSet<string> Unmaps = new() { "UnmapResource", "UnmapPhys", "UnmapPage", "UnmapSingle" };

    /// <summary>The statement <c>x.DmaAddress = address;</c> (x a scatterlist entry without effects) that <paramref name="address"/> is the value of; null otherwise.</summary>
    public static ExpressionStatementSyntax? StoreOf(IdentifierNameSyntax address, SemanticModel model, CancellationToken cancellationToken) =>
        address.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } store && store.Right == address
        && store.Left is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaAddress" } target
        && IsEntryAddress(model.GetSymbolInfo(target, cancellationToken).Symbol)
        && IterationInvariant.Pure(target.Expression)
        && store.Parent is ExpressionStatementSyntax { Parent: BlockSyntax or SwitchSectionSyntax } statement
            ? statement
            : null;

    /// <summary>The unmap of an entry's address, run only when the entry is not a bus address (P2P0013's "Skip bus-address entries").</summary>
    public static StatementSyntax Guard(StatementSyntax statement, ExpressionSyntax entry)
    {
        ExpressionSyntax condition = SyntaxFactory.PrefixUnaryExpression(SyntaxKind.LogicalNotExpression,
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, entry.WithoutTrivia(), SyntaxFactory.IdentifierName("IsDmaBusAddress")));
        return FixDocument.Generated(SyntaxFactory.IfStatement(condition, SyntaxFactory.Block(statement.WithoutLeadingTrivia())))
            .WithLeadingTrivia(statement.GetLeadingTrivia());
    }

    /// <summary>
    /// Every unmap statement of the project whose address is an entry's <c>DmaAddress</c> and that no
    /// <c>IsDmaBusAddress</c> test already skips for that entry, with the entry; null when an entry's address is read or
    /// stored anywhere the marks cannot vouch for (stores other than <paramref name="ownStores"/>).
    /// </summary>
    public static List<(StatementSyntax Unmap, ExpressionSyntax Entry)>? UnmapsToGuard(SolutionModels models, IReadOnlyCollection<SyntaxNode> ownStores, ISymbol dmaAddress,
        CancellationToken cancellationToken)
    {
        var guards = new List<(StatementSyntax, ExpressionSyntax)>();
        foreach (SimpleNameSyntax name in models.References(dmaAddress, cancellationToken))
        {
            if (name.Parent is not MemberAccessExpressionSyntax read || read.Name != name)
            {
                return null; // a property pattern, a nameof, a conditional access: not followed
            }

            switch (Use(read, models.ModelOf(read), ownStores, cancellationToken))
            {
                case Verdict.Declines:
                    return null;
                case Verdict.Unmap when read.Parent?.Parent?.Parent?.Parent is StatementSyntax unmap && !Skipped(unmap, read.Expression):
                    guards.Add((unmap, read.Expression));
                    break;
            }
        }

        return LegacyUnmapSgCalled(models, cancellationToken) ? null : guards;
    }

    /// <summary>The <c>Scatterlist.DmaAddress</c> property of the companion library.</summary>
    public static bool IsEntryAddress(ISymbol? symbol) =>
        symbol is IPropertySymbol { Name: "DmaAddress" } p && p.ContainingType.ToDisplayString() == "P2PDma.Mapping.Scatterlist";

    private enum Verdict
    {
        Fine,
        Unmap,
        Declines,
    }

    /// <summary>How one read or store of an entry's address is used.</summary>
    private static Verdict Use(MemberAccessExpressionSyntax read, SemanticModel model, IReadOnlyCollection<SyntaxNode> ownStores, CancellationToken cancellationToken)
    {
        switch (read.Parent)
        {
            case AssignmentExpressionSyntax store when store.Left == read:
                return store.Parent is SyntaxNode statement && ownStores.Contains(statement) ? Verdict.Fine : Verdict.Declines;
            case BinaryExpressionSyntax compare when compare.IsKind(SyntaxKind.EqualsExpression) || compare.IsKind(SyntaxKind.NotEqualsExpression):
                return Verdict.Fine;
            case ArgumentSyntax { NameColon: null, RefKindKeyword.RawKind: 0, Parent.Parent: InvocationExpressionSyntax call } argument
                when model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol target:
                if (target.ContainingType.ToDisplayString() == "P2PDma.Mapping.Dma" && Unmaps.Contains(target.Name))
                {
                    return call.ArgumentList.Arguments.IndexOf(argument) == 1 && call.ArgumentList.Arguments.All(a => a.NameColon is null)
                        && call.Parent is ExpressionStatementSyntax && IterationInvariant.Pure(read.Expression)
                            ? Verdict.Unmap
                            : Verdict.Declines;
                }

                if (target.ContainingNamespace.ToDisplayString().StartsWith("P2PDma", System.StringComparison.Ordinal))
                {
                    // The device reads it (the fabric, a sync); the library's other frees never take an entry's address.
                    return target.Name.StartsWith("Unmap", System.StringComparison.Ordinal) || target.Name.StartsWith("Free", System.StringComparison.Ordinal)
                        ? Verdict.Declines
                        : Verdict.Fine;
                }

                // A submit callback or a helper that neither unmaps nor keeps it; anything else may keep a copy.
                return target.MethodKind == MethodKind.DelegateInvoke
                    || !target.DeclaringSyntaxReferences.IsEmpty && !MapP2PRewrite.MayUnmapOrKeep(target, argument, model, cancellationToken)
                        ? Verdict.Fine
                        : Verdict.Declines;
            default:
                return Verdict.Declines;
        }
    }

    /// <summary>
    /// True when the unmap already runs only for an entry that is not a bus address: inside <c>if (!e.IsDmaBusAddress)</c>
    /// (or a conjunction with it), or after <c>if (e.IsDmaBusAddress) continue;</c> (or <c>return</c>, <c>break</c>) in
    /// the same block.
    /// </summary>
    private static bool Skipped(StatementSyntax unmap, ExpressionSyntax entry)
    {
        string text = entry.WithoutTrivia().ToString();
        SyntaxNode? function = Scope.EnclosingFunction(unmap);
        foreach (SyntaxNode ancestor in unmap.Ancestors().TakeWhile(a => a != function))
        {
            if (ancestor is IfStatementSyntax test && test.Statement.Span.Contains(unmap.Span) && Conjuncts(test.Condition).Any(c => IsNotBusAddress(c, text)))
            {
                return true;
            }
        }

        for (SyntaxNode? n = unmap; n?.Parent is BlockSyntax block; n = block)
        {
            if (block.Statements.TakeWhile(s => s != n).Any(s => s is IfStatementSyntax { Else: null } skip && IsBusAddressTest(skip.Condition, text)
                && (skip.Statement is ContinueStatementSyntax or ReturnStatementSyntax or BreakStatementSyntax
                    || skip.Statement is BlockSyntax { Statements: [ContinueStatementSyntax or ReturnStatementSyntax or BreakStatementSyntax] })))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<ExpressionSyntax> Conjuncts(ExpressionSyntax condition) =>
        condition is BinaryExpressionSyntax and { RawKind: (int)SyntaxKind.LogicalAndExpression } and_
            ? Conjuncts(and_.Left).Concat(Conjuncts(and_.Right))
            : new[] { condition is ParenthesizedExpressionSyntax p ? p.Expression : condition };

    private static bool IsNotBusAddress(ExpressionSyntax condition, string entry) =>
        condition is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } not && IsBusAddressTest(not.Operand, entry);

    private static bool IsBusAddressTest(ExpressionSyntax condition, string entry) =>
        condition is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "IsDmaBusAddress" } m && m.Expression.WithoutTrivia().ToString() == entry;

    /// <summary>Whether the project calls the pre-6.2 sg unmap, which treats marked entries as mappings.</summary>
    private static bool LegacyUnmapSgCalled(SolutionModels models, CancellationToken cancellationToken) =>
        models.Trees.Any(t => t.GetRoot(cancellationToken).DescendantNodes().OfType<InvocationExpressionSyntax>().Any(i => MapP2PRewrite.Called(i) == "LegacyUnmapSg"));
}
