using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;
using P2PAnalyzers.Robustness.Infrastructure;

namespace P2PAnalyzers.Robustness.Fixes;

/// <summary>The soundness checks of a fix on code that compiles, shared by the matrix and the fuzzer's compiling variants.</summary>
internal static class Soundness
{
    private static readonly object DumpLock = new();

    /// <summary>
    /// Every fix offered for every diagnostic of a document that compiles, each applied and checked on its own, then
    /// Fix All once per equivalence key, applied twice.
    /// </summary>
    public static async Task CheckDocumentAsync(Document document, AnalysisResult analysis, ImmutableArray<Diagnostic> compilerBefore, Findings findings,
        CancellationToken ct, string context = "")
    {
        string text = (await document.GetTextAsync(ct).ConfigureAwait(false)).ToString();
        foreach (string exception in analysis.Exceptions)
        {
            findings.Fail("analyzer exception (AD0001)", document.FilePath!, exception, text);
        }

        var keys = new SortedDictionary<string, (CodeFixProvider Provider, string? Key, List<Diagnostic> Fixed)>(StringComparer.Ordinal);
        foreach (Diagnostic diagnostic in analysis.Product)
        {
            findings.Count("diagnostics");
            string where = $"{context}{document.FilePath}({diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1}): {diagnostic.Id}";
            var offered = new List<(CodeFixProvider Provider, CodeAction Action)>();
            foreach (CodeFixProvider fixer in Products.FixersFor(diagnostic.Id))
            {
                ImmutableArray<CodeAction> actions = await findings.GuardAsync("fix provider threw", where, text, () => FixRunner.OfferedAsync(document, diagnostic, fixer, ct)).ConfigureAwait(false);
                offered.AddRange((actions.IsDefault ? ImmutableArray<CodeAction>.Empty : actions).Select(a => (fixer, a)));
            }

            // Per rule, diagnostics with and without a fix: the offered-fix rate (OfferedFixes), coverage beside soundness.
            findings.Count(offered.Count == 0 ? $"diagnostics {diagnostic.Id} without a fix" : $"diagnostics {diagnostic.Id} with a fix");
            if (offered.Count == 0 && !Products.FixersFor(diagnostic.Id).IsEmpty)
            {
                findings.Note("declined", where);
            }

            foreach ((CodeFixProvider provider, CodeAction action) in offered)
            {
                string label = $"{where}: '{action.Title}'";
                string k = provider.GetType().Name + "|" + action.EquivalenceKey;
                if (!keys.TryGetValue(k, out var entry))
                {
                    keys[k] = entry = (provider, action.EquivalenceKey, new List<Diagnostic>());
                }

                entry.Fixed.Add(diagnostic);
                Solution? after = await findings.GuardAsync("code action threw", label, text, () => FixRunner.ApplyAsync(action, ct)).ConfigureAwait(false);
                if (after is not null)
                {
                    findings.Count("fixes applied");
                    await CheckFixedAsync(document, after, new[] { diagnostic }, compilerBefore, label, findings, ct, Products.EditsAcrossDocuments(provider)).ConfigureAwait(false);
                }
            }
        }

        foreach ((CodeFixProvider provider, string? key, List<Diagnostic> fixedOnes) in keys.Values)
        {
            await FixAllTwiceAsync(document, provider, key, fixedOnes, compilerBefore, findings, ct, context).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Fix All (document scope) for one equivalence key: sound like a single fix for every diagnostic it fixes, and
    /// applied a second time to its own result, it changes nothing more.
    /// </summary>
    public static async Task FixAllTwiceAsync(Document document, CodeFixProvider provider, string? key, IReadOnlyList<Diagnostic> fixedOnes,
        ImmutableArray<Diagnostic> compilerBefore, Findings findings, CancellationToken ct, string context = "")
    {
        string text = (await document.GetTextAsync(ct).ConfigureAwait(false)).ToString();
        string label = $"{context}{document.FilePath}: Fix All '{key}' ({fixedOnes.Count} diagnostics)";
        Solution? once = await findings.GuardAsync("Fix All threw", label, text,
            () => FixRunner.ApplyFixAllAsync(document, provider, key, FixAllScope.Document, ct)).ConfigureAwait(false);
        findings.Count("Fix All runs");
        if (once is null)
        {
            return;
        }

        await CheckFixedAsync(document, once, fixedOnes, compilerBefore, label, findings, ct, Products.EditsAcrossDocuments(provider)).ConfigureAwait(false);
        Document onceDocument = once.GetDocument(document.Id)!;
        string onceText = (await onceDocument.GetTextAsync(ct).ConfigureAwait(false)).ToString();
        Solution? twice = await findings.GuardAsync("Fix All threw (second pass)", label, onceText,
            () => FixRunner.ApplyFixAllAsync(onceDocument, provider, key, FixAllScope.Document, ct)).ConfigureAwait(false);
        findings.Count("Fix All runs");
        string twiceText = twice is null ? onceText : (await twice.GetDocument(document.Id)!.GetTextAsync(ct).ConfigureAwait(false)).ToString();
        if (twiceText != onceText)
        {
            findings.Fail("Fix All applied twice differs from once", label, FixChecks.Diff(onceText, twiceText), onceText);
        }
    }

    /// <summary>The checks of one fixed document against the original; every problem is recorded with the fixed text.</summary>
    public static async Task CheckFixedAsync(Document before, Solution afterSolution, IReadOnlyList<Diagnostic> fixedDiagnostics,
        ImmutableArray<Diagnostic> compilerBefore, string label, Findings findings, CancellationToken ct, bool acrossDocuments = false)
    {
        Document after = afterSolution.GetDocument(before.Id)!;
        string beforeText = (await before.GetTextAsync(ct).ConfigureAwait(false)).ToString();
        string afterText = (await after.GetTextAsync(ct).ConfigureAwait(false)).ToString();
        foreach (DocumentId other in afterSolution.GetChanges(before.Project.Solution).GetProjectChanges().SelectMany(p => p.GetChangedDocuments()).Where(d => d != before.Id))
        {
            if (!acrossDocuments)
            {
                findings.Fail("fix changed another document", label, "", afterText);
                break;
            }

            // A fix that edits across documents keeps the rest of each one it touches too.
            Document otherBefore = before.Project.Solution.GetDocument(other)!;
            Document otherAfter = afterSolution.GetDocument(other)!;
            List<TextChange> otherChanges = (await otherAfter.GetTextChangesAsync(otherBefore, ct).ConfigureAwait(false)).OrderBy(c => c.Span.Start).ToList();
            IReadOnlyList<string> otherLost = Preservation.Lost((await otherBefore.GetSyntaxRootAsync(ct).ConfigureAwait(false))!, (await otherAfter.GetSyntaxRootAsync(ct).ConfigureAwait(false))!, otherChanges);
            if (otherLost.Count > 0)
            {
                findings.Fail("fix lost code or comments outside what it rewrote", $"{label}: {otherBefore.FilePath}", string.Join("\n", otherLost),
                    (await otherAfter.GetTextAsync(ct).ConfigureAwait(false)).ToString());
            }
        }

        if (afterText == beforeText)
        {
            findings.Fail("fix changed nothing", label, "", afterText);
            return;
        }

        string diff = FixChecks.Diff(beforeText, afterText);
        if (Environment.GetEnvironmentVariable("P2P_ROBUSTNESS_DUMP") == "1")
        {
            // For review: every fix the matrix applied, as a diff.
            lock (DumpLock)
            {
                string dir = System.IO.Path.Combine(AppContext.BaseDirectory, "robustness-results");
                System.IO.Directory.CreateDirectory(dir);
                System.IO.File.AppendAllText(System.IO.Path.Combine(dir, "fix-diffs.txt"), $"==== {label}\n{diff}\n");
            }
        }

        Compilation compilation = (await after.Project.GetCompilationAsync(ct).ConfigureAwait(false))!;
        IReadOnlyList<string> added = FixChecks.NewCompilerDiagnostics(compilerBefore, AnalyzerRun.CompilerDiagnostics(compilation));
        if (added.Count > 0)
        {
            findings.Fail("fix introduced compiler diagnostics", label, string.Join("\n", added) + "\n" + diff, afterText);
        }

        List<TextChange> changes = (await after.GetTextChangesAsync(before, ct).ConfigureAwait(false)).OrderBy(c => c.Span.Start).ToList();
        AnalysisResult analysis = await AnalyzerRun.RunOnDocumentAsync(after, ct).ConfigureAwait(false);
        foreach (string exception in analysis.Exceptions)
        {
            findings.Fail("analyzer exception (AD0001) on fixed code", label, exception, afterText);
        }

        foreach (Diagnostic original in fixedDiagnostics)
        {
            if (FixChecks.StillThere(original, analysis.Product, changes) is Diagnostic remaining)
            {
                findings.Fail("diagnostic still there after its fix", label, $"{remaining}\n{diff}", afterText);
            }
        }

        SyntaxNode beforeRoot = (await before.GetSyntaxRootAsync(ct).ConfigureAwait(false))!;
        SyntaxNode afterRoot = (await after.GetSyntaxRootAsync(ct).ConfigureAwait(false))!;
        IReadOnlyList<string> lost = Preservation.Lost(beforeRoot, afterRoot, changes);
        if (lost.Count > 0)
        {
            findings.Fail("fix lost code or comments outside what it rewrote", label, string.Join("\n", lost) + "\n" + diff, afterText);
        }

        AnalysisResult beforeAnalysis = await AnalyzerRun.RunOnDocumentAsync(before, ct).ConfigureAwait(false);
        foreach (Diagnostic d in analysis.Product.Where(d => !beforeAnalysis.Product.Any(b => FixChecks.SameFinding(b, d))))
        {
            findings.Fail("fix introduced a new P2P diagnostic", label, $"{d}\n{diff}", afterText);
        }

        findings.Count("fixed documents checked");
    }
}
