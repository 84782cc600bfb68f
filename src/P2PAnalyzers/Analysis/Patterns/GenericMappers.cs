using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Methods of the compilation that map with a generic call, themselves or through the methods they call, and never
/// ask the map type: a distance check that decides whether one of them runs decides the mapping path as surely as one
/// around the call itself (vfio_pci_dma_buf_map's peer2peer check before populate_sgt, hl_map_dmabuf's before
/// alloc_sgt_from_device_pages). Asked only for the calls a distance gate reaches.
/// </summary>
internal static class GenericMappers
{
    /// <summary>How many calls deep a helper's own calls are followed.</summary>
    private const int MaxDepth = 3;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Compilation, ConcurrentDictionary<IMethodSymbol, bool>> Known = new();

    /// <summary>True when <paramref name="method"/>, declared in the compilation, maps generically as above.</summary>
    public static bool Maps(IMethodSymbol method, KnownSymbols symbols) => Maps(method, symbols, 0, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default));

    private static bool Maps(IMethodSymbol method, KnownSymbols symbols, int depth, HashSet<IMethodSymbol> visiting)
    {
        method = method.OriginalDefinition;
        if (!symbols.IsSource(method) || method.DeclaringSyntaxReferences.IsEmpty || depth > MaxDepth || !visiting.Add(method))
        {
            return false;
        }

        ConcurrentDictionary<IMethodSymbol, bool> known = Known.GetValue(symbols.Compilation, _ => new ConcurrentDictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default));
        if (known.TryGetValue(method, out bool maps))
        {
            return maps;
        }

        maps = Compute(method, symbols, depth, visiting);

        // A result cut short by the depth or a cycle is not kept: from another caller it may be complete.
        if (depth == 0)
        {
            known.TryAdd(method, maps);
        }

        return maps;
    }

    private static bool Compute(IMethodSymbol method, KnownSymbols symbols, int depth, HashSet<IMethodSymbol> visiting)
    {
        var calls = new List<IInvocationOperation>();
        foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
        {
            SemanticModel model = SemanticModels.Of(symbols.Compilation, reference.SyntaxTree);
            if (model.GetOperation(reference.GetSyntax()) is IOperation body)
            {
                calls.AddRange(body.DescendantsAndSelf().OfType<IInvocationOperation>());
            }
        }

        // A helper that asks the map type decides the path itself: the caller's distance check only said "possible".
        if (calls.Any(c => symbols.RoleOf(c.TargetMethod) is Role.MapTypeQuery or Role.StateQuery or Role.DescribeQuery))
        {
            return false;
        }

        return calls.Any(c => DistanceGates.IsGenericMapping(symbols.RoleOf(c.TargetMethod)))
            || calls.Any(c => Maps(c.TargetMethod, symbols, depth + 1, visiting));
    }
}
