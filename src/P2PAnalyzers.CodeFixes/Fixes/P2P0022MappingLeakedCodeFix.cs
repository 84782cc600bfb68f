using System.Collections.Generic;
using System.Composition;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.CodeFixes.Shared;
using P2PAnalyzers.Rules;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// P2P0022: unmaps just before the leaking return or throw, with the map call's own arguments (the unwinding the
/// kernel writes as <c>err_unmap:</c>), or, at an error label shared with paths that hold no mapping, before each goto
/// into it taken with the mapping live (as cx25821's fix did), or before an exit shared with paths that do not leak,
/// under the guard the analyzer found (as zcrx's fix did). Offered only where every path to that exit leaks the
/// mapping, every goto is taken always or never with it, or a guard tells them apart (the analyzer says so), where the
/// address is a local the map call initialised, and where every argument it repeats still means the same there: a
/// constant, or a local, parameter or member chain the function never assigns (the address local: only at the map),
/// without calls in it. For what a helper of the compilation mapped, the unmaps the function makes right after the
/// leaking test, copied before the exit (<see cref="HelperUnwind"/>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0022MappingLeakedCodeFix)), Shared]
public sealed class P2P0022MappingLeakedCodeFix : P2PCodeFix
{
    // The unmap of each map call, and which of the map's parameters it repeats after the device ("#" is the address).
    private static readonly Dictionary<string, (string Unmap, string[] Repeats)> Unmaps = new()
    {
        ["MapSingle"] = ("UnmapSingle", new[] { "#", "size", "dir", "attrs" }),
        ["MapPage"] = ("UnmapPage", new[] { "#", "size", "dir", "attrs" }),
        ["MapPhys"] = ("UnmapPhys", new[] { "#", "size", "dir", "attrs" }),
        ["MapResource"] = ("UnmapResource", new[] { "#", "size", "dir", "attrs" }),
        ["MapSgTable"] = ("UnmapSgTable", new[] { "table", "dir", "attrs" }),
        ["MapSg"] = ("UnmapSg", new[] { "table", "nents", "dir", "attrs" }),
        ["LegacyMapSg"] = ("LegacyUnmapSg", new[] { "table", "nents", "dir", "attrs" }),
    };

    private protected override string RuleId => RuleIdentifiers.MappingLeaked;

    private protected override string Title(Diagnostic diagnostic) => "Unmap before leaving";

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        bool unwind = diagnostic.Properties.ContainsKey(P2P0022MappingLeakedAnalyzer.UnwindAtGotosProperty);
        IReadOnlyList<bool>? guardWhen = P2P0022MappingLeakedAnalyzer.GuardWhen(diagnostic.Properties);
        bool onlyLeaks = diagnostic.Properties.ContainsKey(P2P0022MappingLeakedAnalyzer.OnlyLeaksProperty);
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax map
            || diagnostic.AdditionalLocations.FirstOrDefault() is not Location at || at.SourceTree != root.SyntaxTree
            || root.FindNode(at.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<StatementSyntax>() is not StatementSyntax exit
            || exit is not (ReturnStatementSyntax or ThrowStatementSyntax)
            || model.GetSymbolInfo(map, cancellationToken).Symbol is not IMethodSymbol method
            || map.FirstAncestorOrSelf<BaseMethodDeclarationSyntax>() is not { } function
            || exit.FirstAncestorOrSelf<BaseMethodDeclarationSyntax>() != function)
        {
            return null;
        }

