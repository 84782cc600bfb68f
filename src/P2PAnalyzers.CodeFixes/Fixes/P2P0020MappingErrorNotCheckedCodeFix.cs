using System.Composition;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.CodeFixes.Shared;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// P2P0020: adds the check right after the mapping, the way the kernel's fixes did (<c>if (dma_mapping_error(dev,
/// dma_addr)) return -ENOMEM;</c>), leaving through the function's own error path (<see cref="ErrorPath"/>). Offered
/// when the mapping is kept in a name the check can read again: a local it declares or is assigned to, or a chain of
/// names (<c>nvme.CmdDma</c>, <c>handles[i]</c>), as a statement of its own in a block; and when the device it was
/// mapped for is a chain of names too.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0020MappingErrorNotCheckedCodeFix)), Shared]
public sealed class P2P0020MappingErrorNotCheckedCodeFix : P2PCodeFix
{
    private protected override string RuleId => RuleIdentifiers.MappingErrorNotChecked;

    private protected override string Title(Diagnostic diagnostic) => "Check the mapping with Dma.MappingError";

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax map
            || map.ArgumentList.Arguments.FirstOrDefault()?.Expression is not ExpressionSyntax device
            || !Assignments.PathOnly(device)
            || Kept(map) is not (StatementSyntax statement, ExpressionSyntax kept)
            || statement.Parent is not BlockSyntax block
            || EarlyExits.UnmapsBefore(model, statement))
        {
            return null;
        }

        ExpressionSyntax Failed(ExpressionSyntax mapping) => SyntaxFactory.ParseExpression($"{Names.Dma}.MappingError({device.WithoutTrivia()}, {mapping.WithoutTrivia()})");

        // The function tests the mapping already, against zero (ath10k's `if (!paddr)`): the test becomes the check, and
        // its branch stays the function's own way of handling the failure.
        if (Assignments.PathOnly(kept) && block.Statements.IndexOf(statement) + 1 is int next && next < block.Statements.Count
            && block.Statements[next] is IfStatementSyntax test && ZeroTest.Of(test.Condition, kept))
        {
            return root.ReplaceNode(test.Condition, FixDocument.Generated(Failed(kept)).WithTriviaFrom(test.Condition));
        }

        // A new way out: through the function's unwinding label if it has one, else a return, never past a lock it holds.
        ExpressionSyntax error = SyntaxFactory.ParseExpression(Names.DmaError + ".NoMemory");
        if (EarlyExits.Failure(model, statement, error, UsedElsewhere(diagnostic, statement)) is not StatementSyntax[] failure)
        {
            return null;
        }

        StatementSyntax Check(ExpressionSyntax mapping) => FixDocument.Generated(SyntaxFactory.IfStatement(Failed(mapping), SyntaxFactory.Block(failure)));
        if (Assignments.PathOnly(kept))
        {
            // Inserted after the statement, not by rewriting the block: Fix All merges the checks of one block's mappings.
            return root.InsertNodesAfter(statement, new[] { Check(kept) });
        }

        // An element (sgt[i].DmaAddress) is stored only once checked, through a local, as habanalabs' exporter does:
        // what a library entry holds is not read back as the same mapping.
        string name = Scope.FreeName(model, map.SpanStart, "dmaAddress");
        var declaration = (LocalDeclarationStatementSyntax)SyntaxFactory.ParseStatement($"{Names.DmaAddr} {name} = {map.WithoutTrivia()};");
        StatementSyntax store = statement.ReplaceNode(map, SyntaxFactory.IdentifierName(name).WithTriviaFrom(map));
        return root.ReplaceNode(statement, new[]
        {
            FixDocument.Generated(declaration).WithLeadingTrivia(statement.GetLeadingTrivia()),
            Check(SyntaxFactory.IdentifierName(name)),
            store.WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation),
        });
    }

    /// <summary>
    /// Whether the use the diagnostic names is in another function than the mapping (kept in a request and unmapped by
    /// the completion): that function goes on whatever this one does on failure.
    /// </summary>
    private static bool UsedElsewhere(Diagnostic diagnostic, SyntaxNode at) =>
        diagnostic.AdditionalLocations.FirstOrDefault() is Location use
        && (use.SourceTree != at.SyntaxTree || Scope.EnclosingFunction(at) is not SyntaxNode function || !function.Span.Contains(use.SourceSpan));

    /// <summary>The statement that keeps the mapping, and the name it is kept in.</summary>
    private static (StatementSyntax, ExpressionSyntax)? Kept(InvocationExpressionSyntax map) => map.Parent switch
    {
        EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: LocalDeclarationStatementSyntax declaration } } declarator } =>
            (declaration, SyntaxFactory.IdentifierName(declarator.Identifier.ValueText)),
        AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Parent: ExpressionStatementSyntax statement } assignment
            when assignment.Right == map && Readable(assignment.Left) => (statement, assignment.Left),
        _ => null,
    };

    /// <summary>A chain of names and elements indexed by names and constants (<c>sgt[i].DmaAddress</c>): reading it again reads the mapping.</summary>
    private static bool Readable(ExpressionSyntax target) => target switch
    {
        IdentifierNameSyntax or ThisExpressionSyntax => true,
        MemberAccessExpressionSyntax member => Readable(member.Expression),
        ElementAccessExpressionSyntax element => Readable(element.Expression)
            && element.ArgumentList.Arguments.All(a => a.Expression is IdentifierNameSyntax or LiteralExpressionSyntax),
        _ => false,
    };
}
