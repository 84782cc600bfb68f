using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// A storage location the flow analysis tracks: a local, parameter, flow capture or <c>this</c>, followed by field or
/// property names (struct fields, tuple elements, <c>this._field</c>) and, for arrays, an element marker.
/// </summary>
internal sealed class AccessPath : IEquatable<AccessPath>
{
    /// <summary>The member name that stands for "any element" of an array.</summary>
    public const string Element = "[]";

    private static readonly object ThisRoot = new();

    private AccessPath(object root, ImmutableArray<string> members)
    {
        Root = root;
        Members = members;
    }

    public object Root { get; }

    public ImmutableArray<string> Members { get; }

    public static AccessPath Of(ISymbol local) => new(local, ImmutableArray<string>.Empty);

    public static AccessPath Of(CaptureId capture) => new(capture, ImmutableArray<string>.Empty);

    public static AccessPath This { get; } = new(ThisRoot, ImmutableArray<string>.Empty);

    public AccessPath Member(string name) => new(Root, Members.Add(name));

    /// <summary>True when <paramref name="other"/> is this path or lies below it.</summary>
    public bool IsPrefixOf(AccessPath other) =>
        other.Members.Length >= Members.Length && RootEquals(other.Root) && SameMembers(other, Members.Length);

    /// <summary><paramref name="other"/> with this path's prefix replaced by <paramref name="replacement"/>.</summary>
    public AccessPath Rebase(AccessPath other, AccessPath replacement) =>
        new(replacement.Root, replacement.Members.AddRange(other.Members.Skip(Members.Length)));

    public bool Equals(AccessPath? other) =>
        other is not null && other.Members.Length == Members.Length && RootEquals(other.Root) && SameMembers(other, Members.Length);

    // The first count members of both paths are equal (no enumerator: paths are compared on every read and store).
    private bool SameMembers(AccessPath other, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (!string.Equals(Members[i], other.Members[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as AccessPath);

    public override int GetHashCode()
    {
        int hash = Root is ISymbol s ? SymbolEqualityComparer.Default.GetHashCode(s) : Root.GetHashCode();
        foreach (string m in Members)
        {
            hash = (hash * 31) ^ m.GetHashCode();
        }

        return hash;
    }

    public override string ToString() =>
        string.Join(".", new[] { Root == ThisRoot ? "this" : Root is ISymbol s ? s.Name : "capture" }.Concat(Members));

    private bool RootEquals(object other) =>
        Root is ISymbol s ? other is ISymbol o && SymbolEqualityComparer.Default.Equals(s, o) : Root.Equals(other);
}
