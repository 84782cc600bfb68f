using System.IO;
using Microsoft.CodeAnalysis;
using P2PAnalyzers.Corpus;

namespace P2PAnalyzers.Robustness.Infrastructure;

/// <summary>One source file of a set: its display path (forward slashes, repository- or corpus-relative) and text.</summary>
internal sealed record SourceFile(string Path, string Text);

/// <summary>
/// Sources compiled together as one project: a sample project, a generated corpus, or one corpus file with the shared
/// types it uses. <see cref="Focus"/> names the files a test works on (mutates, fixes); the others are context.
/// </summary>
internal sealed record SourceSet(string Name, IReadOnlyList<SourceFile> Files, bool WithLibrary, OutputKind Kind, IReadOnlyList<int> Focus)
{
    /// <summary>Each sample project (samples/*/*.csproj), every .cs file outside bin/obj, compiled against the library as the samples are.</summary>
    public static IReadOnlyList<SourceSet> Samples()
    {
        string samples = Path.Combine(Mode.RepositoryRoot, "samples");
        var sets = new List<SourceSet>();
        foreach (string project in Directory.GetFiles(samples, "*.csproj", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal))
        {
            string dir = Path.GetDirectoryName(project)!;
            if (IsBuildOutput(Path.GetRelativePath(samples, dir)))
            {
                continue;
            }

            List<SourceFile> files = Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories)
                .Where(f => !IsBuildOutput(Path.GetRelativePath(dir, f)))
                .OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => new SourceFile(Path.GetRelativePath(Mode.RepositoryRoot, f).Replace('\\', '/'), Normalize(File.ReadAllText(f))))
                .ToList();
            bool exe = File.ReadAllText(project).Contains("<OutputType>Exe</OutputType>", StringComparison.Ordinal)
                || files.Any(f => f.Path.EndsWith("/Program.cs", StringComparison.Ordinal));
            sets.Add(new SourceSet(Path.GetFileNameWithoutExtension(project), files, true, exe ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
                Enumerable.Range(0, files.Count).ToList()));
        }

        return sets;
    }

    /// <summary>A whole generated corpus as one project.</summary>
    public static SourceSet Whole(GeneratedCorpus corpus, string prefix = "corpus/") => new(
        corpus.Name,
        corpus.Files.Select(f => new SourceFile(prefix + f.Path, f.Text)).ToList(),
        corpus.ReferencesLibrary,
        OutputKind.DynamicallyLinkedLibrary,
        Enumerable.Range(0, corpus.Files.Count).ToList());

    /// <summary>
    /// Each file of a generated corpus with the files it may depend on (those that declare no driver: the shared
    /// types), so that a test recompiles two small files instead of the corpus.
    /// </summary>
    public static IEnumerable<SourceSet> PerFile(GeneratedCorpus corpus, string prefix = "corpus/")
    {
        List<SourceFile> shared = corpus.Files.Where(f => f.Path.StartsWith("Drivers/Common/", StringComparison.Ordinal))
            .Select(f => new SourceFile(prefix + f.Path, f.Text)).ToList();
        foreach (CorpusFile file in corpus.Files.Where(f => !f.Path.StartsWith("Drivers/Common/", StringComparison.Ordinal)))
        {
            var files = new List<SourceFile>(shared) { new(prefix + file.Path, file.Text) };
            yield return new SourceSet(file.Path, files, corpus.ReferencesLibrary, OutputKind.DynamicallyLinkedLibrary, new[] { files.Count - 1 });
        }
    }

    private static bool IsBuildOutput(string relative) =>
        relative.Split('/', '\\').Any(part => part is "bin" or "obj");

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);
}
