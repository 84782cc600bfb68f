using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Whether a BAR index read in a loop (<c>Bar(DmaRanges[i].RegionIndex)</c>, VFIO's populate_sgt) has at a later point
/// of the same iteration the value it had at the read, so that a fix may write it again there. Holds when the read and
/// the point are in the body of the innermost loop around the read, the BAR's value reaches the point only through
/// locals declared in that body (C#'s definite assignment then rules out a value of an earlier iteration), there is no
/// label in the loop (no backward goto inside an iteration), and every name in the index is either the counter of an
/// enclosing <c>for</c> written only by that <c>for</c>'s incrementors, or a field, parameter or local the function never
/// stores into.
/// </summary>
internal static class IterationInvariant
{
    /// <summary>
    /// True when <paramref name="index"/>, read at <paramref name="read"/>, means the same at <paramref name="site"/>;
    /// <paramref name="carriers"/> are the locals the read's value went through on its way to the site.
    /// </summary>
    public static bool Holds(ExpressionSyntax index, SyntaxNode read, SyntaxNode site, IEnumerable<ILocalSymbol> carriers, SyntaxNode function,
        SemanticModel model, CancellationToken cancellationToken)
    {
        if (!Pure(index)
            || read.Ancestors().TakeWhile(a => a != function).FirstOrDefault(IsLoop) is not StatementSyntax loop
            || Body(loop) is not StatementSyntax body
            || !body.Span.Contains(site.Span)
            || loop.DescendantNodes().Any(n => n is LabeledStatementSyntax)
            || !carriers.All(c => c.DeclaringSyntaxReferences.All(r => r.SyntaxTree == body.SyntaxTree && body.Span.Contains(r.Span))))
        {
            return false;
        }

        foreach (IdentifierNameSyntax name in index.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            ISymbol? symbol = model.GetSymbolInfo(name, cancellationToken).Symbol;
            bool fixedHere = symbol switch
            {
                ILocalSymbol local when Counter(local, read, function, model, cancellationToken) || EachVariable(local, read, cancellationToken) => true,
                ILocalSymbol local => !Assignments.WrittenIn(function, local, model, cancellationToken)
                    && local.DeclaringSyntaxReferences.All(r => r.GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer: not null }),
                IParameterSymbol { RefKind: RefKind.None } or IFieldSymbol => !Assignments.WrittenIn(function, symbol, model, cancellationToken),
                _ => false,
            };
            if (!fixedHere)
            {
                return false;
            }
        }

        return !index.DescendantNodesAndSelf().OfType<ElementAccessExpressionSyntax>().Any(e => ElementStored(e, function, model, cancellationToken));
    }

    /// <summary>Names, members, array elements of such and constants: nothing evaluated twice differs or has an effect.</summary>
    public static bool Pure(ExpressionSyntax e) => e switch
    {
        IdentifierNameSyntax or ThisExpressionSyntax or LiteralExpressionSyntax => true,
        MemberAccessExpressionSyntax m => Pure(m.Expression),
        ElementAccessExpressionSyntax a => Pure(a.Expression) && a.ArgumentList.Arguments.All(x => x.RefKindKeyword.IsKind(SyntaxKind.None) && Pure(x.Expression)),
        ParenthesizedExpressionSyntax p => Pure(p.Expression),
        _ => false,
    };

    private static bool IsLoop(SyntaxNode n) => n is ForStatementSyntax or CommonForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax;

    private static StatementSyntax? Body(StatementSyntax loop) => loop switch
    {
        ForStatementSyntax f => f.Statement,
        CommonForEachStatementSyntax e => e.Statement,
        WhileStatementSyntax w => w.Statement,
        DoStatementSyntax d => d.Statement,
        _ => null,
    };

    /// <summary>The counter of a <c>for</c> around <paramref name="read"/>, stored into only by its incrementors.</summary>
    private static bool Counter(ILocalSymbol local, SyntaxNode read, SyntaxNode function, SemanticModel model, CancellationToken cancellationToken) =>
        read.Ancestors().OfType<ForStatementSyntax>().FirstOrDefault(f => f.Declaration?.Variables.Any(v =>
            SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(v, cancellationToken), local)) == true) is ForStatementSyntax loop
        && loop.Statement.Span.Contains(read.Span)
        && function.DescendantNodes().Where(n => Assignments.Writes(n, local, model, cancellationToken))
            .All(w => loop.Incrementors.Any(i => i.Span.Contains(w.Span)));

    /// <summary>The iteration variable of a <c>foreach</c> around <paramref name="read"/> (read-only in C#).</summary>
    private static bool EachVariable(ILocalSymbol local, SyntaxNode read, CancellationToken cancellationToken) =>
        local.DeclaringSyntaxReferences is [var reference]
        && reference.GetSyntax(cancellationToken) is ForEachStatementSyntax each
        && each.Statement.Span.Contains(read.Span);

    /// <summary>
    /// A store in the function into an element of an array of the same type as the one <paramref name="element"/> reads
    /// (<c>DmaRanges[k] = r</c>, <c>ref a[k]</c>, through another name for the same array): the index changes without a
    /// store into any name it has.
    /// </summary>
    private static bool ElementStored(ElementAccessExpressionSyntax element, SyntaxNode function, SemanticModel model, CancellationToken cancellationToken)
    {
        ITypeSymbol? array = model.GetTypeInfo(element.Expression, cancellationToken).Type;
        return array is not IArrayTypeSymbol
            || function.DescendantNodes().Any(n => Target(n) is ExpressionSyntax target
                && Receivers(target).OfType<ElementAccessExpressionSyntax>().Prepend(target as ElementAccessExpressionSyntax)
                    .Any(a => a is not null && SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(a.Expression, cancellationToken).Type, array)));
    }

    private static ExpressionSyntax? Target(SyntaxNode n) => n switch
    {
        AssignmentExpressionSyntax a => a.Left,
        PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.PreIncrementExpression) || u.IsKind(SyntaxKind.PreDecrementExpression) => u.Operand,
        PostfixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.PostIncrementExpression) || u.IsKind(SyntaxKind.PostDecrementExpression) => u.Operand,
        ArgumentSyntax { RefKindKeyword.RawKind: not 0 } arg => arg.Expression,
        _ => null,
    };

    /// <summary>The receivers under a stored element or member: <c>DmaRanges[k]</c> and <c>DmaRanges</c> for <c>DmaRanges[k].Offset</c>.</summary>
    private static IEnumerable<ExpressionSyntax> Receivers(ExpressionSyntax target)
    {
        for (ExpressionSyntax? e = target; e is not null;)
        {
            e = e switch
            {
                MemberAccessExpressionSyntax m => m.Expression,
                ElementAccessExpressionSyntax a => a.Expression,
                _ => null,
            };
            if (e is not null)
            {
                yield return e;
            }
        }
    }
}
