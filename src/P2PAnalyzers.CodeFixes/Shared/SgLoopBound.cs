using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// P2P0024's loop half: a <c>for</c> over the DMA segments bounded by the nents given to the map call, bounded by the
/// count it returned instead (the DMA API documentation's <c>for_each_sg(sglist, sg, count, i)</c>).
/// </summary>
/// <remarks>
/// The count is the local the map call's result is stored in. When that local is written again before the loop can
/// read it (sahara stores both lists' counts in <c>ret</c>), the count is copied into a local of its own right after
/// the map call. Reads of the nents in the body that test for the last segment (<c>i == n - 1</c>, sahara's link
/// terminator) change with the bound, or the chain would end past the mapped segments; any other read of it in the
/// body (a length divided by it, an index on the CPU side) means the body mixes both counts: no fix. A body that sizes
/// its descriptors by the CPU length of the entry whose DMA address it reads (sahara's <c>min(len, sg-&gt;length)</c>)
/// reads <c>DmaLength</c> instead (<c>sg_dma_len</c>): a merged segment is longer than its first entry, and bounded by the
/// count, the per-entry lengths would program fewer bytes than were mapped. The CPU length of any other entry: no fix.
/// </remarks>
internal static class SgLoopBound
{
    public static (SyntaxNode Root, string Title)? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        // (A map call in another method, found through the member that holds the table, has no count local here.)
        if (diagnostic.AdditionalLocations[0].SourceTree != diagnostic.Location.SourceTree
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax bound
            || bound.Parent is not BinaryExpressionSyntax { Parent: ForStatementSyntax loop } condition || condition.Right != bound
            || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax map
            || CountLocal(map, model, cancellationToken) is not ILocalSymbol count
            || Scope.EnclosingFunction(map) is not SyntaxNode function || Scope.EnclosingFunction(bound) != function
            || model.GetOperation(map, cancellationToken) is not IInvocationOperation mapCall
            || SgEntryCounts.Nents(mapCall)?.Value.Syntax is not ExpressionSyntax given)
        {
            return null;
        }

