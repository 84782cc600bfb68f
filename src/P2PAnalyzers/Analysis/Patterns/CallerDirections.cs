using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The directions a method's callers give the parameter it maps with (hisilicon's
/// <c>hisi_acc_sg_buf_map_to_hw_sgl(.., dir)</c>, called with <c>DMA_TO_DEVICE</c> for the source and
/// <c>DMA_FROM_DEVICE</c> for the destination): what a map call given that parameter was made with, for P2P0021.
/// </summary>
internal static class CallerDirections
{
    /// <summary>
    /// The constant every call of the compilation passes for <paramref name="parameter"/>, in file and source order; null
    /// when one passes something else, the method may be called from outside the compilation or through a delegate (its
    /// name appears other than as a call), or no call is found.
    /// </summary>
    public static IReadOnlyList<MapArgument>? Of(IParameterSymbol parameter, KnownSymbols k) =>
        PerCompilation.GetValue(k.Compilation, _ => new System.Collections.Concurrent.ConcurrentDictionary<IParameterSymbol, IReadOnlyList<MapArgument>?>(SymbolEqualityComparer.Default))
            .GetOrAdd(parameter.OriginalDefinition, p => Find(p, k));

    // Every tree that names the method is read once per compilation, not once per unmap that asks.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Compilation, System.Collections.Concurrent.ConcurrentDictionary<IParameterSymbol, IReadOnlyList<MapArgument>?>> PerCompilation = new();

    private static IReadOnlyList<MapArgument>? Find(IParameterSymbol parameter, KnownSymbols k)
    {
        if (parameter.ContainingSymbol is not IMethodSymbol { MethodKind: MethodKind.Ordinary, IsVirtual: false, IsAbstract: false, IsOverride: false } method
            || Visible(method) || parameter.RefKind != RefKind.None)
        {
            return null;
        }

        var found = new List<MapArgument>();
        foreach (SyntaxTree tree in k.Compilation.SyntaxTrees.OrderBy(t => t.FilePath, System.StringComparer.Ordinal))
        {
            TreeIndex index = TreeIndex.Of(tree);
            SemanticModel? model = null;
            foreach (int body in index.BodiesNaming(method.Name))
            {
                foreach (SimpleNameSyntax name in index.Bodies[body].DescendantNodesAndSelf().OfType<SimpleNameSyntax>().Where(n => n.Identifier.ValueText == method.Name))
                {
                    model ??= SemanticModels.Of(k.Compilation, tree);
                    if (!SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name).Symbol?.OriginalDefinition, method))
                    {
                        continue;
                    }

                    // A call, or the name of the method stored or passed (a delegate: callers unknown).
                    SyntaxNode callee = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : name;
                    if (callee.Parent is not InvocationExpressionSyntax call || model.GetOperation(call) is not IInvocationOperation invocation
                        || MapArguments.Read(invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == parameter.Ordinal), k) is not MapArgument given)
                    {
                        return null;
                    }

                    found.Add(given);
                }
            }
        }

        return found.Count == 0 ? null : found;
    }

    /// <summary>Whether code outside the compilation may call the method (public or protected all the way out).</summary>
    private static bool Visible(ISymbol symbol)
    {
        for (ISymbol? s = symbol; s is not null and not INamespaceSymbol; s = s.ContainingSymbol)
        {
            if (s.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal))
            {
                return false;
            }
        }

        return true;
    }
}
