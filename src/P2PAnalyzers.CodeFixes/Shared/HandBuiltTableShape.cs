using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Recognises, whole, the hand-built table of amdgpu_vram_mgr_alloc_sgt and its kind: a table allocated with
/// <c>SgTable.Alloc</c>, one loop that computes each range's CPU address and length, maps it generically (or stores a
/// raw address), fills the entry, and a final <c>return table;</c>. Anything else in the loop or after it, and the shape
/// is not recognised (the fix declines rather than guess).
/// </summary>
internal sealed class HandBuiltTableShape
{
    private HandBuiltTableShape(LocalDeclarationStatementSyntax allocation, StatementSyntax loop, IReadOnlyList<StatementSyntax> kept,
        ExpressionSyntax phys, ExpressionSyntax length, IReadOnlyList<StatementSyntax> dropAfter, ReturnStatementSyntax @return)
    {
        Allocation = allocation;
        Loop = loop;
        Kept = kept;
        Phys = phys;
        Length = length;
        DropAfter = dropAfter;
        Return = @return;
    }

    public LocalDeclarationStatementSyntax Allocation { get; }

    public StatementSyntax Loop { get; }

    /// <summary>Loop statements that compute the range (kept as they are).</summary>
    public IReadOnlyList<StatementSyntax> Kept { get; }

    /// <summary>The CPU physical address of each range (a <c>PhysAddr</c> expression).</summary>
    public ExpressionSyntax Phys { get; }

    /// <summary>The length of each range.</summary>
    public ExpressionSyntax Length { get; }

    /// <summary>Statements between the loop and the return that only touch the table (<c>table.Nents = n;</c>).</summary>
    public IReadOnlyList<StatementSyntax> DropAfter { get; }

    public ReturnStatementSyntax Return { get; }

