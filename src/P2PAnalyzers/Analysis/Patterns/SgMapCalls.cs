using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The calls of the compilation that map a table a field or property holds and return its DMA segment count
/// (<c>Dma.MapSg</c>, <c>Dma.LegacyMapSg</c>), by that member: where a loop in another method walks the same member's
/// table (sahara maps <c>dev-&gt;in_sg</c> in <c>sahara_hw_descriptor_create</c> and walks it in the link loop of the
/// same file's other function; isci maps <c>task-&gt;scatter</c> in <c>isci_io_request_build</c> and walks it in
/// <c>sci_request_build_sgl</c>), P2P0024 knows the table was mapped with a count, and with which nents.
/// </summary>
internal static class SgMapCalls
{
    /// <summary>One such call: where it is, the library method, and the member (if any) its nents argument reads.</summary>
    public readonly record struct MapCall(Location Location, string Method, ISymbol? Nents, string NentsText);

    private static readonly ConditionalWeakTable<Compilation, PerCompilationState> PerCompilation = new();

    private static readonly string[] Names = { "MapSg", "LegacyMapSg" };

    /// <summary>
    /// The calls that map the table <paramref name="member"/> holds, in file and source order: only the bodies that name
    /// both a map call and the member are bound (the editor asks this for the open document's loops).
    /// </summary>
    public static IReadOnlyList<MapCall> Of(ISymbol member, KnownSymbols k)
    {
        PerCompilationState state = PerCompilation.GetValue(k.Compilation, c => new PerCompilationState(c));
        return state.Calls.GetOrAdd(member.OriginalDefinition, m => Find(m, state.Files.Value, k));
    }

    /// <summary>What is asked once per compilation: the files with a body naming a map call, and the answers so far.</summary>
    private sealed class PerCompilationState
    {
        public PerCompilationState(Compilation compilation) =>
            Files = new Lazy<MapFile[]>(() => MapFiles(compilation), System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);

        public Lazy<MapFile[]> Files { get; }

        public System.Collections.Concurrent.ConcurrentDictionary<ISymbol, MapCall[]> Calls { get; } = new(SymbolEqualityComparer.Default);
    }

    /// <summary>A file, in path order, with the bodies that name <c>MapSg</c> or <c>LegacyMapSg</c>, ascending.</summary>
    private readonly record struct MapFile(SyntaxTree Tree, TreeIndex Index, int[] MapBodies);

    // Every member asked walks the same files: the files and their map bodies are found once, not once per member.
    private static MapFile[] MapFiles(Compilation compilation)
    {
        var files = new List<MapFile>();
        foreach (SyntaxTree tree in compilation.SyntaxTrees.OrderBy(t => t.FilePath, System.StringComparer.Ordinal))
        {
            TreeIndex index = TreeIndex.Of(tree);
            var bodies = new SortedSet<int>(Names.SelectMany(n => index.BodiesNaming(n)));
            if (bodies.Count != 0)
            {
                files.Add(new MapFile(tree, index, bodies.ToArray()));
            }
        }

        return files.ToArray();
    }

    private static MapCall[] Find(ISymbol member, MapFile[] files, KnownSymbols k)
    {
        var calls = new List<MapCall>();
        foreach (MapFile file in files)
        {
            ImmutableArray<int> naming = file.Index.BodiesNaming(member.Name);
            if (naming.IsEmpty)
            {
                continue;
            }

            SemanticModel? model = null;
            foreach (int body in file.MapBodies)
            {
                if (!naming.Contains(body))
                {
                    continue;
                }

                foreach (InvocationExpressionSyntax syntax in file.Index.Bodies[body].DescendantNodes().OfType<InvocationExpressionSyntax>()
                    .Where(c => c.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "MapSg" or "LegacyMapSg" }))
                {
                    model ??= SemanticModels.Of(k.Compilation, file.Tree);
                    if (model.GetOperation(syntax) is IInvocationOperation call && SgEntryCounts.GivenTo(call, k) is (IArgumentOperation nents, IArgumentOperation table)
                        && SymbolEqualityComparer.Default.Equals(AddressKey.MemberOf(table.Value), member))
                    {
                        calls.Add(new MapCall(syntax.GetLocation(), call.TargetMethod.Name, AddressKey.MemberOf(nents.Value), SgSegmentReads.Text(nents.Value)));
                    }
                }
            }
        }

        return calls.ToArray();
    }
}
