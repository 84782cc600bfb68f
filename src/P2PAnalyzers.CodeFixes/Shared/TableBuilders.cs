using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>From a diagnostic to the builder <see cref="TableBuilderRewrite"/> rewrites, for P2P0003 and P2P0010.</summary>
internal static class TableBuilders
{
    public const string Title = "Build the exporter's table with DmaBufMapping.PhysVecToSgt (builder, callers and unmap)";

    /// <summary>P2P0003: the builder the diagnostic names, called from the MapDmaBuf it is reported in (or that MapDmaBuf).</summary>
    public static async Task<Solution?> FromReturnAsync(Document document, Diagnostic diagnostic, string? builderName, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root?.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<MethodDeclarationSyntax>() is not MethodDeclarationSyntax map || builderName is null)
        {
            return null;
        }

        SolutionModels models = await SolutionModels.OfAsync(document.Project, cancellationToken).ConfigureAwait(false);
        SemanticModel model = models.ModelOf(map);
        MethodDeclarationSyntax? builder = map.Identifier.ValueText == builderName ? map
            : map.DescendantNodes().OfType<InvocationExpressionSyntax>()
                .Select(i => model.GetSymbolInfo(i, cancellationToken).Symbol)
                .OfType<IMethodSymbol>()
                .Where(m => m.Name == builderName)
                .SelectMany(m => m.DeclaringSyntaxReferences)
                .Select(r => r.GetSyntax(cancellationToken))
                .OfType<MethodDeclarationSyntax>()
                .Distinct()
                .SingleOrDefault();
        return builder is null ? null : await TableBuilderRewrite.ApplyAsync(document.Project.Solution, models, builder, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>P2P0010: the function of the mapping when it builds the table, else the one builder that hands it the entry.</summary>
    public static async Task<Solution?> FromMappingAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root?.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<MethodDeclarationSyntax>() is not MethodDeclarationSyntax function)
        {
            return null;
        }

        SolutionModels models = await SolutionModels.OfAsync(document.Project, cancellationToken).ConfigureAwait(false);
        return (await UnitOfAsync(document.Project.Solution, models, function, cancellationToken).ConfigureAwait(false))?.Fixed;
    }

    /// <summary>
    /// P2P0011 whose gate decides hand-built tables: the mapping calls it gates (their functions) and the helpers that
    /// map it gates (their declarations) must all belong to one builder, which is rewritten as for P2P0010; several
    /// builders decline, since fixing one would leave the gate deciding the others.
    /// </summary>
    public static async Task<Solution?> FromGateAsync(Document document, IReadOnlyList<Location> calls, IReadOnlyList<Location> helpers, CancellationToken cancellationToken)
    {
        if (calls.Count + helpers.Count == 0)
        {
            return null;
        }

        SolutionModels models = await SolutionModels.OfAsync(document.Project, cancellationToken).ConfigureAwait(false);
        var functions = new List<MethodDeclarationSyntax>();
        foreach ((Location location, bool isCall) in calls.Select(c => (c, true)).Concat(helpers.Select(h => (h, false))))
        {
            SyntaxNode? root = location.SourceTree is SyntaxTree tree ? await tree.GetRootAsync(cancellationToken).ConfigureAwait(false) : null;
            if (root is null || !models.Has(root)
                || root.FindNode(location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax call)
            {
                return null;
            }

            // A gated mapping is rewritten from its function, a gated helper from its declaration.
            MethodDeclarationSyntax? function = isCall
                ? call.FirstAncestorOrSelf<MethodDeclarationSyntax>()
                : models.ModelOf(call).GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol { DeclaringSyntaxReferences: [var reference] }
                    ? reference.GetSyntax(cancellationToken) as MethodDeclarationSyntax
                    : null;
            if (function is null)
            {
                return null;
            }

            functions.Add(function);
        }

        (MethodDeclarationSyntax Builder, Solution Fixed)? unit = null;
        foreach (MethodDeclarationSyntax function in functions.Distinct())
        {
            if (await UnitOfAsync(document.Project.Solution, models, function, cancellationToken).ConfigureAwait(false) is not { } found
                || unit is { } other && other.Builder != found.Builder)
            {
                return null;
            }

            unit = found;
        }

        return unit?.Fixed;
    }

    /// <summary>The builder a mapping function belongs to (itself, or the one function that hands it the entry), rewritten.</summary>
    private static async Task<(MethodDeclarationSyntax Builder, Solution Fixed)?> UnitOfAsync(Solution solution, SolutionModels models, MethodDeclarationSyntax function,
        CancellationToken cancellationToken)
    {
        if (await TableBuilderRewrite.ApplyAsync(solution, models, function, cancellationToken).ConfigureAwait(false) is Solution direct)
        {
            return (function, direct);
        }

        if (models.ModelOf(function).GetDeclaredSymbol(function, cancellationToken) is not IMethodSymbol helper
            || models.Invocations(helper, cancellationToken).Select(c => c.FirstAncestorOrSelf<MethodDeclarationSyntax>()).Distinct().ToList() is not [MethodDeclarationSyntax builder])
        {
            return null;
        }

        return await TableBuilderRewrite.ApplyAsync(solution, models, builder, cancellationToken).ConfigureAwait(false) is Solution viaBuilder ? (builder, viaBuilder) : null;
    }
}
