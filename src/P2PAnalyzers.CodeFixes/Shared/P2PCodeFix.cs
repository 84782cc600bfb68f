using System;
using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// What every P2P fix shares: one rule, Fix All by batching, one equivalence key per rule (so Fix All applies every
/// shape of the fix at once), the rewrite computed up front so that a fix is offered only when it applies, and a guard
/// so that a fix that cannot finish is simply not offered (fixes never throw into the IDE).
/// </summary>
public abstract class P2PCodeFix : CodeFixProvider
{
    /// <summary>The rule this fix answers.</summary>
    private protected abstract string RuleId { get; }

    /// <inheritdoc/>
    public sealed override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleId);

    /// <inheritdoc/>
    public sealed override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            SyntaxNode? newRoot = null;
            string? title = null;
            AnalysisGuard.Run(() =>
            {
                (newRoot, title) = RewriteTitled(root, model, diagnostic, context.CancellationToken) ?? default;
                return true;
            });
            if (newRoot is not null && title is not null)
            {
                Document document = context.Document;
                SyntaxNode fixedRoot = newRoot;
                context.RegisterCodeFix(CodeAction.Create(title, ct => FixDocument.ReplaceRootAsync(document, fixedRoot, ct), RuleId), diagnostic);
                continue;
            }

            UnitFix? unit = null;
            try
            {
                unit = await RewriteUnitAsync(context.Document, diagnostic, context.CancellationToken).ConfigureAwait(false);
            }
            catch (System.Exception e) when (!AnalysisGuard.Rethrow && e is not System.OperationCanceledException)
            {
                unit = null;
            }

            if (unit is UnitFix { Solution: var fixedSolution, Title: var unitTitle })
            {
                context.RegisterCodeFix(CodeAction.Create(unitTitle, _ => Task.FromResult(fixedSolution), RuleId), diagnostic);
            }
        }
    }

    /// <summary>
    /// When the local rewrite declines: a rewrite of the unit that must change together, over several documents (a
    /// builder in another class or file, its callers, the exporter's unmap); null when there is none.
    /// </summary>
    private protected virtual Task<UnitFix?> RewriteUnitAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        Task.FromResult<UnitFix?>(null);

    /// <summary>A rewrite of a unit over several documents, and its light-bulb title.</summary>
    private protected readonly record struct UnitFix(Solution Solution, string Title)
    {
        /// <summary>The first of <paramref name="rewrites"/>, in order, that applies.</summary>
        public static async Task<UnitFix?> FirstAsync(params (System.Func<Task<Solution?>> Rewrite, string Title)[] rewrites)
        {
            foreach ((System.Func<Task<Solution?>> rewrite, string title) in rewrites)
            {
                if (await rewrite().ConfigureAwait(false) is Solution solution)
                {
                    return new UnitFix(solution, title);
                }
            }

            return null;
        }
    }

    /// <summary>
    /// The document's new root and the light-bulb title, or null: <see cref="Rewrite"/> with <see cref="Title"/>, unless
    /// a fix has shapes that only the rewrite tells apart.
    /// </summary>
    private protected virtual (SyntaxNode Root, string Title)? RewriteTitled(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        Rewrite(root, model, diagnostic, cancellationToken) is SyntaxNode newRoot ? (newRoot, Title(diagnostic)) : null;

    /// <summary>The document's new root, or null when the fix does not apply soundly here.</summary>
    private protected abstract SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken);

    /// <summary>The light-bulb title for this diagnostic.</summary>
    private protected abstract string Title(Diagnostic diagnostic);
}
