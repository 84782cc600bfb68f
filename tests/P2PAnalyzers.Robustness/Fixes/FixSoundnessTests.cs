using System.Diagnostics;
using Microsoft.CodeAnalysis;
using P2PAnalyzers.Corpus;
using P2PAnalyzers.Robustness.Infrastructure;
using Xunit.Abstractions;

namespace P2PAnalyzers.Robustness.Fixes;

/// <summary>
/// The fix soundness matrix over valid code (the samples and a generated driver corpus): for every diagnostic, every
/// fix offered is applied and must (1) add no compiler error or warning, (2) remove that diagnostic at that place,
/// (3) lose no comment or statement outside the code it rewrote (<see cref="Preservation"/>); Fix All (document scope)
/// must do the same for every diagnostic it fixes and, applied a second time, change nothing more. It also measures
/// coverage: the offered-fix rate per rule (<see cref="OfferedFixes"/>), checked against <c>Fixes/offered-fixes.txt</c>.
/// </summary>
public sealed class FixSoundnessTests
{
    private readonly ITestOutputHelper _output;

    public FixSoundnessTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task EveryFixOnValidCode_CompilesRemovesItsDiagnosticAndKeepsTheRest()
    {
        var clock = Stopwatch.StartNew();
        var findings = new Findings(nameof(FixSoundnessTests));
        GeneratedCorpus corpus = DriverCorpus.Generate(Mode.Long ? 2001 : 121, seed: 3);
        List<SourceSet> sets = SourceSet.Samples().Concat(SourceSet.PerFile(corpus)).ToList();

        await Parallel.ForEachAsync(sets, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, async (set, _) =>
            await CheckSetAsync(set, findings).ConfigureAwait(false));

        List<string> offered = OfferedFixes.Table(findings);
        _output.WriteLine("offered-fix rate per rule (rule, diagnostics, with a fix, rate):\n  " + string.Join("\n  ", offered));
        findings.Report(_output, clock.Elapsed);
        Assert.True(findings["fixes applied"] > 0, "no fix was applied: the matrix checked nothing");
        string? drift = OfferedFixes.CompareWithCheckedIn(offered);
        Assert.True(drift is null, drift);
    }

    private static async Task CheckSetAsync(SourceSet set, Findings findings)
    {
        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        CancellationToken ct = hang.Token;
        Workbench bench = Workbench.Open(set);
        Project project = bench.Solution.GetProject(bench.Projects[0])!;
        Compilation compilation = (await project.GetCompilationAsync(ct).ConfigureAwait(false))!;
        ImmutableArray<Diagnostic> compilerBefore = AnalyzerRun.CompilerDiagnostics(compilation);
        if (compilerBefore.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            findings.Fail("valid source does not compile (fix the harness or the corpus)", set.Name,
                string.Join("\n", compilerBefore.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10)));
            return;
        }

        findings.Count("files", set.Focus.Count);
        foreach (int focus in set.Focus)
        {
            Document document = project.GetDocument(bench.Documents[0][focus])!;
            AnalysisResult analysis = await AnalyzerRun.RunOnDocumentAsync(document, ct).ConfigureAwait(false);
            await Soundness.CheckDocumentAsync(document, analysis, compilerBefore, findings, ct).ConfigureAwait(false);
        }
    }
}
