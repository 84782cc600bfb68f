using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// What a method of the compilation unmaps of what it is handed, one call deep: the single unmaps in its body whose
/// address is a parameter or a member chain of one (<c>sfc-&gt;daddr</c> in <c>aml_sfc_dma_buffer_release(sfc, ..)</c>),
/// or a member chain of <c>this</c>, and the table unmaps whose table is such a chain, also through a local set from an
/// accessor (<c>iod-&gt;sg</c> in <c>nvme_unmap_data(dev, req)</c>, <c>iod = blk_mq_rq_to_pdu(req)</c>:
/// <see cref="AliasChains"/>). A call of it unmaps the same chains of its arguments, as the caller names them.
/// </summary>
internal static class HelperUnmaps
{
    // Per method: what it unmaps (parameter ordinal or -1 for this, the member path after it, empty for the parameter
    // itself; whether a table), and the members of what it is handed that its conditions read (its guards).
    private sealed record Summary(IReadOnlyList<(int Parameter, string Path, bool Table)> Unmaps, IReadOnlyList<(int Parameter, string Path)> Guards);

    private static readonly ConditionalWeakTable<IMethodSymbol, Summary> Cache = new();

    /// <summary>The storage, as the caller names it (<see cref="Named"/>), each call in <paramref name="op"/> unmaps.</summary>
    public static IEnumerable<(SyntaxNode Call, string Unmapped)> In(IOperation op, Compilation compilation, KnownSymbols k, Func<IInvocationOperation, bool> skip) =>
        op.DescendantsAndSelf().OfType<IInvocationOperation>()
            .Where(call => !skip(call))
            .SelectMany(call => Of(call, compilation, k, tables: false).Select(unmapped => (call.Syntax, unmapped)));

    /// <summary>
    /// What <paramref name="call"/> unmaps, as the caller names it: the tables only (nvme_unmap_data(dev, req):
    /// <c>req.Pdu.Sg</c>), or single addresses too (aml_sfc_dma_buffer_release(sfc, ..): <c>sfc.Daddr</c>).
    /// </summary>
    public static IEnumerable<string> UnmappedBy(IInvocationOperation call, Compilation compilation, KnownSymbols k, bool tablesOnly) =>
        k.IsLibrary(call.TargetMethod) || KnownSymbols.IsRuntime(call.TargetMethod) ? Enumerable.Empty<string>() : Of(call, compilation, k, tablesOnly);

    /// <summary>
    /// The members of what <paramref name="call"/> hands its method that the conditions ahead of its unmaps read, as the caller names
    /// them (nvme_unmap_data's <c>if (iod-&gt;dma_len)</c>: <c>req.Pdu.DmaLen</c>): a caller that stores into one may have
    /// told the helper not to unmap.
    /// </summary>
    public static IEnumerable<string> GuardsOf(IInvocationOperation call, Compilation compilation, KnownSymbols k) =>
        call.TargetMethod.DeclaringSyntaxReferences.IsEmpty ? Enumerable.Empty<string>()
        : Cache.GetValue(call.TargetMethod.OriginalDefinition, m => Of(m, k, compilation)).Guards
            .Select(g => AsCallerNames(call, g.Parameter, g.Path, compilation))
            .OfType<string>();

    private static IEnumerable<string> Of(IInvocationOperation call, Compilation compilation, KnownSymbols k, bool tables)
    {
        // (The graph's operations have no semantic model of their own: the compilation comes from the caller.)
        if (call.TargetMethod.DeclaringSyntaxReferences.IsEmpty)
        {
            yield break;
        }

        foreach ((int parameter, string path, bool table) in Cache.GetValue(call.TargetMethod.OriginalDefinition, m => Of(m, k, compilation)).Unmaps)
        {
            if ((!tables || table) && AsCallerNames(call, parameter, path, compilation) is string named)
            {
                yield return named;
            }
        }
    }