        // What a helper of the compilation mapped: the unmaps the function makes after the leaking test, copied before the exit.
        // Where some paths to the exit hold no mapping of this call (sahara_sha_process: one of two descriptor builders
        // ran), only when the function drops the helper's result: it then cannot tell the helper's failure either, and
        // the unmaps after the test already run on those paths. A result it keeps may be what the test reads (`if (ret
        // != 0 || timeout) return`), where the copy would unmap what the failed helper never mapped.
        // The unmap to write and where each of its arguments after the device comes from: the library's for its own map
        // call; for a thin wrapper's (ib_dma_map_single), the unmap wrapper beside it (ib_dma_unmap_single).
        string callee;
        IReadOnlyList<WrapperUnmaps.Source> sources;
        if (method.ContainingType.ToDisplayString() != "P2PDma.Mapping.Dma")
        {
            if (WrapperUnmap(model, map, method, cancellationToken) is not (IMethodSymbol unmapWrapper, var wrapperSources))
            {
                return !unwind && guardWhen is null && method.DeclaringSyntaxReferences.Length > 0
                    && (onlyLeaks || map.Parent is ExpressionStatementSyntax) && diagnostic.AdditionalLocations.Count == 1
                    ? HelperUnwind.Rewrite(root, model, map, exit, cancellationToken)
                    : null;
            }

            callee = unmapWrapper.ContainingType.ToMinimalDisplayString(model, map.SpanStart) + "." + unmapWrapper.Name;
            sources = wrapperSources;
        }
        else if (Unmaps.TryGetValue(method.Name, out var unmap))
        {
            callee = "global::P2PDma.Mapping.Dma." + unmap.Unmap;
            sources = unmap.Repeats
                .Select(name => name == "#" ? new WrapperUnmaps.Source(true, -1) : new WrapperUnmaps.Source(false, method.Parameters.IndexOf(method.Parameters.FirstOrDefault(p => p.Name == name)!)))
                .ToList();
        }
        else
        {
            return null;
        }

        if (!(unwind || guardWhen is not null || onlyLeaks)
            || map.ArgumentList.Arguments.Any(a => a.NameColon is not null || !a.RefKindKeyword.IsKind(SyntaxKind.None)))
        {
            return null;
        }

        // Where the unmap goes: before the exit, or before each goto into the shared error label the analyzer listed.
        var targets = new List<StatementSyntax>();
        foreach (Location l in unwind ? diagnostic.AdditionalLocations.Skip(1) : Enumerable.Empty<Location>())
        {
            if (l.SourceTree != root.SyntaxTree || root.FindNode(l.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<GotoStatementSyntax>() is not GotoStatementSyntax jump)
            {
                return null;
            }

            targets.Add(jump);
        }

        if (!unwind)
        {
            targets.Add(exit);
            // Further exits that only leaking paths reach (the analyzer lists them after the first when it is one too).
            foreach (Location l in onlyLeaks ? diagnostic.AdditionalLocations.Skip(1) : Enumerable.Empty<Location>())
            {
                if (l.SourceTree != root.SyntaxTree
                    || root.FindNode(l.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<StatementSyntax>() is not StatementSyntax further
                    || further is not (ReturnStatementSyntax or ThrowStatementSyntax)
                    || further.FirstAncestorOrSelf<BaseMethodDeclarationSyntax>() != function)
                {
                    return null;
                }

                targets.Add(further);
            }
        }
        else if (targets.Count == 0)
        {
            return null;
        }

        var repeated = new List<string> { map.ArgumentList.Arguments[0].Expression.WithoutTrivia().ToString() };
        var checkedExpressions = new List<ExpressionSyntax> { map.ArgumentList.Arguments[0].Expression };
        foreach (WrapperUnmaps.Source source in sources)
        {
            if (source.IsAddress)
            {
                if (AddressLocal(map, model, cancellationToken) is (ILocalSymbol address, var addressStore)
                    && (addressStore is null ? !Assignments.WrittenIn(function, address, model, cancellationToken) : Stable.AssignedOnlyAt(address, function, model, addressStore, cancellationToken))
                    && targets.All(t => Stable.InScope(address, model, t.SpanStart)))
                {
                    repeated.Add(address.Name);
                    continue;
                }

                // Stored into a member of a local (desc.Addr = ..): that member, where neither it nor the local is
                // assigned anywhere else in the function.
                if (map.Parent is AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax holder } member } store
                    && store.IsKind(SyntaxKind.SimpleAssignmentExpression)
                    && model.GetSymbolInfo(holder, cancellationToken).Symbol is ILocalSymbol local
                    && model.GetSymbolInfo(member, cancellationToken).Symbol is ISymbol stored
                    && Stable.AssignedOnlyAt(stored, function, model, store, cancellationToken)
                    && !Assignments.WrittenIn(function, local, model, cancellationToken)
                    && targets.All(t => Stable.InScope(local, model, t.SpanStart)))
                {
                    repeated.Add(member.WithoutTrivia().ToString());
                    continue;
                }

                return null;
            }

            int ordinal = source.MapOrdinal;
            if (ordinal < 0)
            {
                return null;
            }

            if (ordinal >= map.ArgumentList.Arguments.Count)
            {
                continue; // a default (attrs): the unmap's default is the same
            }

            ExpressionSyntax given = map.ArgumentList.Arguments[ordinal].Expression;
            checkedExpressions.Add(given);
            repeated.Add(given.WithoutTrivia().ToString());
        }

