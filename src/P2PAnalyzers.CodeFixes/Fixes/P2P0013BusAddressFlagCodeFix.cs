using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using P2PAnalyzers.Analysis;
using P2PAnalyzers.Rules;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// P2P0013 where the address is a bus address on only some paths (kind Mixed): track the bus-address bit beside the
/// address and skip the unmap when it is set (<see cref="P2P0013BusAddressFlagPlan"/>). A provider of its own beside
/// <see cref="P2P0013BusAddressUnmappedCodeFix"/> because its edits span documents (the struct, the map path, the
/// completion) and its Fix All must merge the plans of several unmaps that share a store, which a batch of
/// per-diagnostic solutions cannot do without duplicating the shared flag.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0013BusAddressFlagCodeFix)), Shared]
public sealed class P2P0013BusAddressFlagCodeFix : CodeFixProvider
{
    private const string Title = "Track the bus address and skip its unmap";

    private static readonly string EquivalenceKey = RuleIdentifiers.BusAddressUnmapped + ".Flag";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.BusAddressUnmapped);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => new FixAll();

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (Diagnostic diagnostic in context.Diagnostics.Where(IsMixed))
        {
            Solution? fixedSolution = await FixAsync(context.Document.Project.Solution, new[] { (context.Document, diagnostic) }, context.CancellationToken).ConfigureAwait(false);
            if (fixedSolution is not null)
            {
                context.RegisterCodeFix(CodeAction.Create(Title, _ => Task.FromResult(fixedSolution), EquivalenceKey), diagnostic);
            }
        }
    }

    private static bool IsMixed(Diagnostic diagnostic) => diagnostic.Id == RuleIdentifiers.BusAddressUnmapped
        && diagnostic.Properties.GetValueOrDefault(PropertyNames.Kind) == P2P0013BusAddressUnmappedAnalyzer.Mixed;

    /// <summary>The union of the plans of every unmap that has one, applied once; null when none has. Never throws.</summary>
    private static async Task<Solution?> FixAsync(Solution solution, IEnumerable<(Document Document, Diagnostic Diagnostic)> unmaps, CancellationToken cancellationToken)
    {
        try
        {
            var edits = new List<P2P0013BusAddressFlagPlan.Edit>();
            foreach ((Document document, Diagnostic diagnostic) in unmaps)
            {
                if (await P2P0013BusAddressFlagPlan.ForUnmapAsync(document, diagnostic.Location.SourceSpan, cancellationToken).ConfigureAwait(false) is { } plan)
                {
                    edits.AddRange(plan);
                }
            }

            return edits.Count == 0 ? null : await P2P0013BusAddressFlagEdits.ApplyAsync(solution, edits, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Exception e) when (!AnalysisGuard.Rethrow && e is not System.OperationCanceledException)
        {
            // Fixes never throw into the IDE: a plan that cannot finish is simply not offered (tests let it through).
            return null;
        }
    }

    /// <summary>Fix All in document, project or solution: one union of the plans, so a shared flag is added once.</summary>
    private sealed class FixAll : FixAllProvider
    {
        public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() => new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

        public override async Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
        {
            IEnumerable<Project> projects = fixAllContext.Scope switch
            {
                FixAllScope.Solution => fixAllContext.Solution.Projects,
                _ => new[] { fixAllContext.Project },
            };
            var unmaps = new List<(Document, Diagnostic)>();
            foreach (Project project in projects)
            {
                IEnumerable<Document> documents = fixAllContext.Scope == FixAllScope.Document && fixAllContext.Document is not null
                    ? new[] { fixAllContext.Document }
                    : project.Documents;
                foreach (Document document in documents)
                {
                    ImmutableArray<Diagnostic> diagnostics = await fixAllContext.GetDocumentDiagnosticsAsync(document).ConfigureAwait(false);
                    unmaps.AddRange(diagnostics.Where(IsMixed).OrderBy(d => d.Location.SourceSpan.Start).Select(d => (document, d)));
                }
            }

            Solution? fixedSolution = await FixAsync(fixAllContext.Solution, unmaps, fixAllContext.CancellationToken).ConfigureAwait(false);
            return fixedSolution is null ? null : CodeAction.Create(Title, _ => Task.FromResult(fixedSolution), EquivalenceKey);
        }
    }
}
