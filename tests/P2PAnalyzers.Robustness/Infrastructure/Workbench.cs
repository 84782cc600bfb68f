using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace P2PAnalyzers.Robustness.Infrastructure;

/// <summary>A solution opened in an in-memory workspace, and the document of every file of every set in it.</summary>
internal sealed class Workbench
{
    private Workbench(Solution solution, IReadOnlyList<ProjectId> projects, IReadOnlyList<IReadOnlyList<DocumentId>> documents)
    {
        Solution = solution;
        Projects = projects;
        Documents = documents;
    }

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public Solution Solution { get; }

    public IReadOnlyList<ProjectId> Projects { get; }

    /// <summary>Per set, the document of each of its files (in the set's order).</summary>
    public IReadOnlyList<IReadOnlyList<DocumentId>> Documents { get; }

    /// <summary>
    /// Builds every project's compilation once, so that variants forked from this solution replace one syntax tree in it
    /// instead of binding all references again.
    /// </summary>
    public async Task<Workbench> WarmAsync()
    {
        foreach (ProjectId project in Projects)
        {
            await Solution.GetProject(project)!.GetCompilationAsync().ConfigureAwait(false);
        }

        return this;
    }

    /// <summary>One project per set, in one solution of a fresh <see cref="AdhocWorkspace"/> (immutable snapshots: safe to fork from many threads).</summary>
    public static Workbench Open(params SourceSet[] sets)
    {
#pragma warning disable CA2000 // The workspace lives as long as its solution snapshots; it holds no unmanaged resources.
        var workspace = new AdhocWorkspace();
#pragma warning restore CA2000
        Solution solution = workspace.CurrentSolution;
        var projects = new List<ProjectId>();
        var documents = new List<IReadOnlyList<DocumentId>>();
        foreach (SourceSet set in sets)
        {
            ProjectId project = ProjectId.CreateNewId(set.Name);
            solution = solution.AddProject(ProjectInfo.Create(
                project,
                VersionStamp.Default,
                name: set.Name,
                assemblyName: "P2PRobustness" + projects.Count,
                LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(set.Kind, nullableContextOptions: NullableContextOptions.Enable, concurrentBuild: false),
                parseOptions: ParseOptions,
                metadataReferences: set.WithLibrary ? References.WithLibrary : References.Framework));
            var ids = new List<DocumentId>();
            foreach (SourceFile file in set.Files)
            {
                DocumentId id = DocumentId.CreateNewId(project, file.Path);
                solution = solution.AddDocument(id, System.IO.Path.GetFileName(file.Path), SourceText.From(file.Text), filePath: file.Path);
                ids.Add(id);
            }

            projects.Add(project);
            documents.Add(ids);
        }

        return new Workbench(solution, projects, documents);
    }
}
