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
/// Found through the syntax index (<see cref="TreeIndex"/>): only the bodies that name the method (or the member) are
/// looked at, and only their stores whose value is a name (<c>ops.F = M</c>, <c>new Ops { F = M }</c>, a field's
/// initializer) are bound.
/// </remarks>
internal static class DelegateTargets
{
    private sealed record Store(SyntaxTree Tree, SyntaxNode Node, string Member, string Method);

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
        if (member is null)
        {
            return Enumerable.Empty<IMethodSymbol>();
        }

        // Its own initializer does not name it: read from its declaration.
        IEnumerable<Store> initializers = member.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax() switch
            {
                VariableDeclaratorSyntax { Initializer: EqualsValueClauseSyntax init } => init,
                PropertyDeclarationSyntax { Initializer: EqualsValueClauseSyntax init } => init,
                _ => null,
            })
            .Where(init => init is not null && NameOf(init.Value) is not null)
            .Select(init => new Store(init!.SyntaxTree, init, member.Name, NameOf(init.Value)!));
        return Stores(member.Name, compilation, s => s.Member == member.Name).Concat(initializers)
                .Select(s => Bound(s, compilation))
                .Where(b => b.Method is not null && SymbolEqualityComparer.Default.Equals(b.Member, member.OriginalDefinition))
                .Select(b => b.Method!)
                .Distinct<IMethodSymbol>(SymbolEqualityComparer.Default)
                .OrderBy(m => DocumentationCommentId.CreateDeclarationId(m), System.StringComparer.Ordinal);
    }

    private static ISymbol[] Find(IMethodSymbol method, Compilation compilation) =>
        // In declaration-ID order: the nodes read from these do not depend on the order of the files.
        Stores(method.Name, compilation, s => s.Method == method.Name)
            .Select(s => Bound(s, compilation))
            .Where(b => b.Member is not null && SymbolEqualityComparer.Default.Equals(b.Method, method))
            .Select(b => b.Member!)
            .Distinct(SymbolEqualityComparer.Default)
            .OrderBy(m => DocumentationCommentId.CreateDeclarationId(m), System.StringComparer.Ordinal)
            .ToArray();

    /// <summary>The stores of a name into a member in the bodies that mention <paramref name="name"/>.</summary>
    private static IEnumerable<Store> Stores(string name, Compilation compilation, System.Func<Store, bool> keep)
    {
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            TreeIndex index = TreeIndex.Of(tree);
            foreach (int b in index.BodiesNaming(name))
            {
                foreach (Store store in Scan(tree, index.Bodies[b]).Where(keep))
                {
                    yield return store;
                }
            }
        }
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

    private static IEnumerable<Store> Scan(SyntaxTree tree, SyntaxNode body)
    {
        foreach (SyntaxNode node in body.DescendantNodesAndSelf())
        {
            switch (node)
            {
                case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } a when NameOf(a.Right) is string method && NameOf(a.Left) is string member:
                    yield return new Store(tree, a, member, method);
                    break;
                case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax } d } init when NameOf(init.Value) is string method:
                    yield return new Store(tree, init, d.Identifier.ValueText, method);
                    break;
                case EqualsValueClauseSyntax { Parent: PropertyDeclarationSyntax p } init when NameOf(init.Value) is string method:
                    yield return new Store(tree, init, p.Identifier.ValueText, method);
                    break;
            }
        }
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
