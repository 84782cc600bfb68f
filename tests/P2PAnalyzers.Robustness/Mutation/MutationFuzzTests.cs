using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;
using P2PAnalyzers.Corpus;
using P2PAnalyzers.Robustness.Infrastructure;
using Xunit.Abstractions;

namespace P2PAnalyzers.Robustness.Mutation;

/// <summary>
/// Mutation fuzzing: broken variants of valid driver code (the generated corpus and the samples), as an editor shows
/// them while code is typed. Every analyzer runs on each variant, every fix offered on it is applied, Fix All runs for
/// each fix, and the analyzers run again over each fixed variant: nothing may throw (no AD0001, no exception from a fix
/// provider, a code action or Fix All). A variant that still compiles is valid code the corpus did not have: its fixes
/// get the soundness checks of <see cref="Fixes.FixSoundnessTests"/> as well. Deterministic (fixed seeds); CI mode at
/// least 2,000 variants, long mode 10x.
/// </summary>
public sealed class MutationFuzzTests
{
    public const int CiVariants = 2000;

    private readonly ITestOutputHelper _output;

    public MutationFuzzTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task BrokenVariants_NoAnalyzerFixOrFixAllThrows()
    {
        var clock = Stopwatch.StartNew();
        var findings = new Findings(nameof(MutationFuzzTests));
        var bases = new List<FuzzBase>();
        var benches = new Dictionary<SourceSet, Workbench>();
        foreach (SourceSet sample in SourceSet.Samples())
        {
            benches[sample] = await Workbench.Open(sample).WarmAsync();
            bases.AddRange(sample.Focus.Select(f => new FuzzBase(sample, f, HasDiagnostics: true)));
        }

        GeneratedCorpus corpus = DriverCorpus.Generate(Mode.Long ? 121 : 41, seed: 11);
        var violating = corpus.Expected.Select(e => "corpus/" + e.Path).ToHashSet(StringComparer.Ordinal);
        foreach (SourceSet file in SourceSet.PerFile(corpus))
        {
            benches[file] = await Workbench.Open(file).WarmAsync();
            bases.Add(new FuzzBase(file, file.Focus[0], violating.Contains(file.Files[file.Focus[0]].Path)));
        }

        int target = CiVariants * Mode.Scale;
        // Truncation at every statement: of every file in long mode; in CI mode of the samples (hand-written driver code),
        // and at eight statements spread over each generated file.
        List<(FuzzBase Base, Mutation Mutation)> plan = VariantPlan.Build(bases, target,
            truncationsPerFile: b => Mode.Long || b.Path.StartsWith("samples/", StringComparison.Ordinal) ? int.MaxValue : 8, seed: 20251127);
        findings.Count("base files", bases.Count);
        _output.WriteLine($"plan of {plan.Count} variants ready after {clock.Elapsed.TotalSeconds:F1} s");

        await Parallel.ForEachAsync(plan, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, async (item, _) =>
            await FuzzAsync(benches[item.Base.Set], item.Base, item.Mutation, findings).ConfigureAwait(false));

        findings.Report(_output, clock.Elapsed);
        Assert.True(findings["variants"] >= target, $"only {findings["variants"]} variants were derived; the plan needs {target}");
    }

