using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Helpers of the compilation that map memory and keep the mapping where their caller can reach it, returning an
/// errno: <c>cx25821_alsa_dma_map(chip)</c> maps <c>chip-&gt;buf-&gt;sglist</c>, keeps the count in the buffer and returns
/// 0 or <c>-ENOMEM</c>. To P2P0022 a call of one is a map call: its caller owns what it mapped. Decided from the
/// helper's body: an <c>int</c> method with a body that calls a scatterlist map, or a single-address map whose result
/// it stores into a field or property, and calls no unmap but on its own failure paths (the unwinding labels before a
/// <c>return -EINVAL</c>). A helper that calls such a helper and passes its failure on, unmapping nothing but on its own
/// failure paths, is one too: sahara_sha_hw_data_descriptor_create calls sahara_sha_hw_links_create, which maps
/// <c>dev-&gt;in_sg</c>, and returns its error, so sahara_sha_process owns that mapping. One level is followed (a helper
/// of a helper of a helper is not). Kept per compilation and method.
/// </summary>
internal static class MappingHelpers
{
    private static readonly string[] MapNames = { "MapSg", "LegacyMapSg", "MapSgTable", "MapSingle", "MapPage", "MapPhys", "MapResource" };

    private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<IMethodSymbol, bool>> Known = new();

    /// <summary>The names of the compilation's methods whose bodies name a map call: the only callees worth binding.</summary>
    private static readonly ConditionalWeakTable<Compilation, HashSet<string>> MapperNames = new();

    /// <summary>
    /// Whether such a helper returns the segment count of its scatterlist map (zero is its failure, as for
    /// <c>dma_map_sg</c>) rather than an errno (non-zero is its failure): a return of the map call itself, or of what the
    /// map call's result was put in; or, one helper deeper, of an inner helper's count (<c>return map_in(dev);</c>).
    /// </summary>
    public static bool ReturnsCount(IMethodSymbol method, KnownSymbols k, bool followHelpers = true)
    {
        HashSet<string>? mappers = followHelpers ? MapperNames.GetValue(k.Compilation, NamesOfMappers) : null;
        foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
        {
            SyntaxNode declaration = reference.GetSyntax();
            var holders = new System.Collections.Generic.HashSet<string>(System.StringComparer.Ordinal);
            foreach (InvocationExpressionSyntax call in declaration.DescendantNodes().OfType<InvocationExpressionSyntax>()
                .Where(c => c.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "MapSg" or "LegacyMapSg" }
                    || (mappers is not null && InnerCount(c, method, mappers, k))))
            {
                switch (call.Parent)
                {
                    case AssignmentExpressionSyntax assignment:
                        holders.Add(assignment.Left.ToString());
                        break;
                    case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }:
                        holders.Add(declarator.Identifier.ValueText);
                        break;
                    case ReturnStatementSyntax or ArrowExpressionClauseSyntax:
                        return true;
                }
            }

            IEnumerable<ExpressionSyntax?> returned = declaration.DescendantNodes().OfType<ReturnStatementSyntax>().Select(r => r.Expression)
                .Concat(declaration is MethodDeclarationSyntax { ExpressionBody: { } arrow } ? new[] { arrow.Expression } : System.Array.Empty<ExpressionSyntax>());
            if (returned.Any(e => e is not null && holders.Contains(e.ToString())))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A call of another helper of the compilation, named among the mappers, that returns its map's count.</summary>
    private static bool InnerCount(InvocationExpressionSyntax call, IMethodSymbol method, HashSet<string> mappers, KnownSymbols k) =>
        call.Expression switch
        {
            IdentifierNameSyntax n => n.Identifier.ValueText,
            MemberAccessExpressionSyntax m => m.Name.Identifier.ValueText,
            _ => null,
        } is string name
        && mappers.Contains(name)
        && SemanticModels.Of(k.Compilation, call.SyntaxTree).GetSymbolInfo(call).Symbol is IMethodSymbol inner
        && !SymbolEqualityComparer.Default.Equals(inner.OriginalDefinition, method.OriginalDefinition)
        && k.RoleOf(inner) == Role.None && k.IsSource(inner) && ReturnsCount(inner, k, followHelpers: false);

