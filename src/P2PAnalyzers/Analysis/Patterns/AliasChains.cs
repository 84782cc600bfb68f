using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The member chain a value reads, seen through the two ways kernel code names the same storage twice: a local set once
/// from a chain (<c>struct nvme_iod *iod = blk_mq_rq_to_pdu(req);</c>) and an accessor of the compilation that returns
/// a chain of its parameter (<c>blk_mq_rq_to_pdu</c>, written <c>static NvmeIod BlkMqRqToPdu(Request rq) =&gt;
/// (NvmeIod)rq.Pdu</c>). <c>iod.Sg</c> is then <c>req.Pdu.Sg</c>, in the function that maps and in the helper that
/// unmaps alike.
/// </summary>
internal static class AliasChains
{
    private const int MaxSteps = 8;

    /// <summary>
    /// The root (a parameter, <c>this</c>, or a local that is no alias) and the member names after it; null when the value
    /// is not such a chain.
    /// </summary>
    public static (IOperation Root, ImmutableArray<string> Path)? Resolve(IOperation value, Compilation compilation) => Resolve(value, compilation, 0);

    private static (IOperation Root, ImmutableArray<string> Path)? Resolve(IOperation value, Compilation compilation, int depth)
    {
        value = AddressKey.Value(value);
        if (depth > MaxSteps)
        {
            return null;
        }

        switch (value)
        {
            case IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member when member.Instance is not null:
                return Resolve(member.Instance, compilation, depth + 1) is (IOperation root, ImmutableArray<string> path) ? (root, path.Add(member.Member.Name)) : null;
            case ILocalReferenceOperation local:
                // A local set once from a chain is that chain; any other local is a root of its own.
                return InitializerOf(local.Local, compilation) is IOperation initializer && Resolve(initializer, compilation, depth + 1) is { } aliased
                    ? aliased
                    : (value, ImmutableArray<string>.Empty);
            case IInvocationOperation call when Accessor(call.TargetMethod, compilation, depth) is (int parameter, ImmutableArray<string> through)
                && call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == parameter) is IArgumentOperation argument:
                return Resolve(argument.Value, compilation, depth + 1) is (IOperation r, ImmutableArray<string> p) ? (r, p.AddRange(through)) : null;
            case IParameterReferenceOperation or IInstanceReferenceOperation:
                return (value, ImmutableArray<string>.Empty);
            default:
                return null;
        }
    }

    /// <summary>The chain as text, rooted at the parameter's or local's name (<c>this</c> left out): <c>req.Pdu.Sg</c>.</summary>
    public static string? Text(IOperation value, Compilation compilation) =>
        Resolve(value, compilation) is (IOperation root, ImmutableArray<string> path)
            ? string.Join(".", (root switch
            {
                IParameterReferenceOperation p => new[] { p.Parameter.Name },
                ILocalReferenceOperation l => new[] { l.Local.Name },
                _ => System.Array.Empty<string>(),
            }).Concat(path))
            : null;

    /// <summary>What a local is initialised with, where it is declared with one and never assigned, passed by reference or captured.</summary>
    private static IOperation? InitializerOf(ILocalSymbol local, Compilation compilation)
    {
        if (local.IsRef || local.DeclaringSyntaxReferences.Length != 1
            || local.DeclaringSyntaxReferences[0].GetSyntax() is not VariableDeclaratorSyntax { Initializer.Value: ExpressionSyntax value } declarator
            || declarator.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not MemberDeclarationSyntax member)
        {
            return null;
        }

        string name = local.Name;
        bool changed = member.DescendantNodes().Any(n => n switch
        {
            AssignmentExpressionSyntax a => Names(a.Left, name),
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } u => Names(u.Operand, name),
            PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } u => Names(u.Operand, name),
            ArgumentSyntax { RefKindKeyword.RawKind: not (int)SyntaxKind.None } arg => Names(arg.Expression, name),
            AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax => n.DescendantNodes().OfType<IdentifierNameSyntax>().Any(i => i.Identifier.ValueText == name),
            _ => false,
        });
        return changed ? null : SemanticModels.Of(compilation, value.SyntaxTree).GetOperation(value);
    }

    private static bool Names(ExpressionSyntax target, string name) => target is IdentifierNameSyntax i && i.Identifier.ValueText == name;

    /// <summary>
    /// A static method of the compilation whose body only returns a chain of one of its parameters: that parameter's
    /// ordinal and the chain's member names.
    /// </summary>
    private static (int Parameter, ImmutableArray<string> Path)? Accessor(IMethodSymbol method, Compilation compilation, int steps)
    {
        if (!method.IsStatic || method.DeclaringSyntaxReferences.Length != 1
            || method.DeclaringSyntaxReferences[0].GetSyntax() is not MethodDeclarationSyntax declaration)
        {
            return null;
        }

        ExpressionSyntax? returned = declaration.ExpressionBody?.Expression
            ?? (declaration.Body?.Statements is { Count: 1 } statements && statements[0] is ReturnStatementSyntax { Expression: ExpressionSyntax e } ? e : null);
        if (returned is null || steps >= MaxSteps
            || SemanticModels.Of(compilation, returned.SyntaxTree).GetOperation(returned) is not IOperation body
            || Resolve(body, compilation, steps + 1) is not (IParameterReferenceOperation parameter, ImmutableArray<string> path)
            || !SymbolEqualityComparer.Default.Equals(parameter.Parameter.ContainingSymbol, method))
        {
            return null;
        }

        return (parameter.Parameter.Ordinal, path);
    }
}
