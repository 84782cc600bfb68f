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
/// <see cref="HelperUnmaps"/>; one helper deeper too, through the arguments it passes (as <see cref="MappingHelpers"/>
/// follows them).
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

        return Cache.GetValue(call.TargetMethod.OriginalDefinition, m => Of(m, k, compilation, followHelpers: true))
            .Select(t => HelperUnmaps.AsCallerNames(call, t.Parameter, t.Path, compilation))
            .OfType<string>();
    }

    private static IReadOnlyList<(int, string)> Of(IMethodSymbol method, KnownSymbols k, Compilation compilation, bool followHelpers)
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

            // One helper deeper, as MappingHelpers follows it (sahara_sha_hw_data_descriptor_create hands dev to
            // sahara_sha_hw_links_create, which maps dev->in_sg): its tables through the arguments this method passes.
            if (!followHelpers)
            {
                continue;
            }

            foreach (InvocationExpressionSyntax call in declaration.DescendantNodes().OfType<InvocationExpressionSyntax>().Where(c => c.Expression is IdentifierNameSyntax or MemberAccessExpressionSyntax))
            {
                if (model.GetOperation(call) is not IInvocationOperation inner || k.RoleOf(inner.TargetMethod) != Role.None
                    || SymbolEqualityComparer.Default.Equals(inner.TargetMethod.OriginalDefinition, method.OriginalDefinition)
                    || inner.TargetMethod.DeclaringSyntaxReferences.IsEmpty || !MappingHelpers.Maps(inner.TargetMethod, k))
                {
                    continue;
                }

                foreach ((int innerParameter, string innerPath) in Of(inner.TargetMethod.OriginalDefinition, k, compilation, followHelpers: false))
                {
                    if (inner.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == innerParameter)?.Value is IOperation passed
                        && HelperUnmaps.Chain(passed, method, compilation) is (int parameter, string path))
                    {
                        tables.Add((parameter, path.Length == 0 ? innerPath : innerPath.Length == 0 ? path : path + "." + innerPath));
                    }
                }
            }
        }

        return tables.ToImmutableArray();
    }
}