    /// <summary>
    /// Whether the helper also returns a negative errno (<c>return -EFAULT</c> when the map gave zero segments): with a
    /// count on success, a negative result is its failure, and a test for it (<c>if (i &lt; 0)</c>) is its caller's.
    /// </summary>
    public static bool ReturnsNegative(IMethodSymbol method) =>
        method.DeclaringSyntaxReferences.Any(reference => reference.GetSyntax().DescendantNodes().OfType<ReturnStatementSyntax>()
            .Any(r => r.Expression is PrefixUnaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.UnaryMinusExpression }));

    /// <summary>Whether <paramref name="method"/> is such a helper.</summary>
    public static bool Maps(IMethodSymbol method, KnownSymbols k)
    {
        if (method.ReturnType.SpecialType != SpecialType.System_Int32 || method.IsAbstract || !k.IsSource(method) || method.DeclaringSyntaxReferences.IsEmpty)
        {
            return false;
        }

        ConcurrentDictionary<IMethodSymbol, bool> known = Known.GetValue(k.Compilation, _ => new ConcurrentDictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default));
        return known.GetOrAdd(method, m => Decide(m, k, followHelpers: true));
    }

    private static bool Decide(IMethodSymbol method, KnownSymbols k, bool followHelpers)
    {
        bool maps = false;
        foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
        {
            SyntaxNode declaration = reference.GetSyntax();
            // Syntax first: most methods name no map call, and their files are then not bound.
            var calls = declaration.DescendantNodes().OfType<InvocationExpressionSyntax>()
                .Select(c => (Call: c, Name: c.Expression switch
                {
                    MemberAccessExpressionSyntax m => m.Name.Identifier.ValueText,
                    IdentifierNameSyntax n => n.Identifier.ValueText,
                    _ => null,
                }))
                .Where(c => c.Name is not null)
                .ToList();
            if (calls.Any(c => c.Name!.StartsWith("Unmap", System.StringComparison.Ordinal) && !UnwindsOnFailure(c.Call)))
            {
                return false;
            }

            HashSet<string>? mappers = followHelpers ? MapperNames.GetValue(k.Compilation, NamesOfMappers) : null;
            if (!calls.Any(c => MapNames.Contains(c.Name!) || (mappers?.Contains(c.Name!) == true)))
            {
                continue;
            }

            SemanticModel model = SemanticModels.Of(k.Compilation, declaration.SyntaxTree);
            foreach ((InvocationExpressionSyntax call, string? name) in calls)
            {
                ISymbol? target = model.GetSymbolInfo(call).Symbol;
                if (mappers?.Contains(name!) == true && target is IMethodSymbol callee && !SymbolEqualityComparer.Default.Equals(callee, method)
                    && k.RoleOf(callee) == Role.None && callee.ReturnType.SpecialType == SpecialType.System_Int32 && !callee.IsAbstract
                    && k.IsSource(callee) && Decide(callee, k, followHelpers: false))
                {
                    // Its caller then owns what the inner helper mapped only if this one passes the inner failure on.
                    if (!PassesOn(call, declaration))
                    {
                        return false;
                    }

                    maps = true;
                    continue;
                }

                // A release through a function of the driver (atmel_aes_unmap(dd), omap_crypto_cleanup(..)) on a way to
                // success: what was mapped is not left for the caller.
                if (followHelpers && k.RoleOf(target) == Role.None && target is IMethodSymbol released && k.IsSource(released)
                    && model.GetOperation(call) is Microsoft.CodeAnalysis.Operations.IInvocationOperation release
                    && HelperUnmaps.UnmappedBy(release, k.Compilation, k, tablesOnly: false).Any() && !UnwindsOnFailure(call))
                {
                    return false;
                }

                Role role = k.RoleOf(target);
                if ((FactProducers.IsSingleUnmap(role) || role is Role.UnmapSg or Role.UnmapSgTable) && !UnwindsOnFailure(call))
                {
                    return false;
                }

                maps |= role is Role.MapSg or Role.MapSgAware or Role.MapSgTable
                    || (FactProducers.IsSingleMap(role) && call.Parent is AssignmentExpressionSyntax { Left: var stored }
                        && model.GetSymbolInfo(stored).Symbol is IFieldSymbol or IPropertySymbol);
            }
        }

        return maps;
    }

    /// <summary>
    /// The inner helper's result leaves this method: returned as it is (<c>return create(dev);</c>), or kept in a local
    /// that a <c>return</c> gives back (<c>i = links_create(..); if (i &lt; 0) return i;</c>).
    /// </summary>
    private static bool PassesOn(InvocationExpressionSyntax call, SyntaxNode declaration)
    {
        string? holder = call.Parent switch
        {
            ReturnStatementSyntax or ArrowExpressionClauseSyntax => string.Empty,
            AssignmentExpressionSyntax { Left: IdentifierNameSyntax local } assignment when assignment.Right == call => local.Identifier.ValueText,
            EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } => declarator.Identifier.ValueText,
            _ => null,
        };
        return holder is not null && (holder.Length == 0 || declaration.DescendantNodes().OfType<ReturnStatementSyntax>()
            .Any(r => r.Expression is IdentifierNameSyntax returned && returned.Identifier.ValueText == holder));
    }

    private static HashSet<string> NamesOfMappers(Compilation compilation)
    {
        var names = new HashSet<string>(System.StringComparer.Ordinal);
        // As the whole-program solve reads them: the files that import the library, or all when one imports it globally.
        bool everywhere = compilation.SyntaxTrees.Any(t => TreeIndex.Of(t).GloballyImportsLibrary);
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            TreeIndex index = TreeIndex.Of(tree);
            if (!everywhere && !index.ImportsLibrary)
            {
                continue;
            }

            foreach (string map in MapNames)
            {
                foreach (int body in index.BodiesNaming(map))
                {
                    if (index.Bodies[body] is MethodDeclarationSyntax declared)
                    {
                        names.Add(declared.Identifier.ValueText);
                    }
                }
            }
        }

        return names;
    }

    /// <summary>
    /// An unmap on the helper's own failure path only: after it, in its block, nothing but further unmaps and labels up
    /// to a <c>return</c> of a failure (a negative errno; a positive constant may be a count or a success, as 1 is for
    /// many helpers, so it does not count). sahara_hw_descriptor_create
    /// unwinds <c>unmap_out:</c> / <c>unmap_in:</c> and returns <c>-EINVAL</c>; on success it returns 0 with both lists
    /// mapped for its caller.
    /// </summary>
    private static bool UnwindsOnFailure(InvocationExpressionSyntax unmap)
    {
        if (unmap.Parent is not ExpressionStatementSyntax statement)
        {
            return false;
        }

        StatementSyntax at = statement.Parent is LabeledStatementSyntax label ? label : statement;
        while (at.Parent is LabeledStatementSyntax outer)
        {
            at = outer;
        }

        if (at.Parent is not BlockSyntax block)
        {
            return false;
        }

        foreach (StatementSyntax next in block.Statements.Skip(block.Statements.IndexOf(at) + 1))
        {
            StatementSyntax s = next;
            while (s is LabeledStatementSyntax labelled)
            {
                s = labelled.Statement;
            }

            switch (s)
            {
                case ReturnStatementSyntax { Expression: PrefixUnaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.UnaryMinusExpression } }:
                    return true;
                case ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: var name } } }
                    when name.StartsWith("Unmap", System.StringComparison.Ordinal):
                case EmptyStatementSyntax:
                    continue;
                default:
                    return false;
            }
        }

        return false;
    }
}
