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
            || UnmapStatement(exporter, models, cancellationToken) is not (SyntaxNode unmap, SyntaxNode freeSgt, var freeHelper))
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
            attach = RawInputs(map, builder, builderSymbol, calls, models, cancellationToken, out dir, out callEdits, out added);
        }
        else
        {
            attach = Attachment(shape.Device, model, at, builder, builderSymbol, calls, models, cancellationToken, out callEdits, out parameter);
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

        return await ApplyEditsAsync(solution, models, edits, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// What of the exporter's <c>UnmapDmaBuf(attach, table, dir)</c> unmaps the table's entries, and its replacement
    /// <c>DmaBufMapping.FreeSgt(attach, table, dir)</c>: the one statement that does it (a loop of
    /// <c>Dma.UnmapResource(attach.Device, sg.DmaAddress, ...)</c>, or one unmap of the first entry's range), or the one
    /// call of a helper of the compilation that does only that (amdgpu_vram_mgr_free_sgt), which then goes if nothing
    /// else calls it; an empty body (nothing was mapped) gets that statement.
    /// </summary>
    private static (SyntaxNode Node, SyntaxNode Replacement, IMethodSymbol? Helper)? UnmapStatement(TypeDeclarationSyntax exporter, SolutionModels models, CancellationToken cancellationToken)
    {
        if (exporter.Members.OfType<MethodDeclarationSyntax>().Where(m => m.Identifier.ValueText == "UnmapDmaBuf" && m.Modifiers.Any(SyntaxKind.OverrideKeyword)).ToList() is not [var unmap]
            || unmap.ParameterList.Parameters is not [var a, var t, var d])
        {
            return null;
        }

        SemanticModel model = models.ModelOf(unmap);
        string attach = a.Identifier.ValueText, table = t.Identifier.ValueText, dir = d.Identifier.ValueText;
        string freeSgt = $"{Names.DmaBufMapping}.FreeSgt({attach}, {table}, {dir})";
        if (unmap.Body is BlockSyntax body && UnmapLoop(body, model, attach + ".Device", table, dir, cancellationToken) is StatementSyntax loop)
        {
            return (loop, FixDocument.Statement(freeSgt + ";").WithTriviaFrom(loop), null);
        }

        // Nothing was unmapped (nothing was mapped): the table PhysVecToSgt makes is freed there from now on.
        if (unmap.Body is { Statements.Count: 0 } empty)
        {
            return (empty, empty.WithStatements(SyntaxFactory.SingletonList<StatementSyntax>(FixDocument.Statement(freeSgt + ";"))), null);
        }

        // The one call of a helper handed the device, the direction and the table.
        InvocationExpressionSyntax? call = unmap switch
        {
            { ExpressionBody.Expression: InvocationExpressionSyntax c } => c,
            { Body.Statements: [ExpressionStatementSyntax { Expression: InvocationExpressionSyntax c }] } => c,
            _ => null,
        };
        if (call is null || model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol { DeclaringSyntaxReferences: [var reference] } helper
            || reference.GetSyntax(cancellationToken) is not MethodDeclarationSyntax { Body: BlockSyntax helperBody } declaration || !models.Has(declaration)
            || call.ArgumentList.Arguments.Count != helper.Parameters.Length || call.ArgumentList.Arguments.Any(x => x.NameColon is not null || x.RefKindKeyword.RawKind != 0))
        {
            return null;
        }

        string? Parameter(string argument) => call.ArgumentList.Arguments.Select((x, i) => (x, i)).Where(p => p.x.Expression.ToString() == argument)
            .Select(p => helper.Parameters[p.i].Name).SingleOrDefault();
        if (Parameter(attach + ".Device") is not string dev || Parameter(table) is not string helperTable || Parameter(dir) is not string helperDir
            || helperBody.Statements is not [var only] || UnmapLoop(helperBody, models.ModelOf(declaration), dev, helperTable, helperDir, cancellationToken) != only)
        {
            return null;
        }

        SyntaxNode replacement = FixDocument.Generated(SyntaxFactory.ParseExpression(freeSgt)).WithTriviaFrom(call);
        return (call, replacement, helper);
    }

    /// <summary>
    /// The statement of <paramref name="body"/> that unmaps every entry of <paramref name="table"/> for
    /// <paramref name="device"/> in <paramref name="dir"/> with one <c>Dma.UnmapResource</c>, its only unmap.
    /// </summary>
    private static StatementSyntax? UnmapLoop(BlockSyntax body, SemanticModel model, string device, string table, string dir, CancellationToken cancellationToken)
    {
        var unmaps = body.DescendantNodes().OfType<InvocationExpressionSyntax>()
            .Where(i => model.GetSymbolInfo(i, cancellationToken).Symbol is IMethodSymbol { ContainingType.Name: "Dma" } m && m.Name.StartsWith("Unmap", System.StringComparison.Ordinal))
            .ToList();
        if (unmaps is not [var call] || call.ArgumentList.Arguments.Count < 4
            || call.ArgumentList.Arguments[0].Expression.ToString() != device
            || call.ArgumentList.Arguments[3].Expression.ToString() != dir
            || model.GetSymbolInfo(call, cancellationToken).Symbol?.Name != "UnmapResource")
        {
            return null;
        }

        StatementSyntax? statement = call.Parent as ExpressionStatementSyntax;
        string entry = call.ArgumentList.Arguments[1].Expression.ToString();
        if (statement?.Parent is BlockSyntax { Statements.Count: 1, Parent: ForEachStatementSyntax each } && each.Parent == body
            && (each.Expression.ToString() == table || each.Expression.ToString() == table + ".DmaSegments")
            && entry == each.Identifier.ValueText + ".DmaAddress")
        {
            return each;
        }

        return statement?.Parent == body && entry == table + "[0].DmaAddress" ? statement : null;
    }

    /// <summary>
    /// The attachment expression at the builder: <c>A</c> when the ranges were mapped for <c>A.Device</c>; for a
    /// <c>PciDevice</c> parameter used for nothing else, the parameter retyped as the attachment, with every call site's
    /// <c>A.Device</c> argument becoming <c>A</c>.
    /// </summary>
    private static string? Attachment(string device, SemanticModel model, int at, MethodDeclarationSyntax builder, IMethodSymbol symbol, List<InvocationExpressionSyntax> calls,
        SolutionModels models, CancellationToken cancellationToken, out Dictionary<SyntaxNode, SyntaxNode> callEdits, out ParameterSyntax? parameter)
    {
        callEdits = new Dictionary<SyntaxNode, SyntaxNode>();
        parameter = null;
        ExpressionSyntax expression = SyntaxFactory.ParseExpression(device);
        if (expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Device", Expression: var owner }
            && model.GetSpeculativeTypeInfo(at, owner, SpeculativeBindingOption.BindAsExpression).Type?.ToDisplayString() == "P2PDma.DmaBuf.DmaBufAttachment")
        {
            return owner.ToString();
        }

        if (expression is not IdentifierNameSyntax id
            || symbol.Parameters.FirstOrDefault(p => p.Name == id.Identifier.ValueText) is not IParameterSymbol p || p.RefKind != RefKind.None
            || symbol.IsOverride || symbol.IsVirtual || symbol.IsAbstract || !symbol.ExplicitInterfaceImplementations.IsEmpty
            || symbol.ContainingType.AllInterfaces.SelectMany(i => i.GetMembers()).Any(m => SymbolEqualityComparer.Default.Equals(symbol.ContainingType.FindImplementationForInterfaceMember(m), symbol))
            || calls.Count == 0 || models.References(symbol, cancellationToken).Count() != calls.Count)
        {
            return null;
        }

        foreach (InvocationExpressionSyntax call in calls)
        {
            SemanticModel callModel = models.ModelOf(call);
            if (call.ArgumentList.Arguments.Count != symbol.Parameters.Length || call.ArgumentList.Arguments.Any(a => a.NameColon is not null)
                || call.ArgumentList.Arguments[p.Ordinal].Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Device" } arg
                || callModel.GetTypeInfo(arg.Expression, cancellationToken).Type?.ToDisplayString() != "P2PDma.DmaBuf.DmaBufAttachment")
            {
                return null;
            }

            callEdits[arg] = arg.Expression.WithTriviaFrom(arg);
        }

        parameter = builder.ParameterList.Parameters[p.Ordinal];
        return p.Name == "dev" || p.Name == "device" ? Scope.FreeName(model, at, "attach") : p.Name;
    }

    /// <summary>
    /// For a builder that mapped nothing: MapDmaBuf's attachment and direction, at the builder. MapDmaBuf itself uses its
    /// own parameters; a builder it calls (only it, never as a method group, not virtual or an interface member) gets
    /// two parameters, and every call passes MapDmaBuf's.
    /// </summary>
    private static string? RawInputs(MethodDeclarationSyntax map, MethodDeclarationSyntax builder, IMethodSymbol symbol, List<InvocationExpressionSyntax> calls,
        SolutionModels models, CancellationToken cancellationToken, out string dir, out Dictionary<SyntaxNode, SyntaxNode> callEdits, out ParameterSyntax[] added)
    {
        callEdits = new Dictionary<SyntaxNode, SyntaxNode>();
        added = System.Array.Empty<ParameterSyntax>();
        dir = "";
        if (map.ParameterList.Parameters is not [var a, var d])
        {
            return null;
        }

        if (builder == map)
        {
            dir = d.Identifier.ValueText;
            return a.Identifier.ValueText;
        }

        if (symbol.IsOverride || symbol.IsVirtual || symbol.IsAbstract || !symbol.ExplicitInterfaceImplementations.IsEmpty
            || symbol.ContainingType.AllInterfaces.SelectMany(i => i.GetMembers()).Any(m => SymbolEqualityComparer.Default.Equals(symbol.ContainingType.FindImplementationForInterfaceMember(m), symbol))
            || calls.Count == 0 || models.References(symbol, cancellationToken).Count() != calls.Count
            || calls.Any(c => c.FirstAncestorOrSelf<MethodDeclarationSyntax>() != map || c.ArgumentList.Arguments.Any(x => x.NameColon is not null)))
        {
            return null;
        }

        var taken = new HashSet<string>(builder.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText), System.StringComparer.Ordinal);
        string Free(string name)
        {
            string candidate = name;
            for (int i = 2; taken.Contains(candidate); i++)
            {
                candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            taken.Add(candidate);
            return candidate;
        }

        string attachName = Free("attach");
        dir = Free("dir");
        added = new[]
        {
            SyntaxFactory.Parameter(SyntaxFactory.Identifier(attachName)).WithType(SimplifiedType("global::P2PDma.DmaBuf.DmaBufAttachment")),
            SyntaxFactory.Parameter(SyntaxFactory.Identifier(dir)).WithType(SimplifiedType("global::P2PDma.Mapping.DmaDirection")),
        };
        foreach (InvocationExpressionSyntax call in calls)
        {
            callEdits[call.ArgumentList] = call.ArgumentList.AddArguments(
                SyntaxFactory.Argument(SyntaxFactory.IdentifierName(a.Identifier.ValueText)), SyntaxFactory.Argument(SyntaxFactory.IdentifierName(d.Identifier.ValueText)));
        }

        return attachName;
    }

    private static TypeSyntax SimplifiedType(string name) => SyntaxFactory.ParseTypeName(name).WithTrailingTrivia(SyntaxFactory.Space)
        .WithAdditionalAnnotations(Microsoft.CodeAnalysis.Simplification.Simplifier.Annotation, Microsoft.CodeAnalysis.Simplification.Simplifier.AddImportsAnnotation);

    private static Task<Solution> ApplyEditsAsync(Solution solution, SolutionModels models, Dictionary<SyntaxNode, SyntaxNode?> edits, CancellationToken cancellationToken) =>
        ApplyEditsAsync(solution, models, edits.ToDictionary(e => e.Key, e => e.Value is null ? (IReadOnlyList<SyntaxNode>)System.Array.Empty<SyntaxNode>() : new[] { e.Value }), cancellationToken);

    /// <summary>Edits over several documents: each node removed (no replacement), replaced, or replaced by several (list members).</summary>
    public static async Task<Solution> ApplyEditsAsync(Solution solution, SolutionModels models, Dictionary<SyntaxNode, IReadOnlyList<SyntaxNode>> edits, CancellationToken cancellationToken)
    {
        foreach (IGrouping<SyntaxTree, KeyValuePair<SyntaxNode, IReadOnlyList<SyntaxNode>>> group in edits.GroupBy(e => e.Key.SyntaxTree))
        {
            Document document = solution.GetDocument(models.DocumentOf(group.First().Key).Id)!;
            SyntaxNode root = await group.Key.GetRootAsync(cancellationToken).ConfigureAwait(false);
            SyntaxNode tracked = root.TrackNodes(group.Select(e => e.Key));
            foreach (KeyValuePair<SyntaxNode, IReadOnlyList<SyntaxNode>> e in group)
            {
                SyntaxNode current = tracked.GetCurrentNode(e.Key)!;
                tracked = e.Value switch
                {
                    [] => tracked.RemoveNode(current, SyntaxRemoveOptions.KeepNoTrivia)!,
                    [var one] => tracked.ReplaceNode(current, one),
                    var several => tracked.ReplaceNode(current, several),
                };
            }

            Document changed = await FixDocument.ReplaceRootAsync(document, tracked, cancellationToken).ConfigureAwait(false);
            solution = changed.Project.Solution;
        }

        return solution;
    }
}
