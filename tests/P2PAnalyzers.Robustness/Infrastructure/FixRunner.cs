using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace P2PAnalyzers.Robustness.Infrastructure;

/// <summary>
/// Code fixes applied the way an IDE (and Microsoft.CodeAnalysis.Testing) applies them: the provider registers its
/// actions for one diagnostic, an action's operations are computed and its <see cref="ApplyChangesOperation"/> gives the
/// changed solution; Fix All goes through the provider's <see cref="FixAllProvider"/> with a <see cref="FixAllContext"/>.
/// </summary>
internal static class FixRunner
{
    /// <summary>The actions <paramref name="provider"/> offers for <paramref name="diagnostic"/> (nested actions flattened).</summary>
    public static async Task<ImmutableArray<CodeAction>> OfferedAsync(Document document, Diagnostic diagnostic, CodeFixProvider provider, CancellationToken cancellationToken)
    {
        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => { lock (actions) { actions.Add(action); } }, cancellationToken);
        await provider.RegisterCodeFixesAsync(context).ConfigureAwait(false);
        return actions.SelectMany(Flatten).ToImmutableArray();
    }

    /// <summary>The solution an action produces; it must consist of exactly one <see cref="ApplyChangesOperation"/>.</summary>
    public static async Task<Solution> ApplyAsync(CodeAction action, CancellationToken cancellationToken)
    {
        ImmutableArray<CodeActionOperation> operations = await action.GetOperationsAsync(cancellationToken).ConfigureAwait(false);
        ApplyChangesOperation[] apply = operations.OfType<ApplyChangesOperation>().ToArray();
        if (apply.Length != 1 || operations.Length != 1)
        {
            throw new InvalidOperationException($"code action '{action.Title}' produced {operations.Length} operations ({apply.Length} ApplyChanges); expected one ApplyChangesOperation");
        }

        return apply[0].ChangedSolution;
    }

    /// <summary>The Fix All action for one equivalence key in <paramref name="scope"/>, or null when there is nothing to fix.</summary>
    public static async Task<CodeAction?> FixAllAsync(Document document, CodeFixProvider provider, string? equivalenceKey, FixAllScope scope, CancellationToken cancellationToken)
    {
        FixAllProvider? fixAll = provider.GetFixAllProvider();
        if (fixAll is null)
        {
            return null;
        }

        var context = new FixAllContext(document, provider, scope, equivalenceKey, provider.FixableDiagnosticIds, new AnalyzerDiagnostics(), cancellationToken);
        return await fixAll.GetFixAsync(context).ConfigureAwait(false);
    }

    /// <summary>Applies Fix All; returns the solution unchanged when no action is produced.</summary>
    public static async Task<Solution> ApplyFixAllAsync(Document document, CodeFixProvider provider, string? equivalenceKey, FixAllScope scope, CancellationToken cancellationToken) =>
        await FixAllAsync(document, provider, equivalenceKey, scope, cancellationToken).ConfigureAwait(false) is CodeAction action
            ? await ApplyAsync(action, cancellationToken).ConfigureAwait(false)
            : document.Project.Solution;

    private static IEnumerable<CodeAction> Flatten(CodeAction action)
    {
        // CodeAction.NestedActions is internal in Roslyn 4.x; the testing library reads it the same way.
        PropertyInfo? nested = typeof(CodeAction).GetProperty("NestedActions", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        return nested?.GetValue(action) is ImmutableArray<CodeAction> { IsDefaultOrEmpty: false } children
            ? children.SelectMany(Flatten)
            : new[] { action };
    }

    /// <summary>The diagnostics Fix All works on: the product analyzers' results for the document or project snapshot.</summary>
    private sealed class AnalyzerDiagnostics : FixAllContext.DiagnosticProvider
    {
        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            (await AnalyzerRun.RunOnDocumentAsync(document, cancellationToken).ConfigureAwait(false)).Diagnostics;

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult(Enumerable.Empty<Diagnostic>());

        public override async Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            (await AnalyzerRun.CachedAsync(project, cancellationToken).ConfigureAwait(false)).Diagnostics;
    }
}
