using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The methods of the compilation stored, as method groups, into a delegate-typed field or property: the kernel's ops
/// tables (<c>wmi_ops-&gt;gen_mgmt_tx_send = ath10k_wmi_tlv_op_gen_mgmt_tx_send</c>), transliterated as delegate members.
/// A call through such a member may run any of them, so what it is passed reaches their parameters
/// (<see cref="SummaryNodeKind.DelegateParameter"/>). Lambdas, delegates passed as arguments and events are not followed.
/// </summary>
/// <remarks>
/// One index per compilation, made on first use: the fields and properties declared with a delegate type (<c>Func</c>,
/// <c>Action</c> or a delegate the compilation declares; read from syntax and kept per tree), then their initializers
/// and the stores into them in the bodies that name them (the syntax index), only those whose value is a name
/// (<c>ops.F = M</c>, <c>new Ops { F = M }</c>) being bound. Asked for every parameter a summarised body reads, so a
/// compilation without such members answers from an empty index.
/// </remarks>
internal static class DelegateTargets
{
    private sealed class Index
    {
        public Dictionary<ISymbol, List<ISymbol>> MembersByMethod { get; } = new(SymbolEqualityComparer.Default);

        public Dictionary<ISymbol, List<IMethodSymbol>> MethodsByMember { get; } = new(SymbolEqualityComparer.Default);
    }

    private static readonly ConditionalWeakTable<Compilation, Index> PerCompilation = new();

    /// <summary>The delegate-typed fields and properties of the compilation that <paramref name="method"/> is stored into.</summary>
    public static IReadOnlyList<ISymbol> MembersHolding(IMethodSymbol method, Compilation compilation) =>
        PerCompilation.GetValue(compilation, Build).MembersByMethod.TryGetValue(method.OriginalDefinition, out List<ISymbol>? members)
            ? members
            : (IReadOnlyList<ISymbol>)System.Array.Empty<ISymbol>();

    /// <summary>The methods of the compilation stored into the delegate member whose declaration ID is <paramref name="memberId"/>.</summary>
    public static IReadOnlyList<IMethodSymbol> MethodsStoredInto(string memberId, Compilation compilation) =>
        DocumentationCommentId.GetFirstSymbolForDeclarationId(memberId, compilation) is ISymbol member
        && PerCompilation.GetValue(compilation, Build).MethodsByMember.TryGetValue(member.OriginalDefinition, out List<IMethodSymbol>? methods)
            ? methods
            : (IReadOnlyList<IMethodSymbol>)System.Array.Empty<IMethodSymbol>();

    /// <summary>The delegate-typed field or property a call invokes, when it is one of the compilation's: <c>ops.F(..)</c>.</summary>
    public static ISymbol? CalledThrough(IInvocationOperation call, KnownSymbols k) =>
        call.TargetMethod.MethodKind == MethodKind.DelegateInvoke && AddressKey.MemberOf(call.Instance) is ISymbol member && k.IsSource(member)
            ? member
            : null;

    /// <summary>What one tree declares, from syntax: its delegate types' names, and its fields and properties whose type
    /// may be a delegate (a <c>Func</c>, an <c>Action</c>, or a name), with their initializers.</summary>
    private sealed record Declared(string[] DelegateTypes, (string Member, string Type, EqualsValueClauseSyntax? Initializer)[] Members);

    // Kept per tree: the editor's next compilation reuses the trees of unchanged files, and with them this.
    private static readonly ConditionalWeakTable<SyntaxTree, Declared> PerTree = new();

    private static Index Build(Compilation compilation)
    {
        var index = new Index();
        var trees = compilation.SyntaxTrees.OrderBy(t => t.FilePath, System.StringComparer.Ordinal).ToList();
        var declared = trees.Select(t => PerTree.GetValue(t, Declare)).ToList();
        var delegateTypes = new HashSet<string>(declared.SelectMany(d => d.DelegateTypes).Concat(new[] { "Func", "Action" }), System.StringComparer.Ordinal);
        var stores = new List<SyntaxNode>();
        var names = new HashSet<string>(System.StringComparer.Ordinal);
        foreach ((string member, string type, EqualsValueClauseSyntax? initializer) in declared.SelectMany(d => d.Members).Where(m => delegateTypes.Contains(m.Type)))
        {
            names.Add(member);
            if (initializer is not null && NameOf(initializer.Value) is not null)
            {
                stores.Add(initializer);
            }
        }

        // The stores into them, in file-path and source order, from the bodies that name them.
        if (names.Count > 0)
        {
            foreach (SyntaxTree tree in trees)
            {
                TreeIndex bodies = TreeIndex.Of(tree);
                foreach (int body in new SortedSet<int>(names.SelectMany(n => bodies.BodiesNaming(n))))
                {
                    stores.AddRange(bodies.Bodies[body].DescendantNodesAndSelf().OfType<AssignmentExpressionSyntax>()
                        .Where(a => a.IsKind(SyntaxKind.SimpleAssignmentExpression) && NameOf(a.Right) is not null && NameOf(a.Left) is string left && names.Contains(left)));
                }
            }
        }

        foreach (SyntaxNode store in stores)
        {
            if (Bound(store, compilation) is (ISymbol member, IMethodSymbol method))
            {
                Add(index.MembersByMethod, method, member);
                Add(index.MethodsByMember, member, method);
            }
        }

        // In declaration-ID order: what is read from them does not depend on the order of the files.
        foreach (List<ISymbol> list in index.MembersByMethod.Values)
        {
            list.Sort((a, b) => string.CompareOrdinal(DocumentationCommentId.CreateDeclarationId(a), DocumentationCommentId.CreateDeclarationId(b)));
        }

        foreach (List<IMethodSymbol> list in index.MethodsByMember.Values)
        {
            list.Sort((a, b) => string.CompareOrdinal(DocumentationCommentId.CreateDeclarationId(a), DocumentationCommentId.CreateDeclarationId(b)));
        }

        return index;
    }

