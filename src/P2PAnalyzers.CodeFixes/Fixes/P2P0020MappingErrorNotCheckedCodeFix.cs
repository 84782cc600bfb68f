using System.Composition;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.CodeFixes.Shared;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// P2P0020: adds the check right after the mapping, the way the kernel's fixes did (<c>if (dma_mapping_error(dev,
/// dma_addr)) return -ENOMEM;</c>), leaving through the function's own error path (<see cref="ErrorPath"/>). Offered
/// when the mapping is kept in a name the check can read again: a local it declares or is assigned to, or a chain of
/// names (<c>nvme.CmdDma</c>, <c>handles[i]</c>), as a statement of its own in a block; and when the device it was
/// mapped for is a chain of names too. A mapping inside the stored value is taken out into a local first. A replacement
/// mapped into a name whose old mapping was just unmapped is mapped first (<see cref="RemapFirst"/>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0020MappingErrorNotCheckedCodeFix)), Shared]
public sealed class P2P0020MappingErrorNotCheckedCodeFix : P2PCodeFix
{
    private protected override string RuleId => RuleIdentifiers.MappingErrorNotChecked;

    private protected override string Title(Diagnostic diagnostic) => "Check the mapping with Dma.MappingError";

    /// <summary>A mapping made through a thin wrapper (ib_dma_map_single) is checked with the wrapper's own check.</summary>
    private protected override (SyntaxNode Root, string Title)? RewriteTitled(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        Rewrite(root, model, diagnostic, cancellationToken) is SyntaxNode rewritten
            ? (rewritten, Checker(root, model, diagnostic, cancellationToken) is IMethodSymbol check
                ? $"Check the mapping with {check.ContainingType.Name}.{check.Name}"
                : Title(diagnostic))
            : null;

    // The wrapper's check for a mapping made through a thin wrapper; null for the library's own map call.
    private static IMethodSymbol? Checker(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is InvocationExpressionSyntax map
        && !EarlyExits.IsLibraryDma(model, map)
            ? WrapperChecks.For(model, map, cancellationToken)
            : null;

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        // A thin wrapper's call (ib_dma_map_single) is checked with the wrapper's check (ib_dma_mapping_error), given the
        // wrapper's device argument; the library's Dma.MappingError takes the PciDevice, which the caller does not hold.
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax map
            || (EarlyExits.IsLibraryDma(model, map) ? Names.Dma + ".MappingError"
                : WrapperChecks.For(model, map, cancellationToken) is IMethodSymbol check ? check.ContainingType.ToMinimalDisplayString(model, map.SpanStart) + "." + check.Name
                : null) is not string checkCall
            || map.ArgumentList.Arguments.FirstOrDefault()?.Expression is not ExpressionSyntax device
            || !Assignments.PathOnly(device)
            || Kept(map) is not (StatementSyntax statement, ExpressionSyntax kept, bool inline)
            || statement.Parent is not BlockSyntax block)
        {
            return null;
        }

        ExpressionSyntax Failed(ExpressionSyntax mapping) => SyntaxFactory.ParseExpression($"{checkCall}({device.WithoutTrivia()}, {mapping.WithoutTrivia()})");
        ExpressionSyntax error = SyntaxFactory.ParseExpression(Names.DmaError + ".NoMemory");
        bool usedElsewhere = UsedElsewhere(diagnostic, statement);
        // Only the new condition and the new statements are simplified: statements copied from the function stay as written.
        StatementSyntax Check(ExpressionSyntax mapping, StatementSyntax[] failure) => SyntaxFactory.IfStatement(FixDocument.Generated(Failed(mapping)), SyntaxFactory.Block(failure))
            .WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation);

        StatementSyntax[]? failure;
        bool stays = true;
        if (EarlyExits.UnmapsBefore(model, statement))
        {
            // What was unmapped may be kept where a return would leave it: only the function's own check of the buffer,
            // in the same state, may leave here; else the replacement is mapped before the unmap.
            failure = BufferCheck.Failure(statement, map);
            if (failure is null)
            {
                return RemappedFirst(root, model, statement, kept, inline, map, Check, error, usedElsewhere);
            }
        }
        else if (!inline && Assignments.PathOnly(kept) && block.Statements.IndexOf(statement) + 1 is int next && next < block.Statements.Count
            && block.Statements[next] is IfStatementSyntax test && ZeroTest.Of(test.Condition, kept))
        {
            // The function tests the mapping already, against zero (ath10k's `if (!paddr)`): the test becomes the check,
            // and its branch stays the function's own way of handling the failure, still seeing the address zero where
            // what follows may read it (ZeroTest.Reset: mtip32xx's abort: unmaps under `if (outbuf_dma)`).
            bool keptInLocal = statement is LocalDeclarationStatementSyntax || model.GetSymbolInfo(kept, cancellationToken).Symbol is ILocalSymbol;
            return root.ReplaceNode(test, ZeroTest.Reset(test.WithCondition(FixDocument.Generated(Failed(kept)).WithTriviaFrom(test.Condition)), kept, keptInLocal));
        }
        else if ((failure = EarlyExits.Failure(model, statement, error, usedElsewhere, map, out stays)) is null)
        {
            // No way out: neither the function's unwinding label, nor its own check of the buffer, nor a return that
            // releases the lock it holds and tells the caller.
            return null;
        }

