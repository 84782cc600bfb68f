using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// A method of the compilation that hands some of its parameters unchanged to one call of the library, after guards that
/// leave without touching the DMA API (<see cref="WrapperBodies"/>), or to another such method: include/rdma/ib_verbs.h's
/// <c>ib_dma_map_single(dev, cpu_addr, size, direction)</c>, <c>ib_dma_unmap_single(..)</c> and
/// <c>ib_dma_map_sg</c> over <c>ib_dma_map_sg_attrs</c> (a wrapper of a wrapper declared in the same file), which every
/// RDMA upper-layer driver maps and unmaps through. A
/// call of one is read as the library call, its arguments taken through <see cref="Forwarded"/> (library parameter name
/// to the wrapper's parameter ordinal). The guards' other way out (<c>ib_uses_virt_dma</c>: no DMA at all) is not
/// followed: a caller must treat the result as the mapping it is on the path that maps.
/// </summary>
internal sealed record ThinWrapper(IMethodSymbol Library, ImmutableDictionary<string, int> Forwarded)
{
    /// <summary>The argument <paramref name="call"/> of the wrapper gives for the library's <paramref name="parameter"/>.</summary>
    public IArgumentOperation? Argument(IInvocationOperation call, string parameter) =>
        Forwarded.TryGetValue(parameter, out int ordinal)
            ? call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal && a.ArgumentKind != ArgumentKind.DefaultValue)
            : null;
}

/// <summary>
/// Finds <see cref="ThinWrapper"/>s, once per method and compilation; a body is bound only when its tail call names the
/// library's <c>Dma</c> or hands on one of its parameters. Only methods declared in this compilation can be one (one declaring syntax reference).
/// </summary>
internal static class ThinWrappers
{
    private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<IMethodSymbol, ThinWrapper?>> PerCompilation = new();

    /// <summary>The wrapper <paramref name="method"/> is, when it is one.</summary>
    public static ThinWrapper? Of(IMethodSymbol method, KnownSymbols k) =>
        method is { MethodKind: MethodKind.Ordinary, IsVirtual: false, IsAbstract: false, IsOverride: false, DeclaringSyntaxReferences.Length: 1 }
        && !k.IsLibrary(method)
            ? PerCompilation.GetValue(k.Compilation, _ => new ConcurrentDictionary<IMethodSymbol, ThinWrapper?>(SymbolEqualityComparer.Default))
                .GetOrAdd(method.OriginalDefinition, m => Find(m, k))
            : null;

    /// <summary>The argument a call gives for the library's <paramref name="parameter"/>: by name for the library's own call, through the wrapper otherwise.</summary>
    public static IArgumentOperation? Argument(IInvocationOperation call, string parameter, KnownSymbols k) =>
        k.IsLibrary(call.TargetMethod)
            ? call.Arguments.FirstOrDefault(a => a.Parameter?.Name == parameter)
            : Of(call.TargetMethod, k)?.Argument(call, parameter);

    /// <summary>The role of the library call <paramref name="method"/> wraps; <see cref="Role.None"/> when it is no thin wrapper.</summary>
    public static Role WrappedRole(IMethodSymbol method, KnownSymbols k) => Of(method, k) is ThinWrapper thin ? k.RoleOf(thin.Library) : Role.None;

    /// <summary>The library method a call stands for: its own, or the one its wrapper calls.</summary>
    public static IMethodSymbol? LibraryOf(IMethodSymbol method, KnownSymbols k) =>
        k.IsLibrary(method) ? method : Of(method, k)?.Library;

    /// <summary>The library role a call of <paramref name="method"/> has: its own, or that of the library call a thin wrapper stands for.</summary>
    public static Role LibraryRole(IMethodSymbol method, KnownSymbols k) => k.RoleOf(method) is var own && own != Role.None ? own : WrappedRole(method, k);

    /// <summary>
    /// The argument a call of the library, or of a thin wrapper of it, gives for the library's second parameter: the
    /// address, buffer or table after the device (<c>ib_dma_unmap_single(dev, addr, ..)</c>, <c>ib_dma_mapping_error(dev, addr)</c>).
    /// </summary>
    public static IArgumentOperation? Operand(IInvocationOperation call, KnownSymbols k) =>
        LibraryOf(call.TargetMethod, k) is { Parameters.Length: > 1 } library ? Argument(call, library.Parameters[1].Name, k) : null;

    /// <summary>
    /// Whether <paramref name="value"/>, given to the library call inside a thin wrapper, is a parameter the wrapper hands
    /// on unchanged: what it holds comes from the wrapper's callers, which are judged at their calls instead.
    /// </summary>
    public static bool IsForwarded(IOperation value, KnownSymbols k) =>
        AddressKey.Value(value) is IParameterReferenceOperation { Parameter: { ContainingSymbol: IMethodSymbol method } parameter }
        && Of(method, k) is ThinWrapper thin && thin.Forwarded.ContainsValue(parameter.Ordinal);

    // ib_dma_map_sg -> ib_dma_map_sg_attrs -> dma_map_sg_attrs: a wrapper of a wrapper is one, to this depth.
    private const int MaxDepth = 3;