    /// <summary>A chain of the helper's parameter (or this, or a static member) as the caller names it, through the argument it passes.</summary>
    internal static string? AsCallerNames(IInvocationOperation call, int parameter, string path, Compilation compilation)
    {
        // A static member is named alike everywhere in its type (a one-device driver's state in statics); elsewhere
        // the caller qualifies it, which this does not follow.
        if (parameter == Static)
        {
            return path;
        }

        string? owner = parameter < 0
            ? (call.Instance is null or IInstanceReferenceOperation ? string.Empty : Named(call.Instance, compilation))
            : call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == parameter) is { } argument ? Named(argument.Value, compilation) : null;
        return owner is null ? null : owner.Length == 0 ? path : path.Length == 0 ? owner : owner + "." + path;
    }

    private static Summary Of(IMethodSymbol method, KnownSymbols k, Compilation compilation)
    {
        var unmaps = new List<(int, string, bool)>();
        var guards = new List<(int, string)>();
        foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
        {
            SyntaxNode declaration = reference.GetSyntax();
            if (declaration is not BaseMethodDeclarationSyntax)
            {
                continue;
            }

            SemanticModel model = SemanticModels.Of(compilation, declaration.SyntaxTree);
            // (Only calls named as the library's unmaps are bound: most methods of the compilation unmap nothing.)
            int lastUnmap = -1;
            foreach (InvocationExpressionSyntax call in declaration.DescendantNodes().OfType<InvocationExpressionSyntax>().Where(c => UnmapNamed(c.Expression)))
            {
                if (model.GetOperation(call) is IInvocationOperation unmap && k.RoleOf(unmap.TargetMethod) is var role
                    && (FactProducers.IsSingleUnmap(role) || role is Role.UnmapSg or Role.UnmapSgTable)
                    && unmap.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1)?.Value is IOperation address
                    && Chain(address, method, compilation) is (int parameter, string path))
                {
                    unmaps.Add((parameter, path, role is Role.UnmapSg or Role.UnmapSgTable));
                    lastUnmap = Math.Max(lastUnmap, call.SpanStart);
                }
            }

            if (unmaps.Count == 0)
            {
                continue;
            }

            // A guard decides whether an unmap runs: the conditions that come before one (the ifs around it, the early
            // returns ahead of it). nvme_unmap_data's PRP-freeing loop tests iod->use_sgl after its unmaps; nvme_map_data
            // storing use_sgl tells the helper nothing about the table.
            foreach (ExpressionSyntax condition in declaration.DescendantNodes().Select(ConditionOf).OfType<ExpressionSyntax>().Where(c => c.SpanStart < lastUnmap))
            {
                foreach (IMemberReferenceOperation member in model.GetOperation(condition)?.DescendantsAndSelf().OfType<IMemberReferenceOperation>() ?? Enumerable.Empty<IMemberReferenceOperation>())
                {
                    if (Chain(member, method, compilation) is (int parameter, string path) && path.Length > 0)
                    {
                        guards.Add((parameter, path));
                    }
                }
            }
        }

        return new Summary(unmaps.ToImmutableArray(), guards.ToImmutableArray());
    }

    private static ExpressionSyntax? ConditionOf(SyntaxNode node) => node switch
    {
        IfStatementSyntax s => s.Condition,
        WhileStatementSyntax s => s.Condition,
        DoStatementSyntax s => s.Condition,
        ForStatementSyntax s => s.Condition,
        SwitchStatementSyntax s => s.Expression,
        ConditionalExpressionSyntax c => c.Condition,
        _ => null,
    };

    /// <summary>How the caller's storage is compared: its chain through aliases (<see cref="AliasChains.Text"/>), else its text.</summary>
    public static string Named(IOperation value, Compilation compilation) =>
        AliasChains.Text(value, compilation) ?? AddressKey.Normalize(value.Syntax.ToString());

    private static bool UnmapNamed(ExpressionSyntax callee) =>
        (callee is MemberAccessExpressionSyntax m ? m.Name.Identifier.ValueText : callee is IdentifierNameSyntax i ? i.Identifier.ValueText : string.Empty)
            .StartsWith("Unmap", System.StringComparison.Ordinal) || callee.ToString().EndsWith("UnmapSg", System.StringComparison.Ordinal);

    /// <summary>The root of a chain that starts at a static member (<see cref="Chain"/>).</summary>
    internal const int Static = -2;

    /// <summary>
    /// A parameter or <c>this</c>, then members (through locals set once and accessors): the root and the members' path;
    /// or a chain from a static member of the helper's own type, by its text (<see cref="Static"/>).
    /// </summary>
    internal static (int Parameter, string Path)? Chain(IOperation address, IMethodSymbol method, Compilation compilation) =>
        AliasChains.Resolve(address, compilation) switch
        {
            (IParameterReferenceOperation p, var path) when SymbolEqualityComparer.Default.Equals(p.Parameter.ContainingSymbol, method) => (p.Parameter.Ordinal, string.Join(".", path)),
            (IInstanceReferenceOperation, { Length: > 0 } path) => (-1, string.Join(".", path)),
            _ => StaticRoot(AddressKey.Value(address)) is ISymbol member && SymbolEqualityComparer.Default.Equals(member.ContainingType, method.ContainingType)
                ? (Static, AddressKey.Normalize(address.Syntax.ToString()))
                : null,
        };

    // The static field or property a chain of members starts from (`Sgl`, `State.Sgl`), unqualified.
    private static ISymbol? StaticRoot(IOperation value)
    {
        while (value is IMemberReferenceOperation { Instance: IOperation instance })
        {
            value = AddressKey.Value(instance);
        }

        return value is IMemberReferenceOperation { Instance: null, Member.IsStatic: true, Syntax: IdentifierNameSyntax } root ? root.Member : null;
    }
}
