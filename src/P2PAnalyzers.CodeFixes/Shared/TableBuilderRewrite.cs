using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Rewrites the unit that must change together when a hand-built exporter table becomes
/// <c>DmaBufMapping.PhysVecToSgt</c>, wherever its parts live: the builder (<see cref="TableBuilderShape"/>) collects
/// the ranges it mapped and asks the helper for the table, with the provider obtained from the device and BAR the code
/// reads (<see cref="ProviderSynthesis"/>); a builder handed the importer's <c>PciDevice</c> takes the attachment
/// instead (every call site passes <c>attach.Device</c>); a helper handed the entry that is no longer called goes; and
/// the exporter's <c>UnmapDmaBuf</c> gives the table to <c>DmaBufMapping.FreeSgt</c>. Null whenever one part is not
/// recognised: a partial rewrite would unmap what the helper mapped, or leak it.
/// </summary>
internal static class TableBuilderRewrite
{
    public static async Task<Solution?> ApplyAsync(Solution solution, SolutionModels models, MethodDeclarationSyntax builder, CancellationToken cancellationToken)
    {
        if (TableBuilderShape.Of(builder, models, cancellationToken) is not TableBuilderShape shape)
        {
            return null;
        }

        SemanticModel model = models.ModelOf(builder);
        IMethodSymbol? builderSymbol = model.GetDeclaredSymbol(builder, cancellationToken);
        if (builderSymbol is null)
        {
            return null;
        }

        // The exporter whose MapDmaBuf returns the table: the builder itself, or the one override that calls it.
        var calls = models.Invocations(builderSymbol, cancellationToken).ToList();
        MethodDeclarationSyntax? map = builderSymbol.Name == "MapDmaBuf" && builderSymbol.IsOverride ? builder
            : calls.Select(c => c.FirstAncestorOrSelf<MethodDeclarationSyntax>()).Distinct().ToList() is [{ Identifier.ValueText: "MapDmaBuf" } one] ? one : null;
        if (map?.Parent is not TypeDeclarationSyntax exporter || !OnlyTablesOf(map, builderSymbol, shape.Allocation, models, cancellationToken)
            || ExporterUnmap.UnmapStatement(exporter, models, cancellationToken) is not (SyntaxNode unmap, SyntaxNode freeSgt, var freeHelper))
        {
            return null;
        }

        int at = shape.Allocation.SpanStart;
        ParameterSyntax? parameter = null;
        ParameterSyntax[] added = System.Array.Empty<ParameterSyntax>();
        Dictionary<SyntaxNode, SyntaxNode> callEdits;
        string? attach;
        string dir = shape.Direction;
        if (shape.Raw)
        {
            // Nothing was mapped: the attachment and direction come from MapDmaBuf, handed down to the builder.
            attach = BuilderInputs.RawInputs(map, builder, builderSymbol, calls, models, cancellationToken, out dir, out callEdits, out added);
        }
        else
        {
            attach = BuilderInputs.Attachment(shape.Device, model, at, builder, builderSymbol, calls, models, cancellationToken, out callEdits, out parameter);
            if (model.GetSpeculativeTypeInfo(at, SyntaxFactory.ParseExpression(dir), SpeculativeBindingOption.BindAsExpression).Type?.ToDisplayString() != "P2PDma.Mapping.DmaDirection")
            {
                return null;
            }
        }

        if (attach is null || ProviderSynthesis.Of(shape.Sources, builder, model, models, cancellationToken) is not ProviderSynthesis.DeviceBar bar)
        {
            return null;
        }

        string provider = Scope.FreeName(model, at, "provider");
        string ranges = Scope.FreeName(model, at, "ranges");
        string total = Scope.FreeName(model, at, "total");
        string mapped = Scope.FreeName(model, at, "mapped");
        string table = shape.Table.Name;

        // The builder, edited from the inside out.
        var edited = new List<SyntaxNode> { shape.Allocation, shape.FirstUse };
        edited.AddRange(shape.Remove);
        edited.AddRange(shape.Ranges.Select(r => r.At));
        edited.AddRange(shape.LoopHeaders);
        edited.AddRange(shape.UnusedCounters());
        MethodDeclarationSyntax b = builder.TrackNodes(edited.Distinct());
        foreach ((StatementSyntax site, string phys, string size) in shape.Ranges)
        {
            b = b.ReplaceNode(b.GetCurrentNode(site)!, new[]
            {
                FixDocument.Statement($"{ranges}.Add(new {Names.PhysRange}({phys}, {size}));").WithLeadingTrivia(site.GetLeadingTrivia()),
                FixDocument.Statement($"{total} += {size};"),
            });
        }

        foreach (StatementSyntax gone in shape.Remove.Concat(shape.UnusedCounters()).Distinct())
        {
            if (b.GetCurrentNode(gone) is SyntaxNode current)
            {
                b = b.RemoveNode(current, SyntaxRemoveOptions.KeepNoTrivia)!;
            }
        }

        foreach (StatementSyntax loop in shape.LoopHeaders)
        {
            StatementSyntax current = b.GetCurrentNode(loop)!;
            string index = Scope.FreeName(model, loop.SpanStart, "entry");
            StatementSyntax header = current switch
            {
                ForEachStatementSyntax each => SyntaxFactory.ForStatement(each.Statement)
                    .WithDeclaration(SyntaxFactory.VariableDeclaration(SyntaxFactory.ParseTypeName("int")).AddVariables(
                        SyntaxFactory.VariableDeclarator(index).WithInitializer(SyntaxFactory.EqualsValueClause(SyntaxFactory.ParseExpression("0")))))
                    .WithCondition(SyntaxFactory.ParseExpression($"{index} < {shape.Count.WithoutTrivia()}"))
                    .WithIncrementors(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.ParseExpression($"{index}++")))
                    .WithTriviaFrom(each).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation),
                ForStatementSyntax f when f.Condition is not null => f.WithCondition(f.Condition.ReplaceNodes(
                    f.Condition.DescendantNodesAndSelf().OfType<MemberAccessExpressionSyntax>().Where(m => m.Name.Identifier.ValueText == "Count" && m.Expression is IdentifierNameSyntax { Identifier.ValueText: var t } && t == table),
                    (_, _) => shape.Count.WithoutTrivia())),
                _ => current,
            };
            b = b.ReplaceNode(current, header);
        }

        ExpressionSyntax errorFromMapping = SyntaxFactory.ParseExpression($"{mapped}.Error");
        ExpressionSyntax invalid = SyntaxFactory.ParseExpression($"{Names.DmaError}.Invalid");
        StatementSyntax[] finished =
        {
            FixDocument.Statement($"{Names.DmaResult}<{Names.SgTable}> {mapped} = {Names.DmaBufMapping}.PhysVecToSgt({attach}, {provider}, {ranges}, {total}, {dir});"),
            FixDocument.Generated(SyntaxFactory.IfStatement(SyntaxFactory.ParseExpression($"{mapped}.Failed"), SyntaxFactory.Block(ErrorPath.For(model, shape.FirstUse, errorFromMapping)))),
            FixDocument.Statement($"{Names.SgTable} {table} = {mapped}.Value;"),
        };
        StatementSyntax firstUse = b.GetCurrentNode(shape.FirstUse)!;
        b = b.InsertNodesBefore(firstUse, finished.Select((s, i) => i == 0 ? s.WithLeadingTrivia(SyntaxFactory.ElasticMarker) : s));
        var prologue = new List<StatementSyntax>(ProviderSynthesis.Declare(provider, bar, ErrorPath.For(model, shape.Allocation, invalid)))
        {
            FixDocument.Statement($"var {ranges} = new {Names.List}<{Names.PhysRange}>();"),
            FixDocument.Statement($"ulong {total} = 0;"),
        };
        prologue[0] = prologue[0].WithLeadingTrivia(shape.Allocation.GetLeadingTrivia());
        b = b.ReplaceNode(b.GetCurrentNode(shape.Allocation)!, prologue);
        if (parameter is not null)
        {
            ParameterSyntax p = b.ParameterList.Parameters.First(x => x.Identifier.ValueText == parameter.Identifier.ValueText);
            b = b.ReplaceNode(p, p.WithType(SyntaxFactory.ParseTypeName("global::P2PDma.DmaBuf.DmaBufAttachment").WithTriviaFrom(p.Type!)
                .WithAdditionalAnnotations(Microsoft.CodeAnalysis.Simplification.Simplifier.Annotation, Microsoft.CodeAnalysis.Simplification.Simplifier.AddImportsAnnotation))
                .WithIdentifier(SyntaxFactory.Identifier(attach).WithTriviaFrom(p.Identifier)));
        }

        if (added.Length > 0)
        {
            b = b.AddParameterListParameters(added);
        }

        // Every edit, by document.
        var edits = new Dictionary<SyntaxNode, SyntaxNode?> { [builder] = b, [unmap] = freeSgt };
        if (freeHelper is not null && models.Invocations(freeHelper, cancellationToken).All(c => c.Span == unmap.Span && c.SyntaxTree == unmap.SyntaxTree))
        {
            SyntaxNode declaration = freeHelper.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
            if (declaration.SyntaxTree == builder.SyntaxTree && builder.Span.Contains(declaration.Span) || edits.ContainsKey(declaration))
            {
                return null;
            }

            edits[declaration] = null;
        }

        foreach (KeyValuePair<SyntaxNode, SyntaxNode> e in callEdits)
        {
            if (builder.Span.Contains(e.Key.Span) && e.Key.SyntaxTree == builder.SyntaxTree)
            {
                return null;
            }

            edits[e.Key] = e.Value;
        }

        foreach (IMethodSymbol helper in shape.Helpers)
        {
            SyntaxNode declaration = helper.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
            if (models.Invocations(helper, cancellationToken).All(c => builder.Span.Contains(c.Span) && c.SyntaxTree == builder.SyntaxTree))
            {
                edits[declaration] = null;
            }
        }

        return await SolutionEdits.ApplyAsync(solution, models, edits, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>MapDmaBuf makes its tables only with the builder (no other table it could hand to the new FreeSgt).</summary>
    private static bool OnlyTablesOf(MethodDeclarationSyntax map, IMethodSymbol builder, StatementSyntax allocation, SolutionModels models, CancellationToken cancellationToken)
    {
        SemanticModel model = models.ModelOf(map);
        return map.DescendantNodes().OfType<InvocationExpressionSyntax>().Where(i => !allocation.Span.Contains(i.Span) || i.SyntaxTree != allocation.SyntaxTree).All(i =>
            model.GetSymbolInfo(i, cancellationToken).Symbol is not IMethodSymbol m
            || SymbolEqualityComparer.Default.Equals(m, builder)
            || !(m.ReturnType.ToDisplayString().Contains("SgTable") || m.Name is "MapSgTable" or "MapSg"));
    }
}
