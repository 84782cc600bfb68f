using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using P2PAnalyzers.Corpus;

namespace P2PAnalyzers.Benchmarks.Infrastructure;

/// <summary>Parses generated corpora into compilations (once per corpus and process) against .NET 10 and, for driver code, the library.</summary>
public static class CorpusCompilations
{
    private static readonly ConcurrentDictionary<string, (GeneratedCorpus Corpus, CSharpCompilation Compilation)> Cache = new();

    public static MetadataReference Library { get; } = MetadataReference.CreateFromFile(typeof(P2PDma.Addresses.PhysAddr).Assembly.Location);

    public static ImmutableArray<MetadataReference> Framework { get; } =
        Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().ToImmutableArray();

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static (GeneratedCorpus Corpus, CSharpCompilation Compilation) Driver(int files) =>
        Cache.GetOrAdd("driver-" + files, _ => Compile(DriverCorpus.Generate(files)));

    public static (GeneratedCorpus Corpus, CSharpCompilation Compilation) Plain(int files) =>
        Cache.GetOrAdd("plain-" + files, _ => Compile(PlainCorpus.Generate(files)));

    /// <summary>
    /// The plain corpus compiled with the companion library referenced: ordinary C# in a project that also maps DMA
    /// somewhere else (or merely references the package). The analyzers register, and must cost next to nothing.
    /// </summary>
    public static (GeneratedCorpus Corpus, CSharpCompilation Compilation) PlainWithLibrary(int files) =>
        Cache.GetOrAdd("library-" + files, _ =>
        {
            GeneratedCorpus corpus = PlainCorpus.Generate(files);
            return (corpus, Compile(corpus.Files.Select(Parse).ToList(), withLibrary: true));
        });

    /// <summary>The editor scenario: the driver corpus of <paramref name="files"/> files plus one large open document.</summary>
    public static (GeneratedCorpus Corpus, GeneratedCorpus Large, CSharpCompilation Compilation, SyntaxTree Document) Editor(int files, int lines)
    {
        (GeneratedCorpus corpus, CSharpCompilation compilation) = Driver(files);
        GeneratedCorpus large = DriverCorpus.LargeFile(lines);
        SyntaxTree document = Parse(large.Files[0]);
        return (corpus, large, compilation.AddSyntaxTrees(document), document);
    }

    /// <summary>
    /// <paramref name="compilation"/> with another driver file edited (a line added at its end, numbered
    /// <paramref name="edit"/>): the next compilation the editor hands analyzers after a keystroke elsewhere. The file is
    /// one that caches a BAR address, so the edit reaches the whole-program summary.
    /// </summary>
    public static Compilation EditedElsewhere(Compilation compilation, SyntaxTree document, int edit)
    {
        SyntaxTree other = compilation.SyntaxTrees.First(t => t != document && t.GetText().ToString().Contains("CpuStart", StringComparison.Ordinal));
        Microsoft.CodeAnalysis.Text.SourceText text = other.GetText();
        return compilation.ReplaceSyntaxTree(other, other.WithChangedText(text.Replace(text.Length, 0, $"\n// edit {edit}\n")));
    }

    /// <summary>Drops the cached corpora (a benchmark's cleanup), so that the next benchmark's GC does not trace them.</summary>
    public static void Clear() => Cache.Clear();

    public static CSharpCompilation Compile(IEnumerable<SyntaxTree> trees, bool withLibrary) => CSharpCompilation.Create(
        "Corpus",
        trees,
        withLibrary ? Framework.Add(Library) : Framework,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable, concurrentBuild: true));

    private static (GeneratedCorpus, CSharpCompilation) Compile(GeneratedCorpus corpus) =>
        (corpus, Compile(corpus.Files.Select(Parse).ToList(), corpus.ReferencesLibrary));

    private static SyntaxTree Parse(CorpusFile file) => CSharpSyntaxTree.ParseText(file.Text, ParseOptions, path: file.Path);
}
