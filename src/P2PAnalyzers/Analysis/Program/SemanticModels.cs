using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The one place the analyzers ask a compilation for the semantic model of a tree other than the one a callback is
/// about: the whole-program summary must read bodies in every file, also in the editor, where only the open
/// document's callbacks run.
/// </summary>
/// <remarks>
/// RS1030 warns that this can bind a file again. Since Roslyn 3.8 (dotnet/roslyn#46508) the analyzer driver gives
/// the compilation a caching semantic model provider, so this call returns the model the driver itself uses for the
/// tree while it holds one. The summary asks only for files that name the library or a node with facts, once per
/// compilation, and not at all in code that does not use the library (docs/performance.md has the figures). Banned
/// everywhere else (src/BannedSymbols.txt).
/// </remarks>
internal static class SemanticModels
{
    public static SemanticModel Of(Compilation compilation, SyntaxTree tree)
    {
#pragma warning disable RS0030, RS1030 // See the remarks: the single, measured exception.
        return compilation.GetSemanticModel(tree);
#pragma warning restore RS0030, RS1030
    }
}