    public static HandBuiltTableShape? Of(BlockSyntax body, SemanticModel model, CancellationToken cancellationToken)
    {
        SyntaxList<StatementSyntax> statements = body.Statements;
        int alloc = statements.IndexOf(s => s is LocalDeclarationStatementSyntax { Declaration.Variables: [{ Initializer.Value: InvocationExpressionSyntax call }] }
            && Is(model, call, "SgTable", "Alloc", cancellationToken));
        if (alloc < 0 || alloc + 2 >= statements.Count || statements[alloc + 1] is not (ForStatementSyntax or ForEachStatementSyntax)
            || statements.Last() is not ReturnStatementSyntax @return)
        {
            return null;
        }

        var allocation = (LocalDeclarationStatementSyntax)statements[alloc];
        string table = allocation.Declaration.Variables[0].Identifier.ValueText;
        if (Unwrap(@return.Expression) is not IdentifierNameSyntax { Identifier.ValueText: var returned } || returned != table)
        {
            return null;
        }

        var dropAfter = new List<StatementSyntax>();
        foreach (StatementSyntax s in statements.Skip(alloc + 2).Take(statements.Count - alloc - 3))
        {
            if (s is not ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax owner } } }
                || owner.Identifier.ValueText != table)
            {
                return null;
            }

            dropAfter.Add(s);
        }

        StatementSyntax loop = statements[alloc + 1];
        return ReadLoop(loop, table, model, cancellationToken) is (List<StatementSyntax> kept, ExpressionSyntax phys, ExpressionSyntax length)
            ? new HandBuiltTableShape(allocation, loop, kept, phys, length, dropAfter, @return)
            : null;
    }

    private static (List<StatementSyntax>, ExpressionSyntax, ExpressionSyntax)? ReadLoop(StatementSyntax loop, string table, SemanticModel model, CancellationToken cancellationToken)
    {
        StatementSyntax body = loop is ForStatementSyntax f ? f.Statement : ((ForEachStatementSyntax)loop).Statement;
        IEnumerable<StatementSyntax> statements = body is BlockSyntax block ? block.Statements : new[] { body };
        var kept = new List<StatementSyntax>();
        var entries = new HashSet<string>();
        string? mapped = null;
        ExpressionSyntax? phys = null;
        ExpressionSyntax? length = null;
        foreach (StatementSyntax statement in statements)
        {
            switch (statement)
            {
                case LocalDeclarationStatementSyntax { Declaration.Variables: [var v] } when v.Initializer?.Value is InvocationExpressionSyntax map
                    && (Is(model, map, "Dma", "MapResource", cancellationToken) || Is(model, map, "Dma", "MapPhys", cancellationToken))
                    && map.ArgumentList.Arguments.Count >= 3:
                    mapped = v.Identifier.ValueText;
                    phys = map.ArgumentList.Arguments[1].Expression;
                    length = map.ArgumentList.Arguments[2].Expression;
                    break;
                // What P2P0001's fix leaves behind: Dma.MapP2P(dev, provider, phys, length, dir) with its error check.
                case LocalDeclarationStatementSyntax { Declaration.Variables: [var v] } when v.Initializer?.Value is InvocationExpressionSyntax map
                    && Is(model, map, "Dma", "MapP2P", cancellationToken) && map.ArgumentList.Arguments.Count >= 4:
                    mapped = v.Identifier.ValueText;
                    phys = map.ArgumentList.Arguments[2].Expression;
                    length = map.ArgumentList.Arguments[3].Expression;
                    break;
                case IfStatementSyntax { Condition: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Failed", Expression: IdentifierNameSyntax failed } }
                    when mapped is not null && failed.Identifier.ValueText == mapped:
                    break;
                case LocalDeclarationStatementSyntax { Declaration.Variables: [var v] } when v.Initializer?.Value is ElementAccessExpressionSyntax { Expression: IdentifierNameSyntax t }
                    && t.Identifier.ValueText == table:
                    entries.Add(v.Identifier.ValueText);
                    break;
                case LocalDeclarationStatementSyntax d when !Mentions(d, table, mapped, entries):
                    kept.Add(d);
                    break;
                case IfStatementSyntax { Condition: InvocationExpressionSyntax check } when mapped is not null && Is(model, check, "Dma", "MappingError", cancellationToken):
                    break;
                case ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "SetPage" } m } }
                    when IsEntry(m.Expression, table, entries):
                    break;
                case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax store } assign } when IsEntry(store.Expression, table, entries):
                    if (store.Name.Identifier.ValueText == "DmaLength")
                    {
                        length ??= assign.Right;
                    }
                    else if (store.Name.Identifier.ValueText != "DmaAddress")
                    {
                        return null;
                    }
                    else if (assign.Right is InvocationExpressionSyntax { ArgumentList.Arguments: [var raw] } fromRaw && Is(model, fromRaw, "DmaAddr", "FromRaw", cancellationToken))
                    {
                        phys = SyntaxFactory.ParseExpression($"{Names.PhysAddr}.FromRaw({raw.Expression.WithoutTrivia()})");
                    }
                    else if (!(assign.Right is IdentifierNameSyntax { Identifier.ValueText: var v } && v == mapped)
                        && !(assign.Right is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Address", Expression: IdentifierNameSyntax m2 } && m2.Identifier.ValueText == mapped))
                    {
                        return null;
                    }

                    break;
                default:
                    return null;
            }
        }

        return phys is not null && length is not null ? (kept, phys, length) : null;
    }

    private static bool IsEntry(ExpressionSyntax e, string table, HashSet<string> entries) =>
        e is IdentifierNameSyntax id && entries.Contains(id.Identifier.ValueText)
        || e is ElementAccessExpressionSyntax { Expression: IdentifierNameSyntax t } && t.Identifier.ValueText == table;

    private static bool Mentions(SyntaxNode node, string table, string? mapped, HashSet<string> entries) =>
        node.DescendantNodes().OfType<IdentifierNameSyntax>().Any(i => i.Identifier.ValueText == table || i.Identifier.ValueText == mapped || entries.Contains(i.Identifier.ValueText));

    private static bool Is(SemanticModel model, InvocationExpressionSyntax call, string type, string method, CancellationToken cancellationToken) =>
        model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol m && m.Name == method && m.ContainingType.Name == type
        && m.ContainingNamespace.ToDisplayString().StartsWith("P2PDma", System.StringComparison.Ordinal);

    private static ExpressionSyntax? Unwrap(ExpressionSyntax? e) => e is ParenthesizedExpressionSyntax p ? Unwrap(p.Expression) : e;
}
