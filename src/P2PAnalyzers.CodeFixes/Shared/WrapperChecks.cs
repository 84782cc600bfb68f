using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// The check that goes with a mapping made through a thin wrapper: <c>ib_dma_mapping_error(dev, addr)</c> for
/// <c>ib_dma_map_single(dev, ..)</c> (krping's fix). A wrapper of <c>Dma.MappingError</c> declared beside the map
/// wrapper (a member of the same type), taking the same first parameter and the address second, and handing the
/// library the device it derives from that parameter as the map wrapper does (<c>dev.DmaDevice</c> in both).
/// </summary>
internal static class WrapperChecks
{
    /// <summary>The check method for the map wrapper <paramref name="map"/> calls; null when there is none to trust.</summary>
    public static IMethodSymbol? For(SemanticModel model, InvocationExpressionSyntax map, CancellationToken cancellationToken)
    {
        if (KnownSymbols.TryGet(model.Compilation) is not KnownSymbols k
            || model.GetSymbolInfo(map, cancellationToken).Symbol is not IMethodSymbol { Parameters.Length: > 0 } wrapper
            || !FactProducers.IsSingleMap(ThinWrappers.WrappedRole(wrapper, k))
            || !k.Is(wrapper.ReturnType, k.DmaAddr)
            || DeviceOf(wrapper, k) is not string device)
        {
            return null;
        }

        return wrapper.ContainingType.GetMembers().OfType<IMethodSymbol>()
            .Where(m => m.Parameters.Length == 2 && ThinWrappers.WrappedRole(m, k) == Role.MappingError
                && SymbolEqualityComparer.Default.Equals(m.Parameters[0].Type, wrapper.Parameters[0].Type)
                && SymbolEqualityComparer.Default.Equals(m.Parameters[1].Type, wrapper.ReturnType)
                && ThinWrappers.Of(m, k) is ThinWrapper check && check.Forwarded.Values.SequenceEqual(new[] { 1 })
                && DeviceOf(m, k) == device)
            .OrderBy(m => m.Name, System.StringComparer.Ordinal)
            .FirstOrDefault();
    }

    /// <summary>The expression a wrapper hands the library as its device, its first parameter's name replaced by "$".</summary>
    public static string? DeviceOf(IMethodSymbol wrapper, KnownSymbols k)
    {
        if (ThinWrappers.Of(wrapper, k) is not ThinWrapper thin || thin.Forwarded.ContainsValue(0)
            || wrapper.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is not MethodDeclarationSyntax declaration
            || WrapperBodies.TailCall(declaration, k) is not InvocationExpressionSyntax call
            || call.ArgumentList.Arguments.FirstOrDefault()?.Expression is not ExpressionSyntax device)
        {
            return null;
        }

        string first = wrapper.Parameters[0].Name;
        return string.Concat(device.DescendantTokens().Select(t => t.ValueText == first ? "$" : t.ValueText));
    }
}
