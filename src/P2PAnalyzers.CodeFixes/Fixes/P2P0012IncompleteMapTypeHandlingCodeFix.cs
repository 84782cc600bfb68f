using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.Analysis;
using P2PAnalyzers.CodeFixes.Shared;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// P2P0012, switch statements only: adds the missing arms. <c>BusAddr</c> gets the through-host-bridge arm's mapping
/// statement with the mapping call replaced by <c>PciP2PDma.BusAddrMap(provider, phys)</c> (split off the shared
/// section when it was sent into the mapping); <c>NotSupported</c> gets the function's error path with
/// <c>DmaError.RemoteIo</c>. Switch expressions and if-chains are reported without a fix.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0012IncompleteMapTypeHandlingCodeFix)), Shared]
public sealed class P2P0012IncompleteMapTypeHandlingCodeFix : P2PCodeFix
{
    private protected override string RuleId => RuleIdentifiers.IncompleteMapTypeHandling;

    private protected override string Title(Diagnostic diagnostic) => diagnostic.Properties.GetValueOrDefault(PropertyNames.Kind) is MapTypeArms.MissingBusAddr or MapTypeArms.BusAddrMapped
        ? "Add the BusAddr arm"
        : "Add the NotSupported arm";

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindToken(diagnostic.Location.SourceSpan.Start).Parent is not SwitchStatementSyntax @switch)
        {
            return null;
        }

        return diagnostic.Properties.GetValueOrDefault(PropertyNames.Kind) switch
        {
            MapTypeArms.MissingBusAddr or MapTypeArms.BusAddrMapped => AddBusAddrArm(root, model, @switch, cancellationToken),
            MapTypeArms.MissingNotSupported or MapTypeArms.NotSupportedMapped => AddNotSupportedArm(root, model, @switch),
            _ => null,
        };
    }

    private static SyntaxNode? AddNotSupportedArm(SyntaxNode root, SemanticModel model, SwitchStatementSyntax @switch)
    {
        StatementSyntax[] error = ErrorPath.Statements(model, @switch, SyntaxFactory.ParseExpression(Names.DmaError + ".RemoteIo"));
        SwitchSectionSyntax section = Section(SyntaxFactory.ParseExpression(Names.P2PMapType + ".NotSupported"), error);
        SwitchSectionSyntax? @default = @switch.Sections.FirstOrDefault(s => s.Labels.Any(l => l is DefaultSwitchLabelSyntax));
        return @default is null
            ? root.ReplaceNode(@switch, @switch.AddSections(section))
            : root.InsertNodesBefore(@default, new[] { section });
    }

    private static SyntaxNode? AddBusAddrArm(SyntaxNode root, SemanticModel model, SwitchStatementSyntax @switch, CancellationToken cancellationToken)
    {
        SwitchSectionSyntax? thru = SectionWith(@switch, model, "ThruHostBridge", cancellationToken);
        ExpressionSyntax? provider = ProviderOf(@switch.Expression, model, cancellationToken);
        if (thru is null || provider is null || MappingStatement(thru, model, cancellationToken) is not (StatementSyntax statement, InvocationExpressionSyntax call))
        {
            return null;
        }

        ExpressionSyntax busMap = SyntaxFactory.ParseExpression($"{Names.PciP2PDma}.BusAddrMap({provider}, {call.ArgumentList.Arguments[1].Expression})");
        StatementSyntax busStatement = statement.ReplaceNode(call, busMap).WithoutTrivia();
        var statements = new List<StatementSyntax> { busStatement };
        switch (BusAddressKeptIn(statement, @switch, model, cancellationToken))
        {
            case Kept.InEntry entry:
                // sg_dma_mark_bus_address: the unmap of the table then skips the entry instead of unmapping a bus address.
                statements.Add(FixDocument.Statement($"{entry.Entry}.MarkBusAddress();"));
                break;
            case Kept.Unmapped:
                // The function unmaps what it stored there: a bus address would be unmapped (P2P0013). Not sound locally.
                return null;
        }

        if (statement is not ReturnStatementSyntax)
        {
            statements.Add(SyntaxFactory.BreakStatement());
        }

        SwitchSectionSyntax section = Section(SyntaxFactory.ParseExpression(Names.P2PMapType + ".BusAddr"), statements.ToArray());

        // A BusAddr label sharing the mapping section goes to the new arm.
        SwitchSectionSyntax? shared = SectionWith(@switch, model, "BusAddr", cancellationToken);
        SyntaxNode tracked = root.TrackNodes(thru, shared ?? thru);
        if (shared is not null)
        {
            if (shared.Labels.Count < 2)
            {
                return null;
            }

            int label = shared.Labels.IndexOf(l => MemberOf(l, model, cancellationToken) == "BusAddr");
            SwitchSectionSyntax current = tracked.GetCurrentNode(shared)!;
            tracked = tracked.ReplaceNode(current, current.WithLabels(current.Labels.RemoveAt(label)).WithLeadingTrivia(current.GetLeadingTrivia()));
        }

        return tracked.InsertNodesBefore(tracked.GetCurrentNode(thru)!, new[] { section });
    }

    /// <summary>Where the new arm's bus address is kept: returned, in an sg entry (to be marked), or where the function unmaps it.</summary>
    private abstract record Kept
    {
        public sealed record Elsewhere : Kept;

        public sealed record InEntry(ExpressionSyntax Entry) : Kept;

        public sealed record Unmapped : Kept;
    }

    private static Kept BusAddressKeptIn(StatementSyntax statement, SwitchStatementSyntax @switch, SemanticModel model, CancellationToken cancellationToken)
    {
        if (statement is not ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: ExpressionSyntax target } })
        {
            return new Kept.Elsewhere();
        }

        if (target is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaAddress" } member
            && model.GetTypeInfo(member.Expression, cancellationToken).Type?.ToDisplayString() == "P2PDma.Mapping.Scatterlist")
        {
            return new Kept.InEntry(member.Expression.WithoutTrivia());
        }

        SyntaxNode? body = Scope.EnclosingFunction(@switch);
        bool unmapped = body?.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(i =>
            model.GetSymbolInfo(i, cancellationToken).Symbol is IMethodSymbol { ContainingType.Name: "Dma" } m && m.Name.StartsWith("Unmap", System.StringComparison.Ordinal)
            && i.ArgumentList.Arguments.Count > 1 && Text(i.ArgumentList.Arguments[1].Expression) == Text(target)) == true;
        return unmapped ? new Kept.Unmapped() : new Kept.Elsewhere();
    }

    private static string Text(ExpressionSyntax expression) => expression.WithoutTrivia().NormalizeWhitespace().ToString();

    /// <summary>The statement of a section that maps with a generic call: <c>x = Dma.MapPhys(...);</c> or <c>return Dma.MapPhys(...);</c>.</summary>
    private static (StatementSyntax, InvocationExpressionSyntax)? MappingStatement(SwitchSectionSyntax section, SemanticModel model, CancellationToken cancellationToken)
    {
        foreach (StatementSyntax statement in section.Statements)
        {
            ExpressionSyntax? value = statement switch
            {
                ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } a } => a.Right,
                ReturnStatementSyntax r => r.Expression,
                _ => null,
            };
            InvocationExpressionSyntax? call = value?.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault(i =>
                model.GetSymbolInfo(i, cancellationToken).Symbol is IMethodSymbol { Name: "MapPhys" or "MapResource", ContainingType.Name: "Dma" }
                && i.ArgumentList.Arguments.Count >= 2 && i.ArgumentList.Arguments.All(a => a.NameColon is null));
            if (call is not null)
            {
                return (statement, call);
            }
        }

        return null;
    }

    /// <summary>The provider whose map type the switch asks: <c>MapType(p, dev)</c> gives p, <c>State(state, ...)</c> gives <c>state.Provider!</c>.</summary>
    private static ExpressionSyntax? ProviderOf(ExpressionSyntax governing, SemanticModel model, CancellationToken cancellationToken)
    {
        if (governing is IdentifierNameSyntax name && model.GetSymbolInfo(name, cancellationToken).Symbol is ILocalSymbol local
            && local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: ExpressionSyntax init })
        {
            governing = init;
        }

        if (governing is not InvocationExpressionSyntax call || call.ArgumentList.Arguments.Count < 2
            || model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol { ContainingType.Name: "PciP2PDma" } method)
        {
            return null;
        }

        return method.Name switch
        {
            "MapType" => call.ArgumentList.Arguments[0].Expression.WithoutTrivia(),
            "State" => SyntaxFactory.ParseExpression($"{call.ArgumentList.Arguments[0].Expression.WithoutTrivia()}.Provider!"),
            _ => null,
        };
    }

    private static SwitchSectionSyntax? SectionWith(SwitchStatementSyntax @switch, SemanticModel model, string member, CancellationToken cancellationToken) =>
        @switch.Sections.FirstOrDefault(s => s.Labels.Any(l => MemberOf(l, model, cancellationToken) == member));

    private static string? MemberOf(SwitchLabelSyntax label, SemanticModel model, CancellationToken cancellationToken) =>
        label is CaseSwitchLabelSyntax c && model.GetSymbolInfo(c.Value, cancellationToken).Symbol is IFieldSymbol { ContainingType.Name: "P2PMapType" } f ? f.Name : null;

    private static SwitchSectionSyntax Section(ExpressionSyntax value, params StatementSyntax[] statements) =>
        FixDocument.Generated(SyntaxFactory.SwitchSection(
            SyntaxFactory.SingletonList<SwitchLabelSyntax>(SyntaxFactory.CaseSwitchLabel(value)),
            SyntaxFactory.List(statements)));
}