    private static Declared Declare(SyntaxTree tree)
    {
        var delegates = new List<string>();
        var members = new List<(string, string, EqualsValueClauseSyntax?)>();
        foreach (SyntaxNode node in tree.GetRoot().DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax))
        {
            switch (node)
            {
                case DelegateDeclarationSyntax d:
                    delegates.Add(d.Identifier.ValueText);
                    break;
                case FieldDeclarationSyntax { Declaration: { Type: TypeSyntax type } declaration } when TypeName(type) is string t:
                    members.AddRange(declaration.Variables.Select(v => (v.Identifier.ValueText, t, v.Initializer)));
                    break;
                case PropertyDeclarationSyntax { Type: TypeSyntax type } p when TypeName(type) is string t:
                    members.Add((p.Identifier.ValueText, t, p.Initializer));
                    break;
            }
        }

        return new Declared(delegates.ToArray(), members.ToArray());
    }

    /// <summary>The simple name of a declared type (<c>Func</c> of <c>Func&lt;..&gt;?</c>, <c>Ops.Handler</c>'s <c>Handler</c>).</summary>
    private static string? TypeName(TypeSyntax type) => type switch
    {
        NullableTypeSyntax n => TypeName(n.ElementType),
        QualifiedNameSyntax q => TypeName(q.Right),
        AliasQualifiedNameSyntax a => TypeName(a.Name),
        SimpleNameSyntax s => s.Identifier.ValueText,
        _ => null,
    };

    private static void Add<T>(Dictionary<ISymbol, List<T>> map, ISymbol key, T value)
        where T : ISymbol
    {
        if (!map.TryGetValue(key, out List<T>? list))
        {
            map[key] = list = new List<T>();
        }

        if (!list.Any(v => SymbolEqualityComparer.Default.Equals(v, value)))
        {
            list.Add(value);
        }
    }

    /// <summary>The member a store writes and the method it stores as a method group; null for any other store.</summary>
    private static (ISymbol Member, IMethodSymbol Method)? Bound(SyntaxNode store, Compilation compilation)
    {
        if (!compilation.ContainsSyntaxTree(store.SyntaxTree))
        {
            return null;
        }

        (ISymbol? target, IOperation? value) = SemanticModels.Of(compilation, store.SyntaxTree).GetOperation(store) switch
        {
            ISimpleAssignmentOperation { Target: IFieldReferenceOperation f } a => ((ISymbol?)f.Field, (IOperation?)a.Value),
            ISimpleAssignmentOperation { Target: IPropertyReferenceOperation p } a => (p.Property, a.Value),
            IFieldInitializerOperation { InitializedFields.Length: 1 } i => (i.InitializedFields[0], i.Value),
            IPropertyInitializerOperation { InitializedProperties.Length: 1 } i => (i.InitializedProperties[0], i.Value),
            _ => (null, null),
        };
        while (value is IConversionOperation c)
        {
            value = c.Operand;
        }

        return target is not null && value is IDelegateCreationOperation { Target: IMethodReferenceOperation reference } && reference.Method.DeclaringSyntaxReferences.Length > 0
            ? (target.OriginalDefinition, reference.Method.OriginalDefinition)
            : null;
    }

    /// <summary>The simple name an expression ends in (<c>M</c>, <c>X.M</c>, <c>new F(M)</c>); null for anything else.</summary>
    private static string? NameOf(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax name => name.Identifier.ValueText,
        MemberAccessExpressionSyntax { Name: IdentifierNameSyntax name } => name.Identifier.ValueText,
        ParenthesizedExpressionSyntax p => NameOf(p.Expression),
        ObjectCreationExpressionSyntax { ArgumentList.Arguments: [ArgumentSyntax only], Initializer: null } => NameOf(only.Expression),
        _ => null,
    };
}