        // The entry count given may be one operand of the bound (for (i = start; i < n + start; i++)): only it changes.
        ExpressionSyntax replaced = bound is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression } sum
            ? Same(sum.Left, given) ? sum.Left : Same(sum.Right, given) ? sum.Right : bound
            : bound;
        if (!Same(replaced, given))
        {
            return null;
        }

        HashSet<string> counters = Counters(loop);
        var reads = loop.Statement.DescendantNodes().OfType<ExpressionSyntax>().Where(e => Same(e, given)).ToList();
        if (counters.Count == 0 || reads.Any(r => !TestsLastSegment(r, counters))
            || CpuLengths(loop, model, cancellationToken) is not List<MemberAccessExpressionSyntax> lengths
            || lengths.Any(l => reads.Any(r => r.Span.IntersectsWith(l.Span))))
        {
            return null;
        }

        var changed = new List<ExpressionSyntax>(reads) { replaced };
        changed.AddRange(lengths);
        string sized = lengths.Count > 0 ? " and size its descriptors by DmaLength" : string.Empty;
        if (KeptUntil(loop, count, map, function, model, cancellationToken))
        {
            return (root.ReplaceNodes(changed, (old, _) => Rewritten(old, count.Name, lengths)),
                $"Loop over '{count.Name}', the DMA segment count Dma.MapSg returned{sized}");
        }

        string stem = LastName(SgEntryCounts.Table(mapCall)?.Value.Syntax);
        return CopiedCount(root, model, map, loop, count, changed, lengths, function, stem.Length > 0 ? Camel(stem) + "Count" : "mappedCount", sized);
    }

    /// <summary>
    /// The body's reads of an entry's CPU <c>Length</c>, each on an entry whose <c>DmaAddress</c> the body reads too;
    /// null when one is on another entry (a CPU-side list, which keeps its length and the nents), or when the body also
    /// reads the CPU side of such an entry (its <c>Phys</c>, <c>Page</c> or <c>Offset</c>): the length may size that.
    /// </summary>
    private static List<MemberAccessExpressionSyntax>? CpuLengths(ForStatementSyntax loop, SemanticModel model, CancellationToken cancellationToken)
    {
        var accesses = loop.Statement.DescendantNodes().OfType<MemberAccessExpressionSyntax>()
            .Where(m => model.GetTypeInfo(m.Expression, cancellationToken).Type?.Name == "Scatterlist").ToList();
        var addressed = accesses.Where(m => m.Name.Identifier.ValueText == "DmaAddress").Select(m => m.Expression).ToList();
        var lengths = accesses.Where(m => m.Name.Identifier.ValueText == "Length").ToList();
        // A length beside the entry's CPU side (its Phys, Page or Offset) may size a CPU range, not a DMA segment.
        bool cpuSide = accesses.Any(m => m.Name.Identifier.ValueText is "Phys" or "Page" or "Offset" && addressed.Any(a => Same(a, m.Expression)));
        return lengths.Count == 0 || (!cpuSide && lengths.All(l => addressed.Any(a => Same(a, l.Expression)))) ? lengths : null;
    }

    /// <summary>A read of the nents becomes the count; an entry's CPU length its DMA length.</summary>
    private static SyntaxNode Rewritten(SyntaxNode old, string count, List<MemberAccessExpressionSyntax> lengths) => old is MemberAccessExpressionSyntax length && lengths.Contains(length)
        ? length.WithName(SyntaxFactory.IdentifierName("DmaLength").WithTriviaFrom(length.Name))
        : SyntaxFactory.IdentifierName(count).WithTriviaFrom(old);

    /// <summary>The local the map call's result initialises or is assigned to.</summary>
    public static ILocalSymbol? CountLocal(InvocationExpressionSyntax map, SemanticModel model, CancellationToken cancellationToken) => map.Parent switch
    {
        EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } => model.GetDeclaredSymbol(declarator, cancellationToken) as ILocalSymbol,
        AssignmentExpressionSyntax { Left: IdentifierNameSyntax name } assignment when assignment.Right == map => model.GetSymbolInfo(name, cancellationToken).Symbol as ILocalSymbol,
        _ => null,
    };

    /// <summary>True when the count local still holds the map call's result at the loop: no other store into it, and it binds there.</summary>
    private static bool KeptUntil(ForStatementSyntax loop, ILocalSymbol count, InvocationExpressionSyntax map, SyntaxNode function, SemanticModel model, CancellationToken cancellationToken) =>
        function.DescendantNodes().Where(n => Assignments.Writes(n, count, model, cancellationToken)).All(n => n.Span.Contains(map.Span) || n == map.Parent)
        && SymbolEqualityComparer.Default.Equals(
            model.GetSpeculativeSymbolInfo(loop.SpanStart, SyntaxFactory.IdentifierName(count.Name), SpeculativeBindingOption.BindAsExpression).Symbol, count);

    /// <summary>
    /// <c>ret = Dma.MapSg(..)</c> followed, in the same block, by <c>int inSgCount = ret;</c>, and the loop (later in that
    /// block) over the copy. Declined when a label between them could skip the copy.
    /// </summary>
    private static (SyntaxNode Root, string Title)? CopiedCount(SyntaxNode root, SemanticModel model, InvocationExpressionSyntax map, ForStatementSyntax loop,
        ILocalSymbol count, List<ExpressionSyntax> changed, List<MemberAccessExpressionSyntax> lengths, SyntaxNode function, string preferred, string sized)
    {
        if (map.Parent?.Parent is not StatementSyntax { Parent: BlockSyntax block } statement
            || block.Statements.IndexOf(statement) is int at && at < 0
            || block.Statements.Skip(at + 1).FirstOrDefault(s => s.Span.Contains(loop.Span)) is not StatementSyntax holder
            || block.Statements.Skip(at + 1).TakeWhile(s => s != holder).Any(s => s is LabeledStatementSyntax)
            || holder is LabeledStatementSyntax)
        {
            return null;
        }

        var declared = new HashSet<string>(function.DescendantNodes().OfType<VariableDeclaratorSyntax>().Select(d => d.Identifier.ValueText));
        string name = Scope.FreeName(model, loop.SpanStart, preferred);
        for (int i = 2; declared.Contains(name); i++)
        {
            name = Scope.FreeName(model, loop.SpanStart, preferred + i);
        }

        BlockSyntax newBlock = block.ReplaceNodes(changed, (old, _) => Rewritten(old, name, lengths));
        newBlock = newBlock.WithStatements(newBlock.Statements.Insert(at + 1,
            FixDocument.Statement($"int {name} = {count.Name};")));
        return (root.ReplaceNode(block, newBlock), $"Loop over '{name}', the DMA segment count Dma.MapSg returned{sized}");
    }

    /// <summary>The loop variables: what the loop's incrementors step.</summary>
    private static HashSet<string> Counters(ForStatementSyntax loop)
    {
        var names = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (ExpressionSyntax step in loop.Incrementors)
        {
            ExpressionSyntax? target = step switch
            {
                PostfixUnaryExpressionSyntax p => p.Operand,
                PrefixUnaryExpressionSyntax p => p.Operand,
                AssignmentExpressionSyntax a => a.Left,
                _ => null,
            };
            if (target is IdentifierNameSyntax id)
            {
                names.Add(id.Identifier.ValueText);
            }
        }

        return names;
    }

    /// <summary>
    /// A read of the nents inside a sum compared with a loop variable: <c>i == n - 1</c>, <c>j == (n + i - 1)</c>,
    /// <c>i + 1 &lt; n</c>: a test for the last segment, which must follow the bound.
    /// </summary>
    private static bool TestsLastSegment(ExpressionSyntax read, HashSet<string> counters)
    {
        SyntaxNode side = read;
        while (side.Parent is ParenthesizedExpressionSyntax
            or BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression or (int)SyntaxKind.SubtractExpression })
        {
            side = side.Parent;
        }

        return side.Parent is BinaryExpressionSyntax comparison
            && comparison.Kind() is SyntaxKind.EqualsExpression or SyntaxKind.NotEqualsExpression or SyntaxKind.LessThanExpression
                or SyntaxKind.LessThanOrEqualExpression or SyntaxKind.GreaterThanExpression or SyntaxKind.GreaterThanOrEqualExpression
            && (comparison.Left == side ? comparison.Right : comparison.Left) is ExpressionSyntax other
            && other.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => counters.Contains(n.Identifier.ValueText))
            && !side.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => counters.Contains(n.Identifier.ValueText));
    }

    private static string LastName(SyntaxNode? table) => table switch
    {
        IdentifierNameSyntax id => id.Identifier.ValueText,
        MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
        _ => string.Empty,
    };

    private static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);

    private static bool Same(ExpressionSyntax a, ExpressionSyntax b) => a.WithoutTrivia().IsEquivalentTo(b.WithoutTrivia(), topLevel: false);
}
