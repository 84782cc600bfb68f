using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// The device an object holds. A driver's private struct holds its device once (<c>sfc-&gt;dev</c>,
/// <c>dev-&gt;pdev</c>); an address kept in such a struct is for that device, which is what fixes that must name the
/// device of a kept address rely on.
/// </summary>
internal static class Holders
{
    /// <summary>The reported <c>DmaAddr.FromRaw(x)</c> when it is the whole right side of a simple assignment, and that assignment.</summary>
    public static (InvocationExpressionSyntax FromRaw, AssignmentExpressionSyntax Store)? StoredFromRaw(SyntaxNode root, Diagnostic diagnostic) =>
        root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 } fromRaw
        && fromRaw.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } store
        && store.Right == fromRaw
            ? (fromRaw, store)
            : null;

    /// <summary>The one field or property of <paramref name="type"/> (or a base) whose type is or derives from <paramref name="device"/>; null when none or several.</summary>
    public static ISymbol? SingleDevice(ITypeSymbol type, ITypeSymbol device)
    {
        var devices = Members(type).Where(m => Is(MemberType(m), device)).Take(2).ToList();
        return devices.Count == 1 ? devices[0] : null;
    }

    /// <summary>True when <paramref name="type"/> is <paramref name="device"/> or derives from it.</summary>
    public static bool Is(ITypeSymbol? type, ITypeSymbol device)
    {
        for (ITypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, device))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<ISymbol> Members(ITypeSymbol type)
    {
        for (ITypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            foreach (ISymbol member in t.GetMembers())
            {
                if (member is IFieldSymbol { IsImplicitlyDeclared: false } or IPropertySymbol)
                {
                    yield return member;
                }
            }
        }
    }

    private static ITypeSymbol? MemberType(ISymbol member) => member switch
    {
        IFieldSymbol f => f.Type,
        IPropertySymbol p => p.Type,
        _ => null,
    };
}
