using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Rewrites a generic mapping of peer memory, <c>DmaAddr a = Dma.MapResource(dev, phys, size, dir);</c>, into the one-call
/// P2P mapping: <c>P2PDmaMapping aMapping = Dma.MapP2P(dev, provider, phys, size, dir); DmaAddr a = aMapping.Address;</c>,
/// with the error check if the code had none, and every unmap of <c>a</c> in the function becoming
/// <c>aMapping.Unmap()</c> (a bus address must never be unmapped). Declined unless the address stays inside the
/// function: stored, returned or handed to code outside the library, it could be unmapped where the fix cannot see.
/// With the project at hand (<see cref="MapP2PUnit"/>), the provider may be synthesised from the BAR the memory is read
/// from, and the address may go into scatterlist entries: the mapping is then decided by map type and the entries
/// marked (<see cref="MapTypeEntries"/>), since they are unmapped by address elsewhere (<see cref="BusAddressEntries"/>).
/// </summary>
internal static class MapP2PRewrite
{
    private static readonly HashSet<string> Unmaps = new() { "UnmapResource", "UnmapPhys", "UnmapPage", "UnmapSingle" };

    /// <summary>One planned rewrite: the statements to replace and what replaces them.</summary>
    internal sealed class Plan
    {
        public Plan(LocalDeclarationStatementSyntax declaration, IReadOnlyList<StatementSyntax> replacement, IReadOnlyList<(StatementSyntax Unmap, StatementSyntax With)> unmaps,
            IReadOnlyList<(StatementSyntax Store, StatementSyntax Mark)>? marks = null)
        {
            Declaration = declaration;
            Replacement = replacement;
            UnmapEdits = unmaps;
            Marks = marks ?? System.Array.Empty<(StatementSyntax, StatementSyntax)>();
        }

        public LocalDeclarationStatementSyntax Declaration { get; }

        public IReadOnlyList<StatementSyntax> Replacement { get; }

        public IReadOnlyList<(StatementSyntax Unmap, StatementSyntax With)> UnmapEdits { get; }

        /// <summary>The stores of the address into scatterlist entries, and the mark that follows each.</summary>
        public IReadOnlyList<(StatementSyntax Store, StatementSyntax Mark)> Marks { get; }
    }

    /// <summary>The rewrite with a provider in scope and the address kept in the function; null when it does not apply.</summary>
    public static Plan? Prepare(SemanticModel model, InvocationExpressionSyntax call, FactKey source, CancellationToken cancellationToken) =>
        Prepare(model, call, source, null, cancellationToken);

    /// <summary>
    /// The rewrite; with <paramref name="solution"/>, also with a provider synthesised from the BAR the memory is read
    /// from, and with stores into scatterlist entries (whose unmaps elsewhere the caller must guard).
    /// </summary>
    public static Plan? Prepare(SemanticModel model, InvocationExpressionSyntax call, FactKey source, SolutionModels? solution, CancellationToken cancellationToken)
    {
        if (model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol { Name: "MapResource" or "MapPhys" } method
            || method.ContainingType.ToDisplayString() != "P2PDma.Mapping.Dma"
            || call.ArgumentList.Arguments.Count < 4 || call.ArgumentList.Arguments.Any(a => a.NameColon is not null || !a.RefKindKeyword.IsKind(SyntaxKind.None))
            || call.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
            || declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1 } declaration
            || declaration.Parent is not LocalDeclarationStatementSyntax statement
            || statement.Parent is not BlockSyntax and not SwitchSectionSyntax
            || model.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol local
            || Scope.EnclosingFunction(statement) is not SyntaxNode body)
        {
            return null;
        }

        INamedTypeSymbol? providerType = model.Compilation.GetTypeByMetadataName("P2PDma.P2P.P2PProvider");
        ExpressionSyntax? provider = SourceExpressions.Provider(source, model, call.SpanStart);
        if (provider is null || !Scope.BindsTo(model, call.SpanStart, provider, providerType))
        {
            provider = Scope.Unique(model, call.SpanStart, providerType);
        }

        var stores = solution is null ? null : new List<ExpressionStatementSyntax>();
        if (Uses(model, body, local, stores, cancellationToken) is not (var unmaps, bool hasErrorCheck))
        {
            return null;
        }

        // No provider in scope: the one of the BAR the memory is read from, asked for where the mapping is.
        StatementSyntax[] prologue = System.Array.Empty<StatementSyntax>();
        if (provider is null)
        {
            if (solution is null
                || ProviderSynthesis.Of(new[] { call.ArgumentList.Arguments[1].Expression }, body, model, solution, cancellationToken, site: call) is not ProviderSynthesis.DeviceBar bar
                || LeaveWithoutProvider(model, call, statement, local, hasErrorCheck, cancellationToken) is not IReadOnlyList<StatementSyntax> leave)
            {
                return null;
            }

            string providerName = Scope.FreeName(model, call.SpanStart, "provider");
            prologue = ProviderSynthesis.Declare(providerName, bar, leave);
            provider = SyntaxFactory.IdentifierName(providerName);
        }

