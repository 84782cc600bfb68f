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

    /// <summary>
    /// Where a mapping call's function never asks the map type, the title says so: the swap is right for a peer reached
    /// through the host bridge, but it silences this rule and leaves a switch-local peer mapped instead of given its
    /// bus address (P2P0010's bug), which P2P0010 may not report (its detection has gaps). Unmaps keep the plain title:
    /// they only have to match their mapping's attributes.
    /// </summary>
    private protected override string Title(Diagnostic diagnostic) => MapsWithoutMapType(diagnostic)
        ? "Use DmaAttrs.Mmio (the map type is still not asked here: see P2P0010)"
        : "Use DmaAttrs.Mmio";

    private static bool MapsWithoutMapType(Diagnostic diagnostic)
    {
        SyntaxNode? node = diagnostic.Location.SourceTree?.GetRoot().FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        if (node?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: string called } } call
            || !called.StartsWith("Map", System.StringComparison.Ordinal)
            || Scope.EnclosingFunction(call) is not SyntaxNode function)
        {
            return false;
        }

        // Syntax only (the title has no semantic model): any mention of the map type, its query or the P2P mapping call.
        return !function.DescendantNodes().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText is "P2PMapType" or "MapType" or "State" or "MapP2P" or "P2PMapState");
    }

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
