using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.Analysis;
using P2PAnalyzers.CodeFixes.Shared;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// P2P0002: the bus address is the BAR's bus-address query of the CPU address: <c>PciBusAddr.FromRaw(x)</c> becomes
/// <c>bar.BusAddressOf(PhysAddr.FromRaw(x))</c>; an annotated <c>ulong</c> sink gets <c>....Raw</c>. Offered when the
/// BAR the address came from is known and reachable where the sink is.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0002PhysicalAddressAsBusAddressCodeFix)), Shared]
public sealed class P2P0002PhysicalAddressAsBusAddressCodeFix : P2PCodeFix
{
    private protected override string RuleId => RuleIdentifiers.PhysicalAddressAsBusAddress;

    private protected override string Title(Diagnostic diagnostic) => BusOffsetSign.Applies(diagnostic) ? BusOffsetSign.Title : "Use the BAR's bus address";

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (BusOffsetSign.Applies(diagnostic))
        {
            return BusOffsetSign.Rewrite(root, diagnostic);
        }

        if (SourceExpressions.Bar(FactKey.Read(diagnostic.Properties), model, diagnostic.Location.SourceSpan.Start) is not ExpressionSyntax bar
            || !Scope.BindsTo(model, diagnostic.Location.SourceSpan.Start, bar, model.Compilation.GetTypeByMetadataName("P2PDma.Pci.PciBar")))
        {
            return null;
        }

        SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        (SyntaxNode target, ExpressionSyntax replacement)? edit = node switch
        {
            InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 } fromRaw => (fromRaw, BusAddressOf(bar, fromRaw.ArgumentList.Arguments[0].Expression)),
            ArgumentSyntax argument => (argument.Expression, Raw(BusAddressOf(bar, argument.Expression))),
            ExpressionSyntax value => (value, Raw(BusAddressOf(bar, value))),
            _ => null,
        };
        return edit is var (target, replacement) ? root.ReplaceNode(target, replacement.WithTriviaFrom(target)) : null;
    }

    private static ExpressionSyntax BusAddressOf(ExpressionSyntax bar, ExpressionSyntax raw) => FixDocument.Generated(
        SyntaxFactory.ParseExpression($"{bar}.BusAddressOf({Names.PhysAddr}.FromRaw({raw.WithoutTrivia()}))"));

    private static ExpressionSyntax Raw(ExpressionSyntax busAddress) =>
        SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, busAddress, SyntaxFactory.IdentifierName("Raw"));
}
