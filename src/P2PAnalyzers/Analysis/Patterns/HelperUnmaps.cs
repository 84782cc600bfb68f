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
/// What a method of the compilation unmaps of what it is handed, one call deep: the single unmaps in its body whose
/// address is a parameter or a member chain of one (<c>sfc-&gt;daddr</c> in <c>aml_sfc_dma_buffer_release(sfc, ..)</c>),
/// or a member chain of <c>this</c>, and the table unmaps whose table is such a chain, also through a local set from an
/// accessor (<c>iod-&gt;sg</c> in <c>nvme_unmap_data(dev, req)</c>, <c>iod = blk_mq_rq_to_pdu(req)</c>:
/// <see cref="AliasChains"/>). A call of it unmaps the same chains of its arguments, as the caller names them.
/// </summary>
internal static class HelperUnmaps
{
    // Per method: (parameter ordinal or -1 for this, the member path after it, empty for the parameter itself; a table).
    private static readonly ConditionalWeakTable<IMethodSymbol, IReadOnlyList<(int Parameter, string Path, bool Table)>> Cache = new();

    /// <summary>The storage, as the caller names it (<see cref="Named"/>), each call in <paramref name="op"/> unmaps.</summary>
    public static IEnumerable<(SyntaxNode Call, string Unmapped)> In(IOperation op, Compilation compilation, KnownSymbols k, Func<IMethodSymbol, bool> isLibrary) =>
        op.DescendantsAndSelf().OfType<IInvocationOperation>()
            .Where(call => !isLibrary(call.TargetMethod))
            .SelectMany(call => Of(call, compilation, k, tables: false).Select(unmapped => (call.Syntax, unmapped)));

    /// <summary>The tables, as the caller names them, <paramref name="call"/> unmaps (nvme_unmap_data(dev, req): <c>req.Pdu.Sg</c>).</summary>
    public static IEnumerable<string> TablesOf(IInvocationOperation call, Compilation compilation, KnownSymbols k) =>
        k.IsLibrary(call.TargetMethod) || KnownSymbols.IsRuntime(call.TargetMethod) ? Enumerable.Empty<string>() : Of(call, compilation, k, tables: true);

    private static IEnumerable<string> Of(IInvocationOperation call, Compilation compilation, KnownSymbols k, bool tables)
    {
        // (The graph's operations have no semantic model of their own: the compilation comes from the caller.)
        if (call.TargetMethod.DeclaringSyntaxReferences.IsEmpty)
        {
            yield break;
        }

        foreach ((int parameter, string path, bool table) in Cache.GetValue(call.TargetMethod.OriginalDefinition, m => Of(m, k, compilation)))
        {
            if (tables && !table)
            {
                continue;
            }

            {
                string? owner = parameter < 0
                    ? (call.Instance is null or IInstanceReferenceOperation ? string.Empty : Named(call.Instance, compilation))
                    : call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == parameter) is { } argument ? Named(argument.Value, compilation) : null;
                if (owner is not null)
                {
                    yield return owner.Length == 0 ? path : path.Length == 0 ? owner : owner + "." + path;
                }
            }
        }
    }

    private static IReadOnlyList<(int Parameter, string Path, bool Table)> Of(IMethodSymbol method, KnownSymbols k, Compilation compilation)
    {
        var unmaps = new List<(int, string, bool)>();
        foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
        {
            SyntaxNode declaration = reference.GetSyntax();
            if (declaration is not BaseMethodDeclarationSyntax)
            {
                continue;
            }

            SemanticModel model = SemanticModels.Of(compilation, declaration.SyntaxTree);
            // (Only calls named as the library's unmaps are bound: most methods of the compilation unmap nothing.)
            foreach (InvocationExpressionSyntax call in declaration.DescendantNodes().OfType<InvocationExpressionSyntax>().Where(c => UnmapNamed(c.Expression)))
            {
                if (model.GetOperation(call) is IInvocationOperation unmap && k.RoleOf(unmap.TargetMethod) is var role
                    && (FactProducers.IsSingleUnmap(role) || role is Role.UnmapSg or Role.UnmapSgTable)
                    && unmap.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1)?.Value is IOperation address
                    && Chain(address, method, compilation) is (int parameter, string path))
                {
                    unmaps.Add((parameter, path, role is Role.UnmapSg or Role.UnmapSgTable));
                }
            }
        }

        return unmaps.ToImmutableArray();
    }

    /// <summary>How the caller's storage is compared: its chain through aliases (<see cref="AliasChains.Text"/>), else its text.</summary>
    public static string Named(IOperation value, Compilation compilation) =>
        AliasChains.Text(value, compilation) ?? AddressKey.Normalize(value.Syntax.ToString());

    private static bool UnmapNamed(ExpressionSyntax callee) =>
        (callee is MemberAccessExpressionSyntax m ? m.Name.Identifier.ValueText : callee is IdentifierNameSyntax i ? i.Identifier.ValueText : string.Empty)
            .StartsWith("Unmap", System.StringComparison.Ordinal) || callee.ToString().EndsWith("UnmapSg", System.StringComparison.Ordinal);

    /// <summary>A parameter or <c>this</c>, then members (through locals set once and accessors): the root and the members' path.</summary>
    private static (int Parameter, string Path)? Chain(IOperation address, IMethodSymbol method, Compilation compilation) =>
        AliasChains.Resolve(address, compilation) switch
        {
            (IParameterReferenceOperation p, var path) when SymbolEqualityComparer.Default.Equals(p.Parameter.ContainingSymbol, method) => (p.Parameter.Ordinal, string.Join(".", path)),
            (IInstanceReferenceOperation, { Length: > 0 } path) => (-1, string.Join(".", path)),
            _ => null,
        };
}