        if (targets.Any(t => checkedExpressions.Any(e => !Stable.Expression(e, function, model, t.SpanStart, cancellationToken))))
        {
            return null;
        }

        StatementSyntax call = FixDocument.Statement($"{callee}({string.Join(", ", repeated)});");
        if (guardWhen is not null)
        {
            if (Guard(root, model, diagnostic, guardWhen, exit, cancellationToken) is not ExpressionSyntax guard)
            {
                return null;
            }

            call = FixDocument.Generated(SyntaxFactory.IfStatement(guard, SyntaxFactory.Block(call)));
        }

        SyntaxNode? tracked = root.TrackNodes(targets);
        foreach (StatementSyntax target in targets)
        {
            if (tracked?.GetCurrentNode(target) is not StatementSyntax current)
            {
                return null;
            }

            tracked = Insert(tracked, current, call);
        }

        return tracked;
    }

    /// <summary>
    /// The guard the analyzer found (<see cref="P2P0022MappingLeakedAnalyzer.GuardProperty"/>): its conditions, after the
    /// exit in the additional locations, each as it holds where the mapping leaks, joined by <c>&amp;&amp;</c>. Null when a
    /// condition does not mean the same at the exit (a name bound to something else there).
    /// </summary>
    private static ExpressionSyntax? Guard(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, IReadOnlyList<bool> when, StatementSyntax exit, CancellationToken cancellationToken)
    {
        IReadOnlyList<Location> locations = diagnostic.AdditionalLocations.Skip(1).ToList();
        if (locations.Count != when.Count)
        {
            return null;
        }

        var parts = new List<ExpressionSyntax>();
        for (int i = 0; i < locations.Count; i++)
        {
            if (locations[i].SourceTree != root.SyntaxTree || root.FindNode(locations[i].SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax condition
                || !Scope.BindsAlike(condition, model, exit.SpanStart, cancellationToken))
            {
                return null;
            }

            parts.Add(when[i] ? Parenthesized(condition.WithoutTrivia()) : Negated(condition.WithoutTrivia()));
        }

        return parts.Aggregate((a, b) => SyntaxFactory.BinaryExpression(SyntaxKind.LogicalAndExpression, a, b));
    }

    /// <summary>The condition false: a comparison with its operator turned, else <c>!(condition)</c>.</summary>
    private static ExpressionSyntax Negated(ExpressionSyntax condition) => condition switch
    {
        BinaryExpressionSyntax binary when Turned(binary.Kind()) is SyntaxKind turned
            => SyntaxFactory.BinaryExpression(turned, binary.Left, binary.Right),
        IdentifierNameSyntax or MemberAccessExpressionSyntax => SyntaxFactory.PrefixUnaryExpression(SyntaxKind.LogicalNotExpression, condition),
        _ => SyntaxFactory.PrefixUnaryExpression(SyntaxKind.LogicalNotExpression, SyntaxFactory.ParenthesizedExpression(condition)),
    };

    private static ExpressionSyntax Parenthesized(ExpressionSyntax condition) =>
        condition is IdentifierNameSyntax or MemberAccessExpressionSyntax or BinaryExpressionSyntax ? condition : SyntaxFactory.ParenthesizedExpression(condition);

    private static SyntaxKind? Turned(SyntaxKind kind) => kind switch
    {
        SyntaxKind.EqualsExpression => SyntaxKind.NotEqualsExpression,
        SyntaxKind.NotEqualsExpression => SyntaxKind.EqualsExpression,
        SyntaxKind.LessThanExpression => SyntaxKind.GreaterThanOrEqualExpression,
        SyntaxKind.LessThanOrEqualExpression => SyntaxKind.GreaterThanExpression,
        SyntaxKind.GreaterThanExpression => SyntaxKind.LessThanOrEqualExpression,
        SyntaxKind.GreaterThanOrEqualExpression => SyntaxKind.LessThanExpression,
        _ => null,
    };

    /// <summary>The local the map call's result is put in where it is declared (no store) or assigned (that store).</summary>
    private static (ILocalSymbol, AssignmentExpressionSyntax?)? AddressLocal(InvocationExpressionSyntax map, SemanticModel model, CancellationToken cancellationToken) => map.Parent switch
    {
        EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } when model.GetDeclaredSymbol(declarator, cancellationToken) is ILocalSymbol declared
            => (declared, null),
        AssignmentExpressionSyntax { Left: IdentifierNameSyntax name } assignment when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
            && model.GetSymbolInfo(name, cancellationToken).Symbol is ILocalSymbol assigned => (assigned, assignment),
        _ => null,
    };

    // The unmap wrapper for a single map made through a thin wrapper (ib_dma_unmap_single for ib_dma_map_single).
    private static (IMethodSymbol, IReadOnlyList<WrapperUnmaps.Source>)? WrapperUnmap(SemanticModel model, InvocationExpressionSyntax map, IMethodSymbol method, CancellationToken cancellationToken) =>
        P2PAnalyzers.Analysis.KnownSymbols.TryGet(model.Compilation) is P2PAnalyzers.Analysis.KnownSymbols k
        && P2PAnalyzers.Analysis.ThinWrappers.LibraryOf(method, k) is IMethodSymbol library && !SymbolEqualityComparer.Default.Equals(library, method)
        && P2PAnalyzers.Analysis.FactProducers.IsSingleMap(k.RoleOf(library)) && Unmaps.TryGetValue(library.Name, out var unmap)
        && WrapperUnmaps.For(model, map, unmap.Unmap, cancellationToken) is (IMethodSymbol found, var sources)
            ? (found, sources)
            : null;

    /// <summary>The unmap goes just before the exit; an exit that is a label's statement or an embedded statement keeps its place.</summary>
    private static SyntaxNode? Insert(SyntaxNode root, StatementSyntax exit, StatementSyntax call) => exit.Parent switch
    {
        // The exit's comment stays above the two statements.
        BlockSyntax or SwitchSectionSyntax => root.ReplaceNode(exit, new SyntaxNode[]
        {
            call.WithLeadingTrivia(exit.GetLeadingTrivia()),
            exit.WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation),
        }),
        LabeledStatementSyntax labeled when labeled.Parent is BlockSyntax or SwitchSectionSyntax => root.ReplaceNode(labeled, new SyntaxNode[]
        {
            labeled.WithStatement(call.WithoutLeadingTrivia()),
            exit.WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation),
        }),
        LabeledStatementSyntax => null,
        _ => root.ReplaceNode(exit, FixDocument.Generated(SyntaxFactory.Block(call, exit.WithoutTrivia())).WithTriviaFrom(exit)),
    };
}