    private static ThinWrapper? Find(IMethodSymbol method, KnownSymbols k, int depth = 0)
    {
        if (method.DeclaringSyntaxReferences[0].GetSyntax() is not MethodDeclarationSyntax declaration || declaration.ContainsDiagnostics
            || WrapperBodies.TailCall(declaration, k) is not InvocationExpressionSyntax syntax
            || !MayForward(syntax, declaration, k, depth)
            || SemanticModels.Of(k.Compilation, declaration.SyntaxTree).GetOperation(syntax) is not IInvocationOperation call)
        {
            return null;
        }

        // Library parameter name -> the ordinal of this method's parameter handed on unchanged to it.
        ImmutableDictionary<string, int> forwarded;
        IMethodSymbol library;
        if (k.IsLibrary(call.TargetMethod))
        {
            library = call.TargetMethod;
            forwarded = call.Arguments
                .Where(a => a.Parameter is not null && ForwardedOrdinal(a, method) is not null)
                .ToImmutableDictionary(a => a.Parameter!.Name, a => ForwardedOrdinal(a, method)!.Value);
        }
        else if (depth < MaxDepth && call.TargetMethod.OriginalDefinition is
                { MethodKind: MethodKind.Ordinary, IsVirtual: false, IsAbstract: false, IsOverride: false, DeclaringSyntaxReferences.Length: 1 } inner
            && !SymbolEqualityComparer.Default.Equals(inner, method)
            && Find(inner, k, depth + 1) is ThinWrapper innerWrapper)
        {
            library = innerWrapper.Library;
            forwarded = innerWrapper.Forwarded
                .Select(p => (p.Key, Ordinal: call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == p.Value) is IArgumentOperation a ? ForwardedOrdinal(a, method) : null))
                .Where(p => p.Ordinal is not null)
                .ToImmutableDictionary(p => p.Key, p => p.Ordinal!.Value);
        }
        else
        {
            return null;
        }

        return forwarded.IsEmpty || CallsAnotherMapping(declaration, syntax, method, k, depth) ? null : new ThinWrapper(library, forwarded);
    }

    // rdma_rw_map_sg picks pci_p2pdma_map_sg or ib_dma_map_sg by page type: a guard or arm that calls the DMA API, or
    // another wrapper of it, makes the method a choice between mappings, not a wrapper of one. (DmaAddr.FromRaw on
    // ib_verbs.h's virtual-DMA path is no mapping.)
    private static bool CallsAnotherMapping(MethodDeclarationSyntax declaration, InvocationExpressionSyntax tail, IMethodSymbol method, KnownSymbols k, int depth)
    {
        SemanticModel? model = null;
        foreach (InvocationExpressionSyntax other in declaration.DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            if (other == tail || tail.Span.Contains(other.Span))
            {
                continue;
            }

            model ??= SemanticModels.Of(k.Compilation, declaration.SyntaxTree);
            if (model.GetSymbolInfo(other).Symbol is IMethodSymbol { OriginalDefinition: var called }
                && (SymbolEqualityComparer.Default.Equals(called.ContainingType, k.Dma) || SymbolEqualityComparer.Default.Equals(called.ContainingType, k.PciP2PDma)
                    || (depth < MaxDepth && called is { MethodKind: MethodKind.Ordinary, DeclaringSyntaxReferences.Length: 1 }
                        && !SymbolEqualityComparer.Default.Equals(called, method) && Find(called, k, depth + 1) is not null)))
            {
                return true;
            }
        }

        return false;
    }

    private static int? ForwardedOrdinal(IArgumentOperation argument, IMethodSymbol method) =>
        argument.ArgumentKind != ArgumentKind.DefaultValue
        && AddressKey.Value(argument.Value) is IParameterReferenceOperation { Parameter.RefKind: RefKind.None } p
        && SymbolEqualityComparer.Default.Equals(p.Parameter.ContainingSymbol?.OriginalDefinition, method)
            ? p.Parameter.Ordinal
            : null;

    // Bound only when the tail call is the library's Dma, or (for a wrapper of a wrapper) names a method of the same file
    // whose own tail call reaches Dma so: read from syntax, since every call of a body asks (FactProducers.Of), and most
    // small helpers hand their parameters on to something.
    private static bool MayForward(InvocationExpressionSyntax call, MethodDeclarationSyntax declaration, KnownSymbols k, int depth) =>
        CallsDma(call, k)
        || (depth < MaxDepth && CalledName(call) is string name
            && declaration.SyntaxTree.GetRoot().DescendantNodes(n => n is not (MethodDeclarationSyntax or BlockSyntax or ArrowExpressionClauseSyntax))
                .OfType<MethodDeclarationSyntax>()
                .Any(m => m.Identifier.ValueText == name && m != declaration && WrapperBodies.TailCall(m, k) is InvocationExpressionSyntax inner
                    && MayForward(inner, m, k, depth + 1)));

    private static bool CallsDma(InvocationExpressionSyntax call, KnownSymbols k) =>
        call.Expression is MemberAccessExpressionSyntax { Expression: var receiver } && MapArguments.LastName(receiver) == k.Dma?.Name;

    private static string? CalledName(InvocationExpressionSyntax call) => call.Expression switch
    {
        IdentifierNameSyntax id => id.Identifier.ValueText,
        MemberAccessExpressionSyntax { Name: var name } => name.Identifier.ValueText,
        _ => null,
    };
}
