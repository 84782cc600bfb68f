using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// The semantic models of a project's C# documents, for fixes whose unit spans files (a builder in the VRAM manager's
/// file, its caller in the dma-buf file, the BAR cached in the probe's file). Taken from the workspace's documents,
/// never from <c>Compilation.GetSemanticModel</c>.
/// </summary>
internal sealed class SolutionModels
{
    private readonly ImmutableDictionary<SyntaxTree, (Document Document, SemanticModel Model)> _byTree;

    private SolutionModels(ImmutableDictionary<SyntaxTree, (Document, SemanticModel)> byTree) => _byTree = byTree;

    public static async Task<SolutionModels> OfAsync(Project project, CancellationToken cancellationToken)
    {
        var byTree = ImmutableDictionary.CreateBuilder<SyntaxTree, (Document, SemanticModel)>();
        foreach (Document document in project.Documents)
        {
            if (await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is SemanticModel model)
            {
                byTree[model.SyntaxTree] = (document, model);
            }
        }

        return new SolutionModels(byTree.ToImmutable());
    }

    public SemanticModel ModelOf(SyntaxNode node) => _byTree[node.SyntaxTree].Model;

    public Document DocumentOf(SyntaxNode node) => _byTree[node.SyntaxTree].Document;

    public bool Has(SyntaxNode node) => _byTree.ContainsKey(node.SyntaxTree);

    /// <summary>Every assignment to <paramref name="field"/> in the project (compound ones too), and ref/out uses as a store of nothing known.</summary>
    public IEnumerable<(ExpressionSyntax Target, ExpressionSyntax Value, SemanticModel Model)> Stores(IFieldSymbol field, CancellationToken cancellationToken)
    {
        foreach (KeyValuePair<SyntaxTree, (Document Document, SemanticModel Model)> entry in _byTree)
        {
            SyntaxTree tree = entry.Key;
            SemanticModel model = entry.Value.Model;
            SyntaxNode root = tree.GetRoot(cancellationToken);
            foreach (SyntaxNode n in root.DescendantNodes().Where(n => n is AssignmentExpressionSyntax or ArgumentSyntax or VariableDeclaratorSyntax))
            {
                switch (n)
                {
                    case AssignmentExpressionSyntax a when Named(a.Left, field.Name) && Same(model.GetSymbolInfo(a.Left, cancellationToken).Symbol, field):
                        yield return (a.Left, a.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SimpleAssignmentExpression) ? a.Right : a, model);
                        break;
                    case ArgumentSyntax { RefKindKeyword.RawKind: not 0 } arg when Named(arg.Expression, field.Name) && Same(model.GetSymbolInfo(arg.Expression, cancellationToken).Symbol, field):
                        yield return (arg.Expression, arg.Expression, model);
                        break;
                    case VariableDeclaratorSyntax { Initializer.Value: var init } v when v.Identifier.ValueText == field.Name && Same(model.GetDeclaredSymbol(v, cancellationToken), field):
                        yield return (init, init, model);
                        break;
                }
            }
        }
    }

    /// <summary>The syntax trees of the project's documents.</summary>
    public IEnumerable<SyntaxTree> Trees => _byTree.Keys;

    /// <summary>The project's documents.</summary>
    public IEnumerable<Document> Documents => _byTree.Values.Select(v => v.Document);

    /// <summary>Every call of <paramref name="method"/> in the project.</summary>
    public IEnumerable<InvocationExpressionSyntax> Invocations(IMethodSymbol method, CancellationToken cancellationToken) =>
        References(method, cancellationToken)
            .Select(n => (Name: n, Call: n.FirstAncestorOrSelf<InvocationExpressionSyntax>()))
            .Where(x => x.Call is not null && x.Call.Expression.Span.Contains(x.Name.Span))
            .Select(x => x.Call!);

    /// <summary>Every name in the project that binds to <paramref name="symbol"/> (calls, method groups, nameof).</summary>
    public IEnumerable<SimpleNameSyntax> References(ISymbol symbol, CancellationToken cancellationToken)
    {
        foreach (KeyValuePair<SyntaxTree, (Document Document, SemanticModel Model)> entry in _byTree)
        {
            foreach (SimpleNameSyntax name in entry.Key.GetRoot(cancellationToken).DescendantNodes().OfType<SimpleNameSyntax>())
            {
                if (name.Identifier.ValueText == symbol.Name && Same(entry.Value.Model.GetSymbolInfo(name, cancellationToken).Symbol, symbol))
                {
                    yield return name;
                }
            }
        }
    }

    private static bool Named(ExpressionSyntax e, string name) => e switch
    {
        MemberAccessExpressionSyntax m => m.Name.Identifier.ValueText == name,
        IdentifierNameSyntax i => i.Identifier.ValueText == name,
        _ => false,
    };

    private static bool Same(ISymbol? a, ISymbol b) => SymbolEqualityComparer.Default.Equals(a?.OriginalDefinition, b.OriginalDefinition);
}
