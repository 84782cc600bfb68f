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
/// One index per compilation, made on first use: the compilation's delegate-typed fields and properties (from symbols,
/// no binding), then their initializers and the stores into them in the bodies that name them (the syntax index), only
/// those whose value is a name (<c>ops.F = M</c>, <c>new Ops { F = M }</c>) being bound. Asked for every parameter a
/// summarised body reads, so a compilation without such members answers from an empty index.
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
        call.TargetMethod.MethodKind == MethodKind.DelegateInvoke
        && call.Instance switch
        {
            IFieldReferenceOperation f => (ISymbol)f.Field,
            IPropertyReferenceOperation { Arguments.IsEmpty: true } p => p.Property,
            _ => null,
        } is ISymbol member && k.IsSource(member)
            ? member.OriginalDefinition
            : null;

    private static Index Build(Compilation compilation)
    {
        var index = new Index();
        var delegates = new List<ISymbol>();
        Collect(compilation.Assembly.GlobalNamespace, delegates);
        var names = new HashSet<string>(delegates.Select(d => d.Name), System.StringComparer.Ordinal);
        var stores = new List<SyntaxNode>();
        foreach (ISymbol member in delegates)
        {
            // A member's own initializer does not name it: read from its declaration.
            foreach (SyntaxReference reference in member.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is VariableDeclaratorSyntax { Initializer: EqualsValueClauseSyntax a } && NameOf(a.Value) is not null)
                {
                    stores.Add(a);
                }
                else if (reference.GetSyntax() is PropertyDeclarationSyntax { Initializer: EqualsValueClauseSyntax b } && NameOf(b.Value) is not null)
                {
                    stores.Add(b);
                }
            }
        }

        // The stores into them, in file-path and source order, from the bodies that name them.
        foreach (SyntaxTree tree in compilation.SyntaxTrees.OrderBy(t => t.FilePath, System.StringComparer.Ordinal))
        {
            TreeIndex trees = TreeIndex.Of(tree);
            foreach (int body in new SortedSet<int>(names.SelectMany(n => trees.BodiesNaming(n))))
            {
                stores.AddRange(trees.Bodies[body].DescendantNodesAndSelf().OfType<AssignmentExpressionSyntax>()
                    .Where(a => a.IsKind(SyntaxKind.SimpleAssignmentExpression) && NameOf(a.Right) is not null && NameOf(a.Left) is string left && names.Contains(left)));
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

    /// <summary>The compilation's own fields and properties of a delegate type.</summary>
    private static void Collect(INamespaceOrTypeSymbol container, List<ISymbol> found)
    {
        foreach (ISymbol member in container.GetMembers())
        {
            switch (member)
            {
                case INamespaceOrTypeSymbol nested when member.Locations.Any(l => l.IsInSource):
                    Collect(nested, found);
                    break;
                case IFieldSymbol { Type.TypeKind: TypeKind.Delegate, IsImplicitlyDeclared: false } field:
                    found.Add(field);
                    break;
                case IPropertySymbol { Type.TypeKind: TypeKind.Delegate } property:
                    found.Add(property);
                    break;
            }
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
