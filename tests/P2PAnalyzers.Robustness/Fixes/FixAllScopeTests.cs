using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;
using P2PAnalyzers.Corpus;
using P2PAnalyzers.Robustness.Infrastructure;
using Xunit.Abstractions;

namespace P2PAnalyzers.Robustness.Fixes;

/// <summary>
/// Fix All across documents and projects: one solution of the sample projects and a generated corpus; for every fix,
/// Fix All in project scope (each project) and in solution scope must leave every project compiling as before, lose
/// nothing outside what it rewrote, and change nothing more when applied again.
/// </summary>
public sealed class FixAllScopeTests
{
    private readonly ITestOutputHelper _output;

    public FixAllScopeTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task FixAllInProjectAndSolution_CompilesKeepsTheRestAndIsIdempotent()
    {
        var clock = Stopwatch.StartNew();
        var findings = new Findings(nameof(FixAllScopeTests));
        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        CancellationToken ct = hang.Token;
        SourceSet[] sets = SourceSet.Samples().Append(SourceSet.Whole(DriverCorpus.Generate(Mode.Long ? 121 : 41, seed: 3))).ToArray();
        Workbench bench = Workbench.Open(sets);
        Solution solution = bench.Solution;
        var compilerBefore = new Dictionary<ProjectId, ImmutableArray<Diagnostic>>();
        var fixable = new List<(Project Project, Document Document, CodeFixProvider Provider, string? Key)>();
        foreach (Project project in bench.Projects.Select(id => solution.GetProject(id)!))
        {
            compilerBefore[project.Id] = AnalyzerRun.CompilerDiagnostics((await project.GetCompilationAsync(ct))!);
            Assert.DoesNotContain(compilerBefore[project.Id], d => d.Severity == DiagnosticSeverity.Error);
            AnalysisResult analysis = await AnalyzerRun.CachedAsync(project, ct);
            Assert.Empty(analysis.Exceptions);
            foreach (IGrouping<CodeFixProvider, Diagnostic> byFixer in analysis.Product.SelectMany(d => Products.FixersFor(d.Id).Select(p => (Diagnostic: d, Provider: p))).GroupBy(f => f.Provider, f => f.Diagnostic))
            {
                // The first diagnostic this fixer offers an action for names the equivalence key and the document to start from.
                foreach (Diagnostic diagnostic in byFixer)
                {
                    Document document = solution.GetDocument(diagnostic.Location.SourceTree)!;
                    ImmutableArray<CodeAction> actions = await FixRunner.OfferedAsync(document, diagnostic, byFixer.Key, ct);
                    if (actions.Length > 0)
                    {
                        fixable.Add((project, document, byFixer.Key, actions[0].EquivalenceKey));
                        break;
                    }
                }
            }
        }

        foreach ((Project project, Document document, CodeFixProvider provider, string? key) in fixable)
        {
            await CheckAsync(solution, document, provider, key, FixAllScope.Project, compilerBefore, findings, ct);
        }

        foreach (IGrouping<string?, (Project Project, Document Document, CodeFixProvider Provider, string? Key)> byKey in fixable.GroupBy(f => f.Key))
        {
            (_, Document document, CodeFixProvider provider, string? key) = byKey.First();
            await CheckAsync(solution, document, provider, key, FixAllScope.Solution, compilerBefore, findings, ct);
        }

        findings.Report(_output, clock.Elapsed);
        Assert.True(findings["Fix All runs"] > 0, "no Fix All ran");
    }

    private static async Task CheckAsync(Solution solution, Document start, CodeFixProvider provider, string? key, FixAllScope scope,
        Dictionary<ProjectId, ImmutableArray<Diagnostic>> compilerBefore, Findings findings, CancellationToken ct)
    {
        string label = $"Fix All '{key}' in {scope} scope from {start.FilePath}";
        Solution? once = await findings.GuardAsync("Fix All threw", label, null, () => FixRunner.ApplyFixAllAsync(start, provider, key, scope, ct));
        findings.Count("Fix All runs");
        findings.Count($"Fix All runs in {scope} scope");
        if (once is null)
        {
            return;
        }

        List<DocumentId> changed = once.GetChanges(solution).GetProjectChanges().SelectMany(p => p.GetChangedDocuments()).ToList();
        findings.Count("documents changed by Fix All", changed.Count);
        if (changed.Count == 0)
        {
            findings.Fail("Fix All changed nothing", label, "");
            return;
        }

        foreach (ProjectId project in changed.Select(d => d.ProjectId).Distinct())
        {
            Compilation compilation = (await once.GetProject(project)!.GetCompilationAsync(ct))!;
            IReadOnlyList<string> added = FixChecks.NewCompilerDiagnostics(compilerBefore[project], AnalyzerRun.CompilerDiagnostics(compilation));
            if (added.Count > 0)
            {
                findings.Fail("Fix All introduced compiler diagnostics", label, string.Join("\n", added));
            }
        }

        foreach (DocumentId id in changed)
        {
            Document before = solution.GetDocument(id)!;
            Document after = once.GetDocument(id)!;
            List<TextChange> changes = (await after.GetTextChangesAsync(before, ct)).OrderBy(c => c.Span.Start).ToList();
            IReadOnlyList<string> lost = Preservation.Lost((await before.GetSyntaxRootAsync(ct))!, (await after.GetSyntaxRootAsync(ct))!, changes);
            if (lost.Count > 0)
            {
                findings.Fail("Fix All lost code or comments outside what it rewrote", $"{label}: {before.FilePath}", string.Join("\n", lost),
                    (await after.GetTextAsync(ct)).ToString());
            }
        }

        Solution? twice = await findings.GuardAsync("Fix All threw (second pass)", label, null,
            () => FixRunner.ApplyFixAllAsync(once.GetDocument(start.Id)!, provider, key, scope, ct));
        if (twice is not null && twice.GetChanges(once).GetProjectChanges().SelectMany(p => p.GetChangedDocuments()).ToList() is { Count: > 0 } more)
        {
            Document first = twice.GetDocument(more[0])!;
            findings.Fail("Fix All applied twice differs from once", label,
                FixChecks.Diff((await once.GetDocument(more[0])!.GetTextAsync(ct)).ToString(), (await first.GetTextAsync(ct)).ToString()));
        }
    }
}
