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
using P2PAnalyzers.Analysis;
using P2PAnalyzers.CodeFixes.Shared;
using P2PAnalyzers.Rules;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// P2P0013: never unmap a bus address. A definite bus address: the unmap goes. A P2P mapping's address: the mapping
/// undoes itself (<c>mapping.Unmap()</c>). An entry of a P2P-mapped table: the unmap is guarded by
/// <c>!sg.IsDmaBusAddress</c>. A legacy <c>Dma.UnmapSg</c> of a P2P-mapped table: <c>Dma.UnmapSgTable</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0013BusAddressUnmappedCodeFix)), Shared]
public sealed class P2P0013BusAddressUnmappedCodeFix : P2PCodeFix
{
    private protected override string RuleId => RuleIdentifiers.BusAddressUnmapped;

    private protected override string Title(Diagnostic diagnostic) => diagnostic.Properties.GetValueOrDefault(PropertyNames.Kind) switch
    {
        P2P0013BusAddressUnmappedAnalyzer.Definite => "Remove the unmap of a bus address",
        P2P0013BusAddressUnmappedAnalyzer.FromMapping => "Undo the mapping with its Unmap()",
        P2P0013BusAddressUnmappedAnalyzer.FromEntry => "Skip bus-address entries",
        _ => "Use Dma.UnmapSgTable",
    };

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        // A call of a wrapper (ib_dma_unmap_sg) is not rewritten: the unmap to change is inside it, and its other callers
        // may pass tables that were never mapped P2P-aware.
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call
            || call.Parent is not ExpressionStatementSyntax statement || !EarlyExits.IsLibraryDma(model, call))
        {
            return null;
        }

        return diagnostic.Properties.GetValueOrDefault(PropertyNames.Kind) switch
        {
            P2P0013BusAddressUnmappedAnalyzer.Definite when statement.Parent is BlockSyntax or SwitchSectionSyntax =>
                Statements.Remove(root, statement),
            P2P0013BusAddressUnmappedAnalyzer.FromMapping when Address(call) is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Address" } address =>
                root.ReplaceNode(statement, SyntaxFactory.ParseStatement($"{address.Expression}.Unmap();").WithTriviaFrom(statement)),
            P2P0013BusAddressUnmappedAnalyzer.FromEntry when Address(call) is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaAddress" } address =>
                root.ReplaceNode(statement, BusAddressEntries.Guard(statement, address.Expression)),
            P2P0013BusAddressUnmappedAnalyzer.LegacyUnmapSg when LegacyToSgTable(call) is InvocationExpressionSyntax replacement =>
                root.ReplaceNode(call, replacement),
            _ => null,
        };
    }

    private static ExpressionSyntax? Address(InvocationExpressionSyntax call) =>
        call.ArgumentList.Arguments.Count > 1 && call.ArgumentList.Arguments[1].NameColon is null ? call.ArgumentList.Arguments[1].Expression : null;

    /// <summary><c>Dma.UnmapSg(dev, table, nents, dir[, attrs])</c> becomes <c>Dma.UnmapSgTable(dev, table, dir[, attrs])</c>.</summary>
    private static InvocationExpressionSyntax? LegacyToSgTable(InvocationExpressionSyntax call)
    {
        SeparatedSyntaxList<ArgumentSyntax> args = call.ArgumentList.Arguments;
        if (args.Count < 4 || args.Any(a => a.NameColon is not null) || call.Expression is not MemberAccessExpressionSyntax access)
        {
            return null;
        }

        return call.WithExpression(access.WithName(SyntaxFactory.IdentifierName("UnmapSgTable").WithTriviaFrom(access.Name)))
            .WithArgumentList(call.ArgumentList.WithArguments(args.RemoveAt(2)));
    }
}
