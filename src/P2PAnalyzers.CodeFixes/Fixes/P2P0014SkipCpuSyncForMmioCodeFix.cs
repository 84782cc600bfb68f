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
public sealed class P2P0014SkipCpuSyncForMmioCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIdentifiers.SkipCpuSyncForMmio);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(context.Span, getInnermostNodeForTie: true) is not ExpressionSyntax attrs || model is null)
        {
            return;
        }

        MemberAccessExpressionSyntax? skip = attrs.DescendantNodesAndSelf().OfType<MemberAccessExpressionSyntax>()
            .FirstOrDefault(m => IsAttr(m, "SkipCpuSync", model, context.CancellationToken));
        if (skip is null)
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create("Use DmaAttrs.Mmio", ct => FixAsync(context.Document, root, attrs, skip, model, ct), nameof(P2P0014SkipCpuSyncForMmioCodeFix)),
            context.Diagnostics);
    }

    private static Task<Document> FixAsync(Document document, SyntaxNode root, ExpressionSyntax attrs, MemberAccessExpressionSyntax skip,
        SemanticModel model, CancellationToken cancellationToken)
    {
        bool hasMmio = attrs.DescendantNodesAndSelf().OfType<MemberAccessExpressionSyntax>().Any(m => IsAttr(m, "Mmio", model, cancellationToken));
        SyntaxNode newRoot = hasMmio && skip.Parent is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.BitwiseOrExpression } or
            ? root.ReplaceNode(or, (or.Left == skip ? or.Right : or.Left).WithTriviaFrom(or))
            : root.ReplaceNode(skip.Name, SyntaxFactory.IdentifierName("Mmio").WithTriviaFrom(skip.Name));
        return Task.FromResult(document.WithSyntaxRoot(newRoot));
    }

    private static bool IsAttr(MemberAccessExpressionSyntax access, string name, SemanticModel model, CancellationToken cancellationToken) =>
        access.Name.Identifier.ValueText == name
        && model.GetSymbolInfo(access, cancellationToken).Symbol is IFieldSymbol { ContainingType: { Name: "DmaAttrs" } type }
        && type.ContainingNamespace.ToDisplayString() == "P2PDma.Mapping";
}
