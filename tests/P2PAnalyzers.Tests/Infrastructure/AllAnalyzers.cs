using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace P2PAnalyzers.Tests.Infrastructure;

/// <summary>Runs every P2P analyzer over sources in-process, as the robustness and ruling tests need.</summary>
internal static class AllAnalyzers
{
    // Defects must fail the tests that run analyzers this way too, not turn into silence (see TestSetup).
    static AllAnalyzers() => Analysis.AnalysisGuard.Rethrow = true;

    public static ImmutableArray<DiagnosticAnalyzer> Instances { get; } = typeof(Descriptors).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
        .OrderBy(t => t.Name, System.StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)System.Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static CSharpCompilation Compile(params string[] sources) => CSharpCompilation.Create(
        "Scratch",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, path: $"/0/Test{i}.cs")),
        TestReferences.All,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static async Task<ImmutableArray<Diagnostic>> RunAsync(Compilation compilation)
    {
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: true, logAnalyzerExecutionTime: false);
        ImmutableArray<Diagnostic> diagnostics = await compilation.WithAnalyzers(Instances, options).GetAnalyzerDiagnosticsAsync();
        return diagnostics.OrderBy(d => d.Location.SourceTree?.FilePath).ThenBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id).ToImmutableArray();
    }
}
