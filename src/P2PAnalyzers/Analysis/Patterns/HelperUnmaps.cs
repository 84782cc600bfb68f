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
/// or a member chain of <c>this</c>. A call of it unmaps the same chains of its arguments, as the caller names them.
/// </summary>
internal static class HelperUnmaps
{
    // Per method: (parameter ordinal or -1 for this, the member path after it, empty for the parameter itself).
    private static readonly ConditionalWeakTable<IMethodSymbol, IReadOnlyList<(int Parameter, string Path)>> Cache = new();

    /// <summary>The storage, as the caller names it (<see cref="AddressKey.Normalize"/>), each call in <paramref name="op"/> unmaps.</summary>
    public static IEnumerable<(SyntaxNode Call, string Unmapped)> In(IOperation op, Compilation compilation, KnownSymbols k, Func<IMethodSymbol, bool> isLibrary)
    {
        foreach (IInvocationOperation call in op.DescendantsAndSelf().OfType<IInvocationOperation>())
        {
            // (The graph's operations have no semantic model of their own: the compilation comes from the caller.)
            if (isLibrary(call.TargetMethod) || call.TargetMethod.DeclaringSyntaxReferences.IsEmpty)
            {
                continue;
            }

            IReadOnlyList<(int Parameter, string Path)> unmaps = Cache.GetValue(call.TargetMethod.OriginalDefinition, m => Of(m, k, compilation));
            foreach ((int parameter, string path) in unmaps)
            {
                string? owner = parameter < 0
                    ? (call.Instance is null or IInstanceReferenceOperation ? string.Empty : AddressKey.Normalize(call.Instance.Syntax.ToString()))
                    : call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == parameter) is { } argument ? AddressKey.Normalize(argument.Value.Syntax.ToString()) : null;
                if (owner is not null)
                {
                    yield return (call.Syntax, owner.Length == 0 ? path : path.Length == 0 ? owner : owner + "." + path);
                }
            }
        }
    }

    private static IReadOnlyList<(int Parameter, string Path)> Of(IMethodSymbol method, KnownSymbols k, Compilation compilation)
    {
        var unmaps = new List<(int, string)>();
        foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
        {
            SyntaxNode declaration = reference.GetSyntax();
            if (declaration is not BaseMethodDeclarationSyntax)
            {
                continue;
            }

            SemanticModel model = SemanticModels.Of(compilation, declaration.SyntaxTree);
            foreach (InvocationExpressionSyntax call in declaration.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (model.GetOperation(call) is IInvocationOperation unmap && FactProducers.IsSingleUnmap(k.RoleOf(unmap.TargetMethod))
                    && unmap.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1)?.Value is IOperation address
                    && Chain(address, method) is (int, string) chain)
                {
                    unmaps.Add(chain);
                }
            }
        }

        return unmaps.ToImmutableArray();
    }

    /// <summary>A parameter or <c>this</c>, then members: the root and the members' path.</summary>
    private static (int Parameter, string Path)? Chain(IOperation address, IMethodSymbol method)
    {
        var names = new Stack<string>();
        IOperation current = address;
        while (true)
        {
            switch (current)
            {
                case IConversionOperation conversion:
                    current = conversion.Operand;
                    continue;
                case IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member when member.Instance is not null:
                    names.Push(member.Member.Name);
                    current = member.Instance;
                    continue;
                case IParameterReferenceOperation p when SymbolEqualityComparer.Default.Equals(p.Parameter.ContainingSymbol, method):
                    return (p.Parameter.Ordinal, string.Join(".", names));
                case IInstanceReferenceOperation when names.Count > 0:
                    return (-1, string.Join(".", names));
                default:
                    return null;
            }
        }
    }
}
