using System.Collections.Generic;
using System.Collections.Immutable;
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
/// Found from syntax first (a store whose value is a name: <c>ops.F = M</c>, <c>new Ops { F = M }</c>, a field's
/// initializer), per tree, so that the editor's next compilation reuses it; only stores of a method's own name are bound,
/// once per method asked about.
/// </remarks>
internal static class DelegateTargets
{
    private sealed record Store(SyntaxTree Tree, SyntaxNode Node, string Member, string Method);

    private static readonly ConditionalWeakTable<SyntaxTree, Store[]> PerTree = new();

    private sealed class Index
    {
        public Dictionary<string, List<Store>> ByMethod { get; } = new(System.StringComparer.Ordinal);

        public Dictionary<string, List<Store>> ByMember { get; } = new(System.StringComparer.Ordinal);
    }

    private static readonly ConditionalWeakTable<Compilation, Index> PerCompilation = new();

    private static readonly ConditionalWeakTable<IMethodSymbol, ISymbol[]> Holding = new();

    /// <summary>The delegate-typed fields and properties of the compilation that <paramref name="method"/> is stored into.</summary>
    public static ISymbol[] MembersHolding(IMethodSymbol method, Compilation compilation) =>
        Holding.GetValue(method.OriginalDefinition, m => Find(m, compilation));

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

    /// <summary>The methods of the compilation stored into the delegate member whose declaration ID is <paramref name="memberId"/>.</summary>
    public static IEnumerable<IMethodSymbol> MethodsStoredInto(string memberId, Compilation compilation)
    {
        ISymbol? member = DocumentationCommentId.GetFirstSymbolForDeclarationId(memberId, compilation);
        if (member is null || !PerCompilation.GetValue(compilation, Build).ByMember.TryGetValue(member.Name, out List<Store>? stores))
        {
            return Enumerable.Empty<IMethodSymbol>();
        }

        return stores.Select(s => Bound(s, compilation))
            .Where(b => b.Method is not null && SymbolEqualityComparer.Default.Equals(b.Member, member.OriginalDefinition))
            .Select(b => b.Method!)
            .Distinct<IMethodSymbol>(SymbolEqualityComparer.Default)
            .OrderBy(m => DocumentationCommentId.CreateDeclarationId(m), System.StringComparer.Ordinal);
    }

    private static ISymbol[] Find(IMethodSymbol method, Compilation compilation)
    {
        if (!PerCompilation.GetValue(compilation, Build).ByMethod.TryGetValue(method.Name, out List<Store>? stores))
        {
            return System.Array.Empty<ISymbol>();
        }

        // In declaration-ID order: the nodes read from these do not depend on the order of the files.
        return stores.Select(s => Bound(s, compilation))
            .Where(b => b.Member is not null && SymbolEqualityComparer.Default.Equals(b.Method, method))
            .Select(b => b.Member!)
            .Distinct(SymbolEqualityComparer.Default)
            .OrderBy(m => DocumentationCommentId.CreateDeclarationId(m), System.StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>The member a store writes and the method it stores as a method group; nulls for any other store.</summary>
    private static (ISymbol? Member, IMethodSymbol? Method) Bound(Store store, Compilation compilation)
    {
        if (!compilation.ContainsSyntaxTree(store.Tree))
        {
            return (null, null);
        }

        (ISymbol? target, IOperation? value) = SemanticModels.Of(compilation, store.Tree).GetOperation(store.Node) switch
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
            : (null, null);
    }

    private static Index Build(Compilation compilation)
    {
        var index = new Index();
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            foreach (Store store in PerTree.GetValue(tree, Scan))
            {
                Add(index.ByMethod, store.Method, store);
                Add(index.ByMember, store.Member, store);
            }
        }

        return index;
    }

    private static void Add(Dictionary<string, List<Store>> byName, string name, Store store)
    {
        if (!byName.TryGetValue(name, out List<Store>? list))
        {
            byName[name] = list = new List<Store>();
        }

        list.Add(store);
    }

    private static Store[] Scan(SyntaxTree tree)
    {
        var stores = new List<Store>();
        foreach (SyntaxNode node in tree.GetRoot().DescendantNodes())
        {
            switch (node)
            {
                case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } a when NameOf(a.Right) is string method && NameOf(a.Left) is string member:
                    stores.Add(new Store(tree, a, member, method));
                    break;
                case VariableDeclaratorSyntax { Initializer.Value: ExpressionSyntax value, Parent.Parent: FieldDeclarationSyntax } d when NameOf(value) is string method:
                    stores.Add(new Store(tree, d.Initializer!, d.Identifier.ValueText, method));
                    break;
                case PropertyDeclarationSyntax { Initializer.Value: ExpressionSyntax value } p when NameOf(value) is string method:
                    stores.Add(new Store(tree, p.Initializer!, p.Identifier.ValueText, method));
                    break;
            }
        }

        return stores.ToArray();
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
