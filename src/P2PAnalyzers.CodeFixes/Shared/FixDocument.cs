using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Applies a syntax rewrite to a document and finishes it the way every fix here must: the usings the new code
/// needs are added, fully qualified names written by the fix are simplified, and only new code is formatted.
/// </summary>
internal static class FixDocument
{
    /// <summary>Marks generated nodes for import adding, simplification and formatting.</summary>
    public static TNode Generated<TNode>(TNode node)
        where TNode : SyntaxNode =>
        node.WithAdditionalAnnotations(Simplifier.AddImportsAnnotation, Simplifier.Annotation, Formatter.Annotation);

    /// <summary>A new statement on its own line, indented by the formatter.</summary>
    public static Microsoft.CodeAnalysis.CSharp.Syntax.StatementSyntax Statement(string text) =>
        Generated(Microsoft.CodeAnalysis.CSharp.SyntaxFactory.ParseStatement(text)
            .WithLeadingTrivia(Microsoft.CodeAnalysis.CSharp.SyntaxFactory.ElasticMarker)
            .WithTrailingTrivia(Microsoft.CodeAnalysis.CSharp.SyntaxFactory.ElasticMarker));

    public static async Task<Document> ReplaceRootAsync(Document document, SyntaxNode newRoot, CancellationToken cancellationToken)
    {
        Document changed = document.WithSyntaxRoot(newRoot);
        changed = await ImportAdder.AddImportsAsync(changed, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        changed = await Simplifier.ReduceAsync(changed, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await Formatter.FormatAsync(changed, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
