using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// A method of the compilation whose body is one call of the library, handing it some of its parameters unchanged:
/// include/rdma/ib_verbs.h's <c>ib_dma_map_single(dev, cpu_addr, size, direction)</c> and
/// <c>ib_dma_unmap_single(..)</c>, which every RDMA upper-layer driver maps and unmaps through. A call of one is read as
/// the library call, its arguments taken through <see cref="Forwarded"/> (library parameter name to the wrapper's
/// parameter ordinal).
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
/// Finds <see cref="ThinWrapper"/>s, once per method and compilation; a body is bound only when its one call names the
/// library's <c>Dma</c>. Only methods declared in this compilation can be one (one declaring syntax reference).
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

    /// <summary>
    /// The library role a call of <paramref name="method"/> has: its own, or, for a thin wrapper that hands on the
    /// library's second argument (the address, buffer or table, after the device) at the same position
    /// (<c>ib_dma_unmap_single(dev, addr, size, dir)</c>, <c>ib_dma_mapping_error(dev, addr)</c>), the role of the call it
    /// wraps, so that what reads that argument by position reads the wrapper's alike.
    /// </summary>
    public static Role RoleAsCalled(IMethodSymbol method, KnownSymbols k)
    {
        Role own = k.RoleOf(method);
        return own == Role.None && Of(method, k) is ThinWrapper thin && thin.Library.Parameters.Length > 1
            && thin.Forwarded.TryGetValue(thin.Library.Parameters[1].Name, out int ordinal) && ordinal == 1
            ? k.RoleOf(thin.Library)
            : own;
    }

    /// <summary>
    /// Whether <paramref name="value"/>, given to the library call inside a thin wrapper, is a parameter the wrapper hands
    /// on unchanged: what it holds comes from the wrapper's callers, which are judged at their calls instead.
    /// </summary>
    public static bool IsForwarded(IOperation value, KnownSymbols k) =>
        AddressKey.Value(value) is IParameterReferenceOperation { Parameter: { ContainingSymbol: IMethodSymbol method } parameter }
        && Of(method, k) is ThinWrapper thin && thin.Forwarded.ContainsValue(parameter.Ordinal);

    private static ThinWrapper? Find(IMethodSymbol method, KnownSymbols k)
    {
        if (method.DeclaringSyntaxReferences[0].GetSyntax() is not MethodDeclarationSyntax declaration || declaration.ContainsDiagnostics
            || OneCall(declaration) is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: var receiver } } syntax
            || MapArguments.LastName(receiver) != k.Dma?.Name
            || SemanticModels.Of(k.Compilation, declaration.SyntaxTree).GetOperation(syntax) is not IInvocationOperation call
            || !k.IsLibrary(call.TargetMethod))
        {
            return null;
        }

        ImmutableDictionary<string, int> forwarded = call.Arguments
            .Where(a => a.Parameter is not null && AddressKey.Value(a.Value) is IParameterReferenceOperation { Parameter.RefKind: RefKind.None } p
                && SymbolEqualityComparer.Default.Equals(p.Parameter.ContainingSymbol?.OriginalDefinition, method))
            .ToImmutableDictionary(a => a.Parameter!.Name, a => ((IParameterReferenceOperation)AddressKey.Value(a.Value)).Parameter.Ordinal);
        return forwarded.IsEmpty ? null : new ThinWrapper(call.TargetMethod, forwarded);
    }

    // `=> Dma.X(..)`, `{ return Dma.X(..); }` or `{ Dma.X(..); }`.
    private static ExpressionSyntax? OneCall(MethodDeclarationSyntax declaration) =>
        declaration.ExpressionBody?.Expression
        ?? (declaration.Body?.Statements is { Count: 1 } statements
            ? statements[0] switch
            {
                ReturnStatementSyntax r => r.Expression,
                ExpressionStatementSyntax e => e.Expression,
                _ => null,
            }
            : null);
}
