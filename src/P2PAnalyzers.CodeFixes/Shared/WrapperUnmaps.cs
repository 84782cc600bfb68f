using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// The unmap that goes with a mapping made through a thin wrapper: <c>ib_dma_unmap_single(dev, addr, size, dir)</c> for
/// <c>ib_dma_map_single(dev, cpu_addr, size, dir)</c>. A wrapper of the library's matching unmap declared beside the map
/// wrapper (a member of the same type), taking the same first parameter (from which both derive the library's device
/// alike), the address, and otherwise only what it hands the library's unmap, each of which the map wrapper was handed
/// for the library's map parameter of the same name (the size, the direction); the library's size and direction, and its
/// attributes where the map wrapper handed them on, must be the caller's.
/// </summary>
internal static class WrapperUnmaps
{
    /// <summary>One argument of the unmap wrapper's call: the mapped address, or the map call's argument at an ordinal.</summary>
    public readonly record struct Source(bool IsAddress, int MapOrdinal);

    /// <summary>The unmap wrapper and, per its parameter after the device, where its argument comes from; null when none fits.</summary>
    public static (IMethodSymbol Unmap, IReadOnlyList<Source> Arguments)? For(SemanticModel model, InvocationExpressionSyntax map, string libraryUnmap, CancellationToken cancellationToken)
    {
        if (KnownSymbols.TryGet(model.Compilation) is not KnownSymbols k
            || model.GetSymbolInfo(map, cancellationToken).Symbol is not IMethodSymbol { Parameters.Length: > 0 } wrapper
            || ThinWrappers.Of(wrapper, k) is not ThinWrapper mapWrapper
            || WrapperChecks.DeviceOf(wrapper, k) is not string device)
        {
            return null;
        }

        foreach (IMethodSymbol candidate in wrapper.ContainingType.GetMembers().OfType<IMethodSymbol>().OrderBy(m => m.Name, System.StringComparer.Ordinal))
        {
            if (ThinWrappers.Of(candidate, k) is not ThinWrapper unmapWrapper || unmapWrapper.Library.Name != libraryUnmap
                || candidate.Parameters.Length < 2
                // The size and direction (and attributes, where the map's were handed on) come from the caller, not from
                // the wrapper: a constant inside it need not be what this mapping was made with.
                || !unmapWrapper.Library.Parameters.Skip(2).All(p => unmapWrapper.Forwarded.ContainsKey(p.Name) || (p.IsOptional && !mapWrapper.Forwarded.ContainsKey(p.Name)))
                || !SymbolEqualityComparer.Default.Equals(candidate.Parameters[0].Type, wrapper.Parameters[0].Type)
                || WrapperChecks.DeviceOf(candidate, k) != device)
            {
                continue;
            }

            var sources = new List<Source>();
            foreach (IParameterSymbol parameter in candidate.Parameters.Skip(1))
            {
                string? library = unmapWrapper.Forwarded.FirstOrDefault(f => f.Value == parameter.Ordinal).Key;
                if (library is null)
                {
                    sources = null;
                    break;
                }

                if (library == unmapWrapper.Library.Parameters[1].Name)
                {
                    sources.Add(new Source(true, -1));
                }
                else if (mapWrapper.Forwarded.TryGetValue(library, out int ordinal) && ordinal < map.ArgumentList.Arguments.Count)
                {
                    sources.Add(new Source(false, ordinal));
                }
                else
                {
                    sources = null;
                    break;
                }
            }

            if (sources is not null)
            {
                return (candidate, sources);
            }
        }

        return null;
    }
}
