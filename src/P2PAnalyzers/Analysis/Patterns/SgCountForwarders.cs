using System.Collections.Concurrent;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The methods of the compilation that hand one of their parameters, unchanged, to the <c>nents</c> of a scatterlist
/// unmap or sync of the library (<c>ib_dma_unmap_sg(dev, sg, nents, dir)</c> in include/rdma/ib_verbs.h, which rw.c's
/// error paths call; a driver's own <c>foo_unmap_data</c>), directly or through one more such method (rw.c's
/// <c>rdma_rw_unmap_sg</c>, which picks <c>pci_p2pdma_unmap_sg</c> or <c>ib_dma_unmap_sg</c>). A call of one takes that
/// argument as the unmap's nents: P2P0024 judges the count where the caller chose it, and not inside the wrapper, whose
/// parameter holds whatever any caller passed. A method is read only when a call of it is handed a mapped count.
/// </summary>
internal static class SgCountForwarders
{
    private const int Depth = 2;

    private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<(IMethodSymbol Method, int Depth), int>> PerCompilation = new();

    /// <summary>Whether calls of <paramref name="method"/> may forward a count: a non-virtual method of the compilation with an <c>int</c> parameter.</summary>
    public static bool MayForward(IMethodSymbol method, KnownSymbols k) =>
        method is { MethodKind: MethodKind.Ordinary, IsVirtual: false, IsAbstract: false, IsOverride: false }
        && !method.DeclaringSyntaxReferences.IsEmpty && !k.IsLibrary(method)
        && method.Parameters.Any(p => p.Type.SpecialType == SpecialType.System_Int32 && p.RefKind == RefKind.None);

    /// <summary>The ordinal of the parameter <paramref name="method"/> forwards as nents; null when it forwards none.</summary>
    public static int? Of(IMethodSymbol method, KnownSymbols k) => Of(method, k, Depth);

    /// <summary>
    /// Whether <paramref name="nents"/>, given to a call in a forwarder's body, is the parameter the forwarder hands on:
    /// its callers are judged instead.
    /// </summary>
    public static bool IsForwarded(IArgumentOperation nents, KnownSymbols k) =>
        AddressKey.Value(nents.Value) is IParameterReferenceOperation { Parameter: { ContainingSymbol: IMethodSymbol method } parameter }
        && MayForward(method, k) && Of(method, k) == parameter.Ordinal;

    private static int? Of(IMethodSymbol method, KnownSymbols k, int depth)
    {
        if (depth == 0 || !MayForward(method, k))
        {
            return null;
        }

        int ordinal = PerCompilation.GetValue(k.Compilation, _ => new ConcurrentDictionary<(IMethodSymbol, int), int>())
            .GetOrAdd((method.OriginalDefinition, depth), key => Find(key.Method, k, key.Depth) ?? -1);
        return ordinal < 0 ? null : ordinal;
    }

    // A body that gives one of its parameters, never written there, as the nents of the library's unmap or sync, or of
    // a forwarder one level down.
    private static int? Find(IMethodSymbol method, KnownSymbols k, int depth)
    {
        if (method.DeclaringSyntaxReferences.Length != 1
            || method.DeclaringSyntaxReferences[0].GetSyntax() is not BaseMethodDeclarationSyntax declaration
            || declaration.ContainsDiagnostics
            || SemanticModels.Of(k.Compilation, declaration.SyntaxTree).GetOperation(declaration) is not IOperation root)
        {
            return null;
        }

        var operations = root.DescendantsAndSelf().ToList();
        foreach (IInvocationOperation call in operations.OfType<IInvocationOperation>())
        {
            IArgumentOperation? nents = SgEntryCounts.TakenBy(call, k);
            if (nents is null && call.Arguments.Any(a => IsParameterOf(a, method)) && Of(call.TargetMethod, k, depth - 1) is int inner)
            {
                nents = call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == inner);
            }

            if (nents is not null && IsParameterOf(nents, method) && AddressKey.Value(nents.Value) is IParameterReferenceOperation p
                && !operations.Any(o => Writes(o, p.Parameter)))
            {
                return p.Parameter.Ordinal;
            }
        }

        return null;
    }

    private static bool IsParameterOf(IArgumentOperation argument, IMethodSymbol method) =>
        AddressKey.Value(argument.Value) is IParameterReferenceOperation p
        && SymbolEqualityComparer.Default.Equals(p.Parameter.ContainingSymbol?.OriginalDefinition, method);

    // An assignment, or what ErrorLocals knows writes in place (out or ref, ++/--).
    private static bool Writes(IOperation op, IParameterSymbol parameter) =>
        (op is IAssignmentOperation a ? a.Target : ErrorLocals.WrittenInPlace(op)) is IParameterReferenceOperation target
        && SymbolEqualityComparer.Default.Equals(target.Parameter, parameter);
}