        if (!inline && Assignments.PathOnly(kept) && (!stays || statement is LocalDeclarationStatementSyntax))
        {
            // Inserted after the statement, not by rewriting the block: Fix All merges the checks of one block's mappings.
            return root.InsertNodesAfter(statement, new[] { Check(kept, failure) });
        }

        // Stored only once checked, through a local, as habanalabs' exporter does: an element (sgt[i].DmaAddress), whose
        // entry is not read back as the same mapping; a mapping inside the stored value (3c59x's
        // `cpu_to_le32(pci_map_single(..))`); a name the way out leaves the function with, which must keep its value.
        string local = Scope.FreeName(model, map.SpanStart, "dmaAddress");
        StatementSyntax store = statement.ReplaceNode(map, SyntaxFactory.IdentifierName(local).WithTriviaFrom(map));
        return root.ReplaceNode(statement, new[]
        {
            Declare(local, map).WithLeadingTrivia(statement.GetLeadingTrivia()),
            Check(SyntaxFactory.IdentifierName(local), failure),
            store.WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation),
        });
    }

    /// <summary>
    /// 8139cp's <c>cp_rx_poll</c> as the kernel fixed it: the replacement mapped into a name of its own before the old
    /// mapping is unmapped (<see cref="RemapFirst"/>), checked there, and given to the name where it was mapped before.
    /// </summary>
    private static SyntaxNode? RemappedFirst(SyntaxNode root, SemanticModel model, StatementSyntax statement, ExpressionSyntax kept, bool inline,
        InvocationExpressionSyntax map, System.Func<ExpressionSyntax, StatementSyntax[], StatementSyntax> check, ExpressionSyntax error, bool usedElsewhere)
    {
        if (inline || RemapFirst.Unmap(model, statement, kept, map) is not ExpressionStatementSyntax unmap
            || EarlyExits.Failure(model, unmap, error, usedElsewhere, map, out _) is not StatementSyntax[] leave)
        {
            return null;
        }

        string name = ((IdentifierNameSyntax)kept).Identifier.ValueText;
        string replacement = Scope.FreeName(model, unmap.SpanStart, name.Length > 0 ? "new" + char.ToUpperInvariant(name[0]) + name.Substring(1) : "newMapping");
        SyntaxNode tracked = root.TrackNodes(unmap, statement);
        tracked = tracked.ReplaceNode(tracked.GetCurrentNode(statement)!, statement.ReplaceNode(map, SyntaxFactory.IdentifierName(replacement).WithTriviaFrom(map)));
        return tracked.InsertNodesBefore(tracked.GetCurrentNode(unmap)!, new[]
        {
            Declare(replacement, map).WithLeadingTrivia(unmap.GetLeadingTrivia()),
            check(SyntaxFactory.IdentifierName(replacement), leave),
        });
    }

    private static StatementSyntax Declare(string name, InvocationExpressionSyntax map) =>
        FixDocument.Generated(SyntaxFactory.ParseStatement($"{Names.DmaAddr} {name} = {map.WithoutTrivia()};"));

    /// <summary>
    /// Whether the use the diagnostic names is in another function than the mapping (kept in a request and unmapped by
    /// the completion): that function goes on whatever this one does on failure.
    /// </summary>
    private static bool UsedElsewhere(Diagnostic diagnostic, SyntaxNode at) =>
        diagnostic.AdditionalLocations.FirstOrDefault() is Location use
        && (use.SourceTree != at.SyntaxTree || Scope.EnclosingFunction(at) is not SyntaxNode function || !function.Span.Contains(use.SourceSpan));

    /// <summary>
    /// The statement that keeps the mapping, the name it is kept in, and whether the mapping is inside the value
    /// stored there (<c>ring[entry].Addr = (uint)Dma.MapSingle(..).Raw</c>: only read through casts, parentheses and its
    /// members, so it can be taken out into a local first).
    /// </summary>
    private static (StatementSyntax, ExpressionSyntax, bool)? Kept(InvocationExpressionSyntax map)
    {
        ExpressionSyntax value = map;
        while (value.Parent is CastExpressionSyntax or ParenthesizedExpressionSyntax
            || (value.Parent is MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } member && member.Expression == value))
        {
            value = (ExpressionSyntax)value.Parent;
        }

        bool inline = value != map;
        return value.Parent switch
        {
            EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: LocalDeclarationStatementSyntax declaration } } declarator } =>
                (declaration, SyntaxFactory.IdentifierName(declarator.Identifier.ValueText), inline),
            AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Parent: ExpressionStatementSyntax statement } assignment
                when assignment.Right == value && Readable(assignment.Left) => (statement, assignment.Left, inline),
            _ => null,
        };
    }

    /// <summary>A chain of names and elements indexed by names and constants (<c>sgt[i].DmaAddress</c>): reading it again reads the mapping.</summary>
    private static bool Readable(ExpressionSyntax target) => target switch
    {
        IdentifierNameSyntax or ThisExpressionSyntax => true,
        MemberAccessExpressionSyntax member => Readable(member.Expression),
        ElementAccessExpressionSyntax element => Readable(element.Expression)
            && element.ArgumentList.Arguments.All(a => a.Expression is IdentifierNameSyntax or LiteralExpressionSyntax),
        _ => false,
    };
}
