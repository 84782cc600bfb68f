using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The tables a mapping helper of the compilation (<see cref="MappingHelpers"/>) maps, as its caller names them: the
/// scatterlist map calls in its body whose table is a parameter or a member chain of one, or of <c>this</c>
/// (rk_hash_prepare(engine, areq) maps <c>areq-&gt;src</c>: <c>areq.Src</c> at the call), the mirror of
/// <see cref="HelperUnmaps"/>. What it maps through another helper is not followed.
/// </summary>
internal static class HelperMaps
{
    private static readonly ConditionalWeakTable<IMethodSymbol, IReadOnlyList<(int Parameter, string Path)>> Cache = new();

    /// <summary>What <paramref name="call"/> maps, as the caller names it (<see cref="HelperUnmaps.Named"/>); empty unless it is a mapping helper.</summary>
    public static IEnumerable<string> MappedBy(IInvocationOperation call, Compilation compilation, KnownSymbols k)
    {
        if (k.RoleOf(call.TargetMethod) != Role.None || call.TargetMethod.DeclaringSyntaxReferences.IsEmpty || !MappingHelpers.Maps(call.TargetMethod, k))
        {
            return Enumerable.Empty<string>();
        }

        return Cache.GetValue(call.TargetMethod.OriginalDefinition, m => Of(m, k, compilation))
            .Select(t => HelperUnmaps.AsCallerNames(call, t.Parameter, t.Path, compilation))
            .OfType<string>();
    }

    private static IReadOnlyList<(int, string)> Of(IMethodSymbol method, KnownSymbols k, Compilation compilation)
    {
        var tables = new List<(int, string)>();
        foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not BaseMethodDeclarationSyntax declaration)
            {
                continue;
            }

            SemanticModel model = SemanticModels.Of(compilation, declaration.SyntaxTree);
            foreach (InvocationExpressionSyntax call in declaration.DescendantNodes().OfType<InvocationExpressionSyntax>()
                .Where(c => c.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "MapSg" or "LegacyMapSg" or "MapSgTable" }))
            {
                if (model.GetOperation(call) is IInvocationOperation map && k.RoleOf(map.TargetMethod) is Role.MapSg or Role.MapSgAware or Role.MapSgTable
                    && SgEntryCounts.Table(map)?.Value is IOperation table
                    && HelperUnmaps.Chain(table, method, compilation) is (int parameter, string path))
                {
                    tables.Add((parameter, path));
                }
            }
        }

        return tables.ToImmutableArray();
    }
}
