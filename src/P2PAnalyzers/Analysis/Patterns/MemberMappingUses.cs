using System.Collections.Concurrent;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Where the compilation unmaps or syncs the mapping a field or property holds, when nothing checks it: a mapping stored
/// into a request or ring structure and freed by the completion (isci's <c>ireq-&gt;zero_scatter_daddr</c>, mapped in
/// <c>sci_request_build_sgl</c> and unmapped in <c>isci_request_io_request_complete</c>). Any body that reads the member
/// and asks <c>Dma.MappingError</c> is taken to check it (of the member or of a copy), so this finds none then.
/// </summary>
internal static class MemberMappingUses
{
    /// <summary>The first unmap or sync of the member, in file and source order, and how a message names it.</summary>
    public readonly record struct Use(Location Location, string Description);

    private sealed class Found
    {
        public Use? Use { get; init; }
    }

    private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<ISymbol, Found>> Cache = new();

    public static Use? Of(ISymbol member, KnownSymbols k) =>
        Cache.GetValue(k.Compilation, _ => new ConcurrentDictionary<ISymbol, Found>(SymbolEqualityComparer.Default))
            .GetOrAdd(member.OriginalDefinition, m => new Found { Use = Find(m, k) }).Use;

    private static Use? Find(ISymbol member, KnownSymbols k)
    {
        Use? first = null;
        foreach (SyntaxTree tree in k.Compilation.SyntaxTrees.OrderBy(t => t.FilePath, System.StringComparer.Ordinal))
        {
            TreeIndex index = TreeIndex.Of(tree);
            foreach (int b in index.BodiesNaming(member.Name))
            {
                var calls = index.Bodies[b].DescendantNodes().OfType<InvocationExpressionSyntax>()
                    // (Thin wrappers included: ib_dma_unmap_single, ib_dma_mapping_error.)
                    .Where(c => c.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: string name }
                        && (name.Contains("MappingError") || name.Contains("Unmap") || name.Contains("Sync")))
                    .ToList();
                if (calls.Count == 0)
                {
                    continue;
                }

                SemanticModel model = SemanticModels.Of(k.Compilation, tree);
                bool reads = index.Bodies[b].DescendantNodes().OfType<IdentifierNameSyntax>()
                    .Any(n => n.Identifier.ValueText == member.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n).Symbol?.OriginalDefinition, member));
                if (!reads)
                {
                    continue;
                }

                foreach (InvocationExpressionSyntax syntax in calls)
                {
                    if (model.GetOperation(syntax) is not IInvocationOperation call)
                    {
                        continue;
                    }

                    IMethodSymbol? library = ThinWrappers.LibraryOf(call.TargetMethod, k);
                    Role role = library is null ? Role.None : k.RoleOf(library);
                    if (role == Role.MappingError)
                    {
                        return null;
                    }

                    if ((FactProducers.IsSingleUnmap(role) || role == Role.SyncSingle) && first is null
                        && ThinWrappers.Argument(call, library!.Parameters[1].Name, k) is IArgumentOperation address
                        && AddressKey.MemberOf(address.Value) is ISymbol read && SymbolEqualityComparer.Default.Equals(read, member))
                    {
                        string where = model.GetEnclosingSymbol(syntax.SpanStart) is ISymbol owner ? $" in {owner.ContainingType?.Name}.{owner.Name}" : string.Empty;
                        first = new Use(address.Syntax.GetLocation(), $"{Origin.OfCall(call.TargetMethod)}{where}" + (FactProducers.IsSingleUnmap(role) ? ", which frees it" : string.Empty));
                    }
                }
            }
        }

        return first;
    }
}
