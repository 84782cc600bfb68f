using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.CodeFixes.Shared;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// P2P0014: replaces <c>DmaAttrs.SkipCpuSync</c> with <c>DmaAttrs.Mmio</c> where the attributes argument spells it out
/// (or drops it where <c>Mmio</c> is already there). Attributes held in a variable are left alone.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0014SkipCpuSyncForMmioCodeFix)), Shared]
public sealed class P2P0014SkipCpuSyncForMmioCodeFix : P2PCodeFix
{
    private protected override string RuleId => RuleIdentifiers.SkipCpuSyncForMmio;

    private protected override string Title(Diagnostic diagnostic) => "Use DmaAttrs.Mmio";

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax attrs)
        {
            return null;
        }

        MemberAccessExpressionSyntax? skip = attrs.DescendantNodesAndSelf().OfType<MemberAccessExpressionSyntax>()
            .FirstOrDefault(m => IsAttr(m, "SkipCpuSync", model, cancellationToken));
        if (skip is null)
        {
            return null;
        }

        bool hasMmio = attrs.DescendantNodesAndSelf().OfType<MemberAccessExpressionSyntax>().Any(m => IsAttr(m, "Mmio", model, cancellationToken));
        return hasMmio && skip.Parent is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.BitwiseOrExpression } or
            ? root.ReplaceNode(or, (or.Left == skip ? or.Right : or.Left).WithTriviaFrom(or))
            : root.ReplaceNode(skip.Name, SyntaxFactory.IdentifierName("Mmio").WithTriviaFrom(skip.Name));
    }

    private static bool IsAttr(MemberAccessExpressionSyntax access, string name, SemanticModel model, CancellationToken cancellationToken) =>
        access.Name.Identifier.ValueText == name
        && model.GetSymbolInfo(access, cancellationToken).Symbol is IFieldSymbol { ContainingType: { Name: "DmaAttrs" } type }
        && type.ContainingNamespace.ToDisplayString() == "P2PDma.Mapping";
}