        // Into entries unmapped by address elsewhere: decided by map type, each entry marked (no local unmap to rewrite).
        if (stores is { Count: > 0 })
        {
            return unmaps.Count == 0 && hasErrorCheck ? MapTypeEntries.Plan(model, call, statement, local, provider, prologue, stores) : null;
        }

        string mappingName = Scope.FreeName(model, call.SpanStart, local.Name + "Mapping");
        SeparatedSyntaxList<ArgumentSyntax> args = call.ArgumentList.Arguments;
        string text = $"{Names.P2PDmaMapping} {mappingName} = {Names.Dma}.MapP2P({args[0]}, {provider}, {args[1]}, {args[2]}, {args[3]}{ExtraAttrs(args)});";
        var replacement = new List<StatementSyntax>(prologue)
        {
            FixDocument.Generated(SyntaxFactory.ParseStatement(text)),
            statement.ReplaceNode(call, SyntaxFactory.ParseExpression($"{mappingName}.Address").WithTriviaFrom(call))
                .WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation),
        };
        replacement[0] = replacement[0].WithLeadingTrivia(statement.GetLeadingTrivia());
        if (!hasErrorCheck)
        {
            ExpressionSyntax error = SyntaxFactory.ParseExpression($"{mappingName}.Error");
            replacement.Add(FixDocument.Generated(SyntaxFactory.IfStatement(SyntaxFactory.ParseExpression($"{mappingName}.Failed"),
                SyntaxFactory.Block(ErrorPath.For(model, call, error)))));
        }

        StatementSyntax unmap = SyntaxFactory.ParseStatement($"{mappingName}.Unmap();");
        return new Plan(statement, replacement, unmaps.Select(u => (u, unmap.WithTriviaFrom(u))).ToList());
    }

    /// <summary>
    /// Where a synthesised provider is null (the BAR is no P2P memory): the way the code leaves when this mapping
    /// fails, so that its own unwind runs (populate_sgt's <c>goto err</c>). The body of the mapping-error check right
    /// after the mapping when it does not name the address; the error path when the code checks nothing (the fix adds
    /// that check); null otherwise.
    /// </summary>
    private static IReadOnlyList<StatementSyntax>? LeaveWithoutProvider(SemanticModel model, InvocationExpressionSyntax call, LocalDeclarationStatementSyntax statement,
        ILocalSymbol local, bool hasErrorCheck, CancellationToken cancellationToken)
    {
        SyntaxList<StatementSyntax> siblings = statement.Parent is BlockSyntax block ? block.Statements : ((SwitchSectionSyntax)statement.Parent!).Statements;
        int at = siblings.IndexOf(statement);
        if (at + 1 < siblings.Count && siblings[at + 1] is IfStatementSyntax { Else: null, Condition: InvocationExpressionSyntax test } check
            && model.GetSymbolInfo(test, cancellationToken).Symbol is IMethodSymbol { Name: "MappingError" } method
            && method.ContainingType.ToDisplayString() == "P2PDma.Mapping.Dma"
            && test.ArgumentList.Arguments.Count == 2 && Assignments.Is(test.ArgumentList.Arguments[1].Expression, local, model, cancellationToken))
        {
            IReadOnlyList<StatementSyntax> body = check.Statement is BlockSyntax b ? b.Statements : new[] { check.Statement };
            bool namesLocal = body.Any(x => x.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == local.Name));
            bool declares = body.Any(x => x.DescendantNodesAndSelf().Any(n => n is LocalDeclarationStatementSyntax or LocalFunctionStatementSyntax or LabeledStatementSyntax));
            return body.Count > 0 && !namesLocal && !declares ? body.Select(x => x.WithoutLeadingTrivia().WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation)).ToList() : null;
        }

        return hasErrorCheck ? null : new[] { ErrorPath.For(model, call, SyntaxFactory.ParseExpression($"{Names.DmaError}.Invalid")) };
    }

    /// <summary>The statement edits of a plan: the declaration, the unmaps of the address, each store with its mark.</summary>
    public static IEnumerable<KeyValuePair<SyntaxNode, IReadOnlyList<SyntaxNode>>> Edits(Plan plan)
    {
        yield return new(plan.Declaration, plan.Replacement);
        foreach ((StatementSyntax unmap, StatementSyntax with) in plan.UnmapEdits)
        {
            yield return new(unmap, new[] { with });
        }

        foreach ((StatementSyntax store, StatementSyntax mark) in plan.Marks)
        {
            yield return new(store, new[] { store, mark });
        }
    }

    /// <summary>Applies plans to one root; the nodes they name must come from it.</summary>
    public static SyntaxNode Apply(SyntaxNode root, IReadOnlyList<Plan> plans)
    {
        var edits = new Dictionary<SyntaxNode, IReadOnlyList<SyntaxNode>>();
        foreach (Plan plan in plans)
        {
            foreach (KeyValuePair<SyntaxNode, IReadOnlyList<SyntaxNode>> edit in Edits(plan))
            {
                edits[edit.Key] = edit.Value;
            }
        }

        SyntaxNode tracked = root.TrackNodes(edits.Keys);
        foreach (KeyValuePair<SyntaxNode, IReadOnlyList<SyntaxNode>> edit in edits)
        {
            tracked = tracked.ReplaceNode(tracked.GetCurrentNode(edit.Key)!, edit.Value);
        }

        return tracked;
    }

    /// <summary>
    /// The unmap statements of <paramref name="local"/> and whether its mapping error is checked; null when the address
    /// is used anywhere the fix cannot vouch for. Stores into scatterlist entries are collected into
    /// <paramref name="stores"/> when it is given, and decline otherwise.
    /// </summary>
    private static (List<StatementSyntax>, bool)? Uses(SemanticModel model, SyntaxNode body, ILocalSymbol local, List<ExpressionStatementSyntax>? stores, CancellationToken cancellationToken)
    {
        var unmaps = new List<StatementSyntax>();
        bool checkedError = false;
        foreach (IdentifierNameSyntax use in body.DescendantNodes().OfType<IdentifierNameSyntax>().Where(n => n.Identifier.ValueText == local.Name))
        {
            if (!SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(use, cancellationToken).Symbol, local))
            {
                continue;
            }

            if (stores is not null && !use.Ancestors().Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                && BusAddressEntries.StoreOf(use, model, cancellationToken) is ExpressionStatementSyntax store)
            {
                stores.Add(store);
                continue;
            }

            if (use.Parent is not ArgumentSyntax { RefKindKeyword.RawKind: 0, Parent.Parent: InvocationExpressionSyntax invocation } argument
                || model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol target
                || use.Ancestors().Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
            {
                return null;
            }

            if (!target.ContainingNamespace.ToDisplayString().StartsWith("P2PDma", System.StringComparison.Ordinal))
            {
                // Handed to the device (a ring, a doorbell, a submit callback): the same address, whatever it is. Not
                // to a method of the project that unmaps or keeps what it is given: that unmap would get a bus address.
                if (MayUnmapOrKeep(target, argument, model, cancellationToken))
                {
                    return null;
                }

                continue;
            }

            if (target.Name == "MappingError")
            {
                checkedError = true;
            }
            else if (Unmaps.Contains(target.Name) && target.ContainingType.Name == "Dma")
            {
                if (invocation.Parent is not ExpressionStatementSyntax unmap || invocation.ArgumentList.Arguments.IndexOf(argument) != 1)
                {
                    return null;
                }

                unmaps.Add(unmap);
            }
        }

        return (unmaps, checkedError);
    }

    /// <summary>
    /// True when a method of the compilation handed the address may unmap it or keep it (an unmap call anywhere in
    /// its body, or its parameter assigned somewhere); methods of other assemblies and delegates are the device's.
    /// </summary>
    internal static bool MayUnmapOrKeep(IMethodSymbol target, ArgumentSyntax argument, SemanticModel model, CancellationToken cancellationToken)
    {
        if (target.MethodKind == MethodKind.DelegateInvoke || target.DeclaringSyntaxReferences.IsEmpty)
        {
            return false;
        }

        IParameterSymbol? parameter = model.GetOperation(argument, cancellationToken) is Microsoft.CodeAnalysis.Operations.IArgumentOperation { Parameter: IParameterSymbol p } ? p : null;
        foreach (SyntaxReference reference in target.DeclaringSyntaxReferences)
        {
            SyntaxNode declaration = reference.GetSyntax(cancellationToken);
            if (declaration.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(i => Called(i)?.StartsWith("Unmap", System.StringComparison.Ordinal) == true)
                || parameter is null
                || declaration.DescendantNodes().OfType<AssignmentExpressionSyntax>().Any(a =>
                    a.Right.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == parameter.Name)))
            {
                return true;
            }
        }

        return false;
    }

    internal static string? Called(InvocationExpressionSyntax call) => call.Expression switch
    {
        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
        IdentifierNameSyntax name => name.Identifier.ValueText,
        _ => null,
    };

    /// <summary>MapP2P maps MMIO itself; other attributes (weak ordering) carry over, SkipCpuSync and Mmio do not.</summary>
    private static string ExtraAttrs(SeparatedSyntaxList<ArgumentSyntax> args)
    {
        if (args.Count < 5)
        {
            return "";
        }

        string attrs = args[4].Expression.ToString();
        return attrs.EndsWith("SkipCpuSync", System.StringComparison.Ordinal) || attrs.EndsWith("Mmio", System.StringComparison.Ordinal) || attrs.EndsWith("None", System.StringComparison.Ordinal)
            ? ""
            : ", " + attrs;
    }
}
