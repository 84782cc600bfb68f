using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using P2PAnalyzers.CodeFixes.Shared;
using static P2PAnalyzers.CodeFixes.Fixes.P2P0013BusAddressFlagPlan;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// Applies the edits of <see cref="P2P0013BusAddressFlagPlan"/> (one plan or the union of several) to the solution,
/// document by document, and keeps the result only if it compiles with no error the solution did not already have.
/// </summary>
internal static class P2P0013BusAddressFlagEdits
{
    public static async Task<Solution?> ApplyAsync(Solution solution, IEnumerable<Edit> edits, CancellationToken cancellationToken)
    {
        Solution changed = solution;
        foreach (IGrouping<DocumentId, Edit> group in edits.Distinct().GroupBy(e => e.Document))
        {
            Document? document = solution.GetDocument(group.Key);
            if (document is null || await ApplyAsync(document, group.ToList(), cancellationToken).ConfigureAwait(false) is not SyntaxNode root)
            {
                return null;
            }

            changed = changed.WithDocumentSyntaxRoot(group.Key, root);
        }

        foreach (DocumentId id in changed.GetChanges(solution).GetProjectChanges().SelectMany(p => p.GetChangedDocuments()).ToList())
        {
            Document formatted = await FixDocument.ReplaceRootAsync(changed.GetDocument(id)!, (await changed.GetDocument(id)!.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!, cancellationToken).ConfigureAwait(false);
            changed = formatted.Project.Solution;
        }

        return await SolutionEdits.NoNewErrorsAsync(solution, changed, cancellationToken).ConfigureAwait(false) ? changed : null;
    }

    private static async Task<SyntaxNode?> ApplyAsync(Document document, List<Edit> edits, CancellationToken cancellationToken)
    {
        DocumentEditor editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        SyntaxNode root = editor.OriginalRoot;
        foreach (Edit edit in edits)
        {
            SyntaxNode? node = edit.Kind == EditKind.AddFlagAfter
                ? root.FindNode(edit.Span).AncestorsAndSelf().OfType<MemberDeclarationSyntax>().FirstOrDefault(n => n.Span == edit.Span)
                : root.FindNode(edit.Span).AncestorsAndSelf().OfType<StatementSyntax>().FirstOrDefault(n => n.Span == edit.Span);
            if (node is null)
            {
                return null;
            }

            switch (edit.Kind)
            {
                case EditKind.AddFlagAfter:
                    // The declaration and its comment are split at "//": the comment stays on the field's line.
                    int comment = edit.Text.IndexOf("//", System.StringComparison.Ordinal);
                    editor.InsertAfter(node, FixDocument.Generated(SyntaxFactory.ParseMemberDeclaration(edit.Text.Substring(0, comment).TrimEnd())!
                        .WithLeadingTrivia(SyntaxFactory.ElasticMarker)
                        .WithTrailingTrivia(SyntaxFactory.Space, SyntaxFactory.Comment(edit.Text.Substring(comment)), SyntaxFactory.ElasticCarriageReturnLineFeed)));
                    break;
                case EditKind.SetFlagAfter when node.Parent is BlockSyntax or SwitchSectionSyntax:
                    editor.InsertAfter(node, FixDocument.Statement(edit.Text));
                    break;
                case EditKind.SetFlagAfter:
                    // A store that is the body of an if or a loop: the flag goes with it in a block.
                    editor.ReplaceNode(node, (current, _) => FixDocument.Generated(SyntaxFactory.Block(((StatementSyntax)current).WithoutTrivia(), FixDocument.Statement(edit.Text)))
                        .WithTriviaFrom(current));
                    break;
                case EditKind.Guard:
                    editor.ReplaceNode(node, (current, _) => FixDocument.Generated(SyntaxFactory.IfStatement(SyntaxFactory.ParseExpression(edit.Text),
                        SyntaxFactory.Block(((StatementSyntax)current).WithoutLeadingTrivia()))).WithLeadingTrivia(current.GetLeadingTrivia()));
                    break;
            }
        }

        return editor.GetChangedRoot();
    }
}
