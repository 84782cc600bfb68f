using System;
using System.Collections.Immutable;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// Fix All over a whole driver stack written as the kernel splits it (.ci/e2e/kernel-driver: habanalabs' probe, memory
/// code and dma-buf ops in three files, an RDMA umem_dmabuf importer, nvme-pci's data path with its completion), rule
/// by rule in solution scope as <c>dotnet format analyzers</c> applies it: the stack's own program runs it on the
/// fabric before (it misroutes and draws a DMA debug finding) and after (zero P2P diagnostics, every DMA lands, DMA
/// debug clean). The e2e step does the same with the packed packages and the real <c>dotnet format</c>.
/// </summary>
public sealed class KernelStackFixAllTests
{
    private static readonly string StackDirectory = Path.Combine(Metadata.RuleMetadata.RepositoryRoot, ".ci", "e2e", "kernel-driver");

    [Fact]
    public async Task FixAllRuleByRule_LeavesNoP2PDiagnostic_AndTheStackRunsCleanUnderDmaDebug()
    {
        Project project = Load();
        ImmutableArray<Diagnostic> before = await AnalyzeAsync(project);
        Assert.Equal(File.ReadAllLines(StackDirectory + ".expected").Select(l => l.Replace(" warning", "", StringComparison.Ordinal)), Describe(before));
        Assert.NotEqual(0, await RunAsync(project));

        CodeFixProvider[] fixers = typeof(P2PAnalyzers.CodeFixes.Shared.P2PCodeFix).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
            .ToArray();
        foreach (string id in before.Select(d => d.Id).Distinct().Order(StringComparer.Ordinal))
        {
            foreach (CodeFixProvider fixer in fixers.Where(f => f.FixableDiagnosticIds.Contains(id)))
            {
                project = await FixAllAsync(project, fixer, id);
            }
        }

        ImmutableArray<Diagnostic> after = await AnalyzeAsync(project);
        Assert.True(after.IsEmpty, string.Join("\n", after));
        Assert.Equal(0, await RunAsync(project));
    }

    private static async Task<Project> FixAllAsync(Project project, CodeFixProvider fixer, string id)
    {
        ImmutableArray<Diagnostic> diagnostics = await AnalyzeAsync(project);
        Diagnostic? first = diagnostics.FirstOrDefault(d => d.Id == id);
        if (first is null)
        {
            return project; // an earlier rule's unit rewrite fixed these too
        }

        Document document = project.GetDocument(first.Location.SourceTree)!;
        var context = new FixAllContext(document, fixer, FixAllScope.Solution, id, new[] { id }, new Provider(), CancellationToken.None);
        CodeAction action = (await fixer.GetFixAllProvider()!.GetFixAsync(context))!;
        Solution fixedSolution = (await action.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        return fixedSolution.GetProject(project.Id)!;
    }

    private static Project Load()
    {
        var workspace = new AdhocWorkspace();
        Project project = workspace.AddProject(ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Default, "KernelDriver", "KernelDriver", LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
            metadataReferences: TestReferences.All));
        foreach (string path in Directory.GetFiles(StackDirectory, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            project = project.AddDocument(Path.GetFileName(path), SourceText.From(File.ReadAllText(path)), filePath: path).Project;
        }

        return project;
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Project project)
    {
        Compilation compilation = (await project.GetCompilationAsync())!;
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return (await AllAnalyzers.RunAsync(compilation)).Where(d => d.Id.StartsWith("P2P", StringComparison.Ordinal)).ToImmutableArray();
    }

    /// <summary>"File.cs:line: ID", as .ci/e2e/run.sh lists a build's diagnostics.</summary>
    private static IEnumerable<string> Describe(IEnumerable<Diagnostic> diagnostics) => diagnostics
        .Select(d => $"{Path.GetFileName(d.Location.SourceTree!.FilePath)}:{d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.Id}")
        .Order(StringComparer.Ordinal);

    /// <summary>The stack's program, run in this process: its exit code.</summary>
    private static async Task<int> RunAsync(Project project)
    {
        Compilation compilation = (await project.GetCompilationAsync())!;
        using var image = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        image.Position = 0;
        var context = new AssemblyLoadContext("kernel-driver", isCollectible: true);
        try
        {
            MethodInfo main = context.LoadFromStream(image).EntryPoint!;
            return (int)main.Invoke(null, main.GetParameters().Length == 0 ? null : new object[] { Array.Empty<string>() })!;
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>The diagnostics Fix All works on: the rules' on the project's current compilation.</summary>
    private sealed class Provider : FixAllContext.DiagnosticProvider
    {
        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
        {
            SyntaxTree? tree = await document.GetSyntaxTreeAsync(cancellationToken);
            return (await AnalyzeAsync(document.Project)).Where(d => d.Location.SourceTree == tree);
        }

        public override async Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) => await AnalyzeAsync(project);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult(Enumerable.Empty<Diagnostic>());
    }
}
