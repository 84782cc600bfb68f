using System.Collections.Generic;
using System.Linq;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// What one syntax tree offers the whole-program summary, read from syntax alone: its bodies (methods, accessors,
/// expression-bodied members, initializers) and which identifiers each body mentions. Kept per tree for as long as the
/// tree lives, so an editor's next compilation, which reuses the trees of unchanged files, does not read them again.
/// </summary>
internal sealed class TreeIndex
{
    private static readonly ConditionalWeakTable<SyntaxTree, TreeIndex> Cache = new();

    private readonly System.Lazy<Dictionary<string, ImmutableArray<int>>> _bodiesByName;

    private TreeIndex(SyntaxTree tree, ImmutableArray<SyntaxNode> bodies, bool importsLibrary, bool globallyImportsLibrary)
    {
        Tree = tree;
        Bodies = bodies;
        ImportsLibrary = importsLibrary;
        GloballyImportsLibrary = globallyImportsLibrary;

        // Built only when a solve looks names up: code that does not use the library never needs it.
        _bodiesByName = new System.Lazy<Dictionary<string, ImmutableArray<int>>>(IndexNames, System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public SyntaxTree Tree { get; }

    /// <summary>The body nodes, in source order (a body's ordinal is its index here).</summary>
    public ImmutableArray<SyntaxNode> Bodies { get; }

    /// <summary>True when the file names the library's namespace or an address-space attribute.</summary>
    public bool ImportsLibrary { get; }

    /// <summary>True when the file has a <c>global using</c> of the library: then every file may use its members.</summary>
    public bool GloballyImportsLibrary { get; }

    public static TreeIndex Of(SyntaxTree tree) => Cache.GetValue(tree, Build);

    /// <summary>
    /// False when the file's text does not contain the library's namespace or an attribute's name, so that it cannot name
    /// them: answered from the text, without making the syntax nodes a walk would (ordinary code in a project that merely
    /// references the package); otherwise <see cref="ImportsLibrary"/> decides.
    /// </summary>
    public static bool MayNameLibrary(SyntaxTree tree) => Named.GetValue(tree, static t => new NamedBox(NamesLibrary(t))).Value;

    // Asked at the start of every compilation: the editor's next compilation reuses the trees of unchanged files, and
    // with them the answer.
    private static readonly ConditionalWeakTable<SyntaxTree, NamedBox> Named = new();

    private sealed record NamedBox(bool Value);

    private static bool NamesLibrary(SyntaxTree tree)
    {
        // A parsed file's text holds its string, and ToString() of the whole text hands it back without copying; a tree
        // made from nodes writes its text once, from the green nodes, and keeps it.
        string source = tree.GetText().ToString();
        return (source.IndexOf(KnownSymbols.Namespace, System.StringComparison.Ordinal) >= 0
                || source.IndexOf("CpuPhysicalAddress", System.StringComparison.Ordinal) >= 0
                || source.IndexOf("PciBusAddress", System.StringComparison.Ordinal) >= 0
                || source.IndexOf("DmaAddress", System.StringComparison.Ordinal) >= 0)
            && Of(tree).ImportsLibrary;
    }

    /// <summary>The ordinals of the bodies that mention <paramref name="name"/>.</summary>
    public ImmutableArray<int> BodiesNaming(string name) =>
        _bodiesByName.Value.TryGetValue(name, out ImmutableArray<int> bodies) ? bodies : ImmutableArray<int>.Empty;

    /// <summary>The ordinal of the body that is, or contains, <paramref name="node"/>; -1 when none does.</summary>
    public int BodyContaining(SyntaxNode node)
    {
        for (int i = 0; i < Bodies.Length; i++)
        {
            if (Bodies[i].FullSpan.Contains(node.Span))
            {
                return i;
            }
        }

        return -1;
    }

    private static TreeIndex Build(SyntaxTree tree)
    {
        SyntaxNode root = tree.GetRoot();
        ImmutableArray<SyntaxNode> bodies = root.DescendantNodes(descendIntoChildren: n => !IsBody(n)).Where(IsBody).ToImmutableArray();
        bool imports = false;
        bool globally = false;
        if (root is CompilationUnitSyntax unit)
        {
            foreach (UsingDirectiveSyntax u in unit.Usings)
            {
                bool library = u.Name?.ToString().StartsWith(KnownSymbols.Namespace, System.StringComparison.Ordinal) == true;
                imports |= library;
                globally |= library && u.GlobalKeyword.IsKind(SyntaxKind.GlobalKeyword);
            }
        }

        // A qualified name, a using inside a namespace, or one of the attributes also counts.
        imports = imports || root.DescendantTokens().Any(t =>
            t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText is KnownSymbols.Namespace or "CpuPhysicalAddress" or "PciBusAddress" or "DmaAddress"
                or "CpuPhysicalAddressAttribute" or "PciBusAddressAttribute" or "DmaAddressAttribute");
        return new TreeIndex(tree, bodies, imports, globally);
    }

    private Dictionary<string, ImmutableArray<int>> IndexNames()
    {
        var names = new Dictionary<string, List<int>>(System.StringComparer.Ordinal);
        var scanner = new IdentifierScanner(Tree.GetText().ToString());
        for (int ordinal = 0; ordinal < Bodies.Length; ordinal++)
        {
            if (!scanner.TryScan(Bodies[ordinal].Span, names, ordinal))
            {
                foreach (SyntaxToken token in Bodies[ordinal].DescendantTokens())
                {
                    if (token.IsKind(SyntaxKind.IdentifierToken))
                    {
                        IdentifierScanner.Add(names, token.ValueText, ordinal);
                    }
                }
            }
        }

        var byName = new Dictionary<string, ImmutableArray<int>>(names.Count, System.StringComparer.Ordinal);
        foreach (KeyValuePair<string, List<int>> entry in names)
        {
            byName[entry.Key] = entry.Value.ToImmutableArray();
        }

        return byName;
    }

    /// <summary>A node whose operations form one control flow graph of the summary.</summary>
    private static bool IsBody(SyntaxNode node) => node switch
    {
        BaseMethodDeclarationSyntax m => m.Body is not null || m.ExpressionBody is not null,
        AccessorDeclarationSyntax a => a.Body is not null || a.ExpressionBody is not null,
        ArrowExpressionClauseSyntax arrow => arrow.Parent is BasePropertyDeclarationSyntax,
        EqualsValueClauseSyntax init => init.Parent is VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax } or PropertyDeclarationSyntax,
        _ => false,
    };
}