    private static async Task FuzzAsync(Workbench bench, FuzzBase fuzzBase, Mutation mutation, Findings findings)
    {
        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        CancellationToken ct = hang.Token;
        string where = $"{fuzzBase.Path}: {mutation.Description}";
        DocumentId id = bench.Documents[0][fuzzBase.File];
        Document document = bench.Solution.WithDocumentText(id, SourceText.From(mutation.Text)).GetDocument(id)!;
        findings.Count("variants");
        findings.Count($"variants: {mutation.Kind}");
        SyntaxTree tree = (await document.GetSyntaxTreeAsync(ct).ConfigureAwait(false))!;
        bool syntaxErrors = tree.GetDiagnostics(ct).Any(d => d.Severity == DiagnosticSeverity.Error);
        if (syntaxErrors)
        {
            findings.Count("variants with syntax errors");
        }

        AnalysisResult? analysis = await AnalyzeAsync(document, where, mutation.Text, findings, ct).ConfigureAwait(false);
        if (analysis is null)
        {
            return;
        }

        // A variant that still compiles (an operator swapped into another valid one, a line doubled harmlessly) is valid
        // code the corpus did not have: its fixes get the full soundness checks of the matrix.
        if (!syntaxErrors && analysis.Product.Any(d => d.Location.SourceTree == tree && !Products.FixersFor(d.Id).IsEmpty))
        {
            Compilation compilation = (await document.Project.GetCompilationAsync(ct).ConfigureAwait(false))!;
            ImmutableArray<Diagnostic> compiler = AnalyzerRun.CompilerDiagnostics(compilation);
            if (!compiler.Any(d => d.Severity == DiagnosticSeverity.Error))
            {
                findings.Count("variants that compile, with fixable diagnostics");
                await Fixes.Soundness.CheckDocumentAsync(document, analysis with { Exceptions = ImmutableArray<string>.Empty }, compiler,
                    findings.Scoped("compiling variants: "), ct, $"[{mutation.Description}] ").ConfigureAwait(false);
                return;
            }
        }

        var keys = new HashSet<(CodeFixProvider Provider, string? Key)>();
        foreach ((Diagnostic diagnostic, CodeFixProvider provider) in analysis.Product.Where(d => d.Location.SourceTree == tree)
            .SelectMany(d => Products.FixersFor(d.Id).Select(p => (d, p))))
        {

            string at = $"{where}; {diagnostic.Id} at {diagnostic.Location.GetLineSpan().StartLinePosition}";
            ImmutableArray<CodeAction> actions = await findings.GuardAsync("fix provider threw (RegisterCodeFixesAsync)", at, mutation.Text,
                () => findings.TimeAsync("fix providers", () => FixRunner.OfferedAsync(document, diagnostic, provider, ct))).ConfigureAwait(false);
            findings.Count("fixes offered", actions.IsDefault ? 0 : actions.Length);
            foreach (CodeAction action in actions.IsDefault ? ImmutableArray<CodeAction>.Empty : actions)
            {
                keys.Add((provider, action.EquivalenceKey));
                Solution? fixedSolution = await findings.GuardAsync("code action threw (GetOperationsAsync)", at, mutation.Text,
                    () => findings.TimeAsync("code actions", () => FixRunner.ApplyAsync(action, ct))).ConfigureAwait(false);
                if (fixedSolution?.GetDocument(id) is Document fixedDocument)
                {
                    findings.Count("fixes applied");
                    string fixedText = (await fixedDocument.GetTextAsync(ct).ConfigureAwait(false)).ToString();
                    await AnalyzeAsync(fixedDocument, at + " (after the fix)", fixedText, findings, ct).ConfigureAwait(false);
                }
            }
        }

        foreach ((CodeFixProvider provider, string? key) in keys.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            Solution? fixedAll = await findings.GuardAsync("Fix All threw", $"{where}; Fix All {key}", mutation.Text,
                () => findings.TimeAsync("Fix All", () => FixRunner.ApplyFixAllAsync(document, provider, key, FixAllScope.Document, ct))).ConfigureAwait(false);
            findings.Count("Fix All runs");
            if (fixedAll?.GetDocument(id) is Document fixedDocument)
            {
                await fixedDocument.GetTextAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The analyzers over the changed document, as an editor runs them on the open file.</summary>
    private static async Task<AnalysisResult?> AnalyzeAsync(Document document, string where, string source, Findings findings, CancellationToken ct)
    {
        AnalysisResult? analysis = await findings.GuardAsync("analyzer run threw", where, source,
            () => findings.TimeAsync("analysis", () => AnalyzerRun.RunOnDocumentAsync(document, ct))).ConfigureAwait(false);
        if (analysis is null)
        {
            return null;
        }

        findings.Count("analyzer runs (all analyzers over a document)");
        foreach (string exception in analysis.Exceptions)
        {
            if (KnownBugs.Match(exception) is KnownBug known)
            {
                findings.Count($"analyzer exceptions of known bug {known.Id} (reported, tolerated; see KnownBugs)");
            }
            else
            {
                findings.Fail("analyzer exception (AD0001)", where, exception, source);
            }
        }

        foreach (Diagnostic d in analysis.Product)
        {
            findings.Count("diagnostics");
            findings.Count("diagnostics " + d.Id);
            if (!d.Location.IsInSource || d.Location.SourceSpan.End > d.Location.SourceTree!.Length)
            {
                findings.Fail("diagnostic outside the source", where, d.ToString(), source);
            }
        }

        return analysis;
    }
}
