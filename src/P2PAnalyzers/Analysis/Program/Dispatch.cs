using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Which methods share summary nodes through virtual dispatch: a call of an interface or base method may run an
/// implementation, so an implementation's parameters also receive what is passed to the members it implements or
/// overrides, and its returns also reach theirs. Delegate members of ops tables are <see cref="DelegateTargets"/>'s;
/// lambdas and events are not followed.
/// </summary>
internal static class Dispatch
{
    // Asked for every read of a parameter the body did not assign: the interface search is done once per method.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IMethodSymbol, IMethodSymbol[]> Known = new();

    /// <summary><paramref name="method"/> itself, the methods it overrides, and the interface members it implements.</summary>
    public static IMethodSymbol[] Related(IMethodSymbol method) =>
        Known.GetValue(method, m => System.Linq.Enumerable.ToArray(Find(m)));

    private static IEnumerable<IMethodSymbol> Find(IMethodSymbol method)
    {
        yield return method;
        for (IMethodSymbol? m = method.OverriddenMethod; m is not null; m = m.OverriddenMethod)
        {
            yield return m;
        }

        foreach (IMethodSymbol explicitly in method.ExplicitInterfaceImplementations)
        {
            yield return explicitly;
        }

        if (method.DeclaredAccessibility != Accessibility.Public || method.ContainingType is not INamedTypeSymbol type)
        {
            yield break;
        }

        foreach (INamedTypeSymbol contract in type.AllInterfaces)
        {
            foreach (ISymbol member in contract.GetMembers(method.Name))
            {
                if (member is IMethodSymbol candidate
                    && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(candidate), method))
                {
                    yield return candidate;
                }
            }
        }
    }
}
