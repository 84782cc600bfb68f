using System;
using System.IO;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using P2PAnalyzers.Tests.Infrastructure;
using P2PAnalyzers.Tests.Kernel;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// Applies a fix that edits several documents (a kernel driver split into files) to the diagnostic of one rule in the
/// kernel-shaped sources, and checks it is sound: no new compiler error, that diagnostic gone, no new P2P diagnostic.
/// Returns the fixed files (without <see cref="KernelVerify.Usings"/>' markup) for the test to inspect and run.
/// </summary>
internal static class UnitFixHarness
{
    public static async Task<string[]> ApplySoundAsync(CodeFixProvider fixer, string id, string containing, params string[] files)
    {
        string[] sources = files.Select(f => KernelVerify.Usings + ScenarioRunner.StripMarkup(f)).ToArray();
        (Project project, ImmutableArray<Diagnostic> before, Compilation compilation) = await AnalyzeAsync(sources);
        CodeAction action = Assert.Single(await ActionsAsync(fixer, id, containing, project, before));
        Solution fixedSolution = (await action.GetOperationsAsync(default)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        string[] after = new string[sources.Length];
        foreach (Document d in fixedSolution.GetProject(project.Id)!.Documents)
        {
            after[int.Parse(Path.GetFileNameWithoutExtension(d.FilePath!).Substring(4), System.Globalization.CultureInfo.InvariantCulture)] = (await d.GetTextAsync()).ToString();
        }

        (_, ImmutableArray<Diagnostic> afterDiagnostics, Compilation fixedCompilation) = await AnalyzeAsync(after);
        string all = string.Join("\n//----\n", after);
        (string Code, string Detail)? problem = FixSoundness.Problem(fixedCompilation, before, afterDiagnostics, id);
        Assert.True(problem is null, problem?.Detail + "\n" + all);

        return after;
    }

    /// <summary>The titles of the fixes offered for the one diagnostic of <paramref name="id"/> whose text contains <paramref name="containing"/>.</summary>
    public static async Task<string[]> OfferedAsync(CodeFixProvider fixer, string id, string containing, params string[] files)
    {
        string[] sources = files.Select(f => KernelVerify.Usings + ScenarioRunner.StripMarkup(f)).ToArray();
        (Project project, ImmutableArray<Diagnostic> before, _) = await AnalyzeAsync(sources);
        return (await ActionsAsync(fixer, id, containing, project, before)).Select(a => a.Title).ToArray();
    }

    private static async Task<List<CodeAction>> ActionsAsync(CodeFixProvider fixer, string id, string containing, Project project, ImmutableArray<Diagnostic> diagnostics)
    {
        Diagnostic target = Assert.Single(diagnostics, d => d.Id == id && d.Location.SourceTree!.ToString().Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length).Contains(containing, StringComparison.Ordinal));
        Document document = project.Documents.Single(d => d.FilePath == target.Location.SourceTree!.FilePath);
        var actions = new List<CodeAction>();
        await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, target, (a, _) => actions.Add(a), default));
        return actions;
    }

    private static async Task<(Project, ImmutableArray<Diagnostic>, Compilation)> AnalyzeAsync(string[] sources)
    {
        var workspace = new AdhocWorkspace();
        Project project = workspace.AddProject(ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Default, "Kernel", "Kernel", LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            metadataReferences: TestReferences.All));
        for (int i = 0; i < sources.Length; i++)
        {
            project = project.AddDocument($"Test{i}.cs", SourceText.From(sources[i]), filePath: $"/0/Test{i}.cs").Project;
        }

        Compilation compilation = (await project.GetCompilationAsync())!;
        return (project, await AllAnalyzers.RunAsync(compilation), compilation);
    }
}
