using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// KERNEL_FIXES_LOG=&lt;file&gt;: for every diagnostic of a kernel-shaped test whose rule has a fix, whether a fix is
/// offered there and whether each offered fix is sound: the offered-fix rate on code written as the kernel writes it (a
/// figure, not a pass/fail check).
/// </summary>
internal static class KernelFixes
{
    private static readonly ImmutableArray<CodeFixProvider> Fixers = typeof(P2PAnalyzers.CodeFixes.Fixes.P2P0001PhysicalAddressAsDmaAddressCodeFix).Assembly
        .GetTypes()
        .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static async Task LogAsync(string test, IReadOnlyList<string> sources)
    {
        string? path = Environment.GetEnvironmentVariable("KERNEL_FIXES_LOG");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        using var workspace = new AdhocWorkspace();
        Project project = workspace.AddProject(ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Default, "Kernel", "Kernel", LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            metadataReferences: TestReferences.All));
        for (int i = 0; i < sources.Count; i++)
        {
            project = project.AddDocument($"Test{i}.cs", SourceText.From(sources[i]), filePath: $"/0/Test{i}.cs").Project;
        }

        Compilation compilation = (await project.GetCompilationAsync())!;
        var lines = new List<string>();
        ImmutableArray<Diagnostic> was = await AllAnalyzers.RunAsync(compilation);
        foreach (Diagnostic diagnostic in was)
        {
            var fixers = Fixers.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)).ToList();
            if (fixers.Count == 0)
            {
                continue;
            }

            Document document = project.Documents.Single(d => d.FilePath == diagnostic.Location.SourceTree!.FilePath);
            var actions = new List<CodeAction>();
            foreach (CodeFixProvider fixer in fixers)
            {
                await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), default));
            }

            string site = sources[int.Parse(Path.GetFileNameWithoutExtension(document.FilePath!).Substring(4), System.Globalization.CultureInfo.InvariantCulture)]
                .Substring(diagnostic.Location.SourceSpan.Start, Math.Min(diagnostic.Location.SourceSpan.Length, 60)).Replace('\n', ' ');
            string verdicts = string.Join(",", await Task.WhenAll(actions.Select(a => SoundnessAsync(a, project, was, diagnostic.Id))));
            lines.Add($"{test}\t{diagnostic.Id}\t{(actions.Count > 0 ? "OFFERED" : "NONE")}\t{verdicts}\t{Path.GetFileName(document.FilePath)}{diagnostic.Location.SourceSpan} '{site}'");
        }

        lock (typeof(KernelFixes))
        {
            File.AppendAllLines(path, lines);
        }
    }

    /// <summary>SOUND (<see cref="Fixes.FixSoundness"/>), or UNSOUND and why.</summary>
    private static async Task<string> SoundnessAsync(CodeAction action, Project project, ImmutableArray<Diagnostic> was, string id)
    {
        Solution fixedSolution = (await action.GetOperationsAsync(default)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        Compilation after = (await fixedSolution.GetProject(project.Id)!.GetCompilationAsync())!;
        return Fixes.FixSoundness.Problem(after, was, await AllAnalyzers.RunAsync(after), id) is { } problem ? "UNSOUND:" + problem.Code : "SOUND";
    }
}
