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
using P2PAnalyzers.CodeFixes.Shared;
using P2PAnalyzers.Rules;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// P2P0003: when the builder is recognised whole (<see cref="HandBuiltTableShape"/>), its loop collects the CPU-physical
/// ranges and it returns <c>DmaBufMapping.PhysVecToSgt(attach, provider, ranges, total, dir)</c>; the class's
/// <c>UnmapDmaBuf</c> becomes <c>DmaBufMapping.FreeSgt(attach, table, dir)</c>. Needs one P2P provider in scope.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0003HandBuiltDmaOnlyTableCodeFix)), Shared]
public sealed class P2P0003HandBuiltDmaOnlyTableCodeFix : P2PCodeFix
{
    private protected override string RuleId => RuleIdentifiers.HandBuiltDmaOnlyTable;

    private protected override string Title(Diagnostic diagnostic) => "Build the table with DmaBufMapping.PhysVecToSgt";

    /// <summary>
    /// The builder as kernel drivers split it (another class or file, a helper handed the entry): <see cref="TableBuilderRewrite"/>;
    /// a table built once at export and kept in a field: <see cref="KeptTableRewrite"/>.
    /// </summary>
    private protected override Task<UnitFix?> RewriteUnitAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken) => UnitFix.FirstAsync(
        (() => TableBuilders.FromReturnAsync(document, diagnostic, diagnostic.Properties.GetValueOrDefault(P2P0003HandBuiltDmaOnlyTableAnalyzer.BuilderProperty), cancellationToken),
            TableBuilders.Title),
        (() => KeptTableRewrite.FromReturnAsync(document, diagnostic, cancellationToken), KeptTableRewrite.Title));

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<TypeDeclarationSyntax>() is TypeDeclarationSyntax type
        && diagnostic.Properties.TryGetValue(P2P0003HandBuiltDmaOnlyTableAnalyzer.BuilderProperty, out string? builderName)
        && Rewrite(model, type, builderName!, cancellationToken) is SyntaxNode newType
            ? root.ReplaceNode(type, newType)
            : null;

    private static SyntaxNode? Rewrite(SemanticModel model, TypeDeclarationSyntax type, string builderName, CancellationToken cancellationToken)
    {
        // Half-typed or pasted code can declare a method twice: then the builder is ambiguous and the fix declines.
        MethodDeclarationSyntax? builder = OnlyOne(type.Members.OfType<MethodDeclarationSyntax>().Where(m => m.Identifier.ValueText == builderName));
        MethodDeclarationSyntax? unmap = OnlyOne(type.Members.OfType<MethodDeclarationSyntax>().Where(m => m.Identifier.ValueText == "UnmapDmaBuf" && m.ParameterList.Parameters.Count == 3));
        if (builder?.Body is not BlockSyntax body || unmap is null
            || model.GetDeclaredSymbol(builder, cancellationToken)?.ReturnType.OriginalDefinition.ToDisplayString() != "P2PDma.Mapping.DmaResult<T>"
            || HandBuiltTableShape.Of(body, model, cancellationToken) is not HandBuiltTableShape shape)
        {
            return null;
        }

        Compilation compilation = model.Compilation;
        int at = shape.Loop.SpanStart;
        ExpressionSyntax? attach = Scope.Unique(model, at, compilation.GetTypeByMetadataName("P2PDma.DmaBuf.DmaBufAttachment"));
        ExpressionSyntax? direction = Scope.Unique(model, at, compilation.GetTypeByMetadataName("P2PDma.Mapping.DmaDirection"));
        ExpressionSyntax? provider = Scope.Unique(model, at, compilation.GetTypeByMetadataName("P2PDma.P2P.P2PProvider"));
        if (attach is null || direction is null || provider is null)
        {
            return null;
        }

        string ranges = Scope.FreeName(model, at, "ranges");
        string total = Scope.FreeName(model, at, "total");
        var loopBody = new List<StatementSyntax>(shape.Kept)
        {
            FixDocument.Statement($"{ranges}.Add(new {Names.PhysRange}({shape.Phys.WithoutTrivia()}, {shape.Length.WithoutTrivia()}));"),
            FixDocument.Statement($"{total} += {shape.Length.WithoutTrivia()};"),
        };
        StatementSyntax loop = shape.Loop switch
        {
            ForStatementSyntax f => f.WithStatement(Block(f.Statement, loopBody)),
            ForEachStatementSyntax e => e.WithStatement(Block(e.Statement, loopBody)),
            _ => shape.Loop,
        };

        StatementSyntax[] prologue =
        {
            FixDocument.Statement($"var {ranges} = new {Names.List}<{Names.PhysRange}>();").WithLeadingTrivia(shape.Allocation.GetLeadingTrivia()),
            FixDocument.Statement($"ulong {total} = 0;"),
        };
        StatementSyntax @return = FixDocument.Generated(SyntaxFactory.ParseStatement(
            $"return {Names.DmaBufMapping}.PhysVecToSgt({attach}, {provider}, {ranges}, {total}, {direction});")).WithTriviaFrom(shape.Return);

        SyntaxNode tracked = type.TrackNodes(new SyntaxNode[] { shape.Allocation, shape.Loop, shape.Return, unmap }.Concat(shape.DropAfter));
        tracked = tracked.ReplaceNode(tracked.GetCurrentNode(shape.Loop)!, loop);
        tracked = tracked.ReplaceNode(tracked.GetCurrentNode(shape.Return)!, @return);
        foreach (StatementSyntax drop in shape.DropAfter)
        {
            tracked = tracked.RemoveNode(tracked.GetCurrentNode(drop)!, SyntaxRemoveOptions.KeepNoTrivia)!;
        }

        tracked = tracked.ReplaceNode(tracked.GetCurrentNode(shape.Allocation)!, prologue);
        MethodDeclarationSyntax currentUnmap = tracked.GetCurrentNode(unmap)!;
        return tracked.ReplaceNode(currentUnmap, FreeSgt(currentUnmap));
    }

    private static T? OnlyOne<T>(IEnumerable<T> candidates)
        where T : class
    {
        T[] found = candidates.Take(2).ToArray();
        return found.Length == 1 ? found[0] : null;
    }

    private static BlockSyntax Block(StatementSyntax original, List<StatementSyntax> statements) =>
        original is BlockSyntax block ? block.WithStatements(SyntaxFactory.List(statements)) : FixDocument.Generated(SyntaxFactory.Block(statements));

    /// <summary><c>UnmapDmaBuf(attach, table, dir)</c> gives the table back to <c>DmaBufMapping.FreeSgt</c>.</summary>
    private static MethodDeclarationSyntax FreeSgt(MethodDeclarationSyntax unmap)
    {
        SeparatedSyntaxList<ParameterSyntax> p = unmap.ParameterList.Parameters;
        StatementSyntax call = FixDocument.Statement(
            $"{Names.DmaBufMapping}.FreeSgt({p[0].Identifier.ValueText}, {p[1].Identifier.ValueText}, {p[2].Identifier.ValueText});");
        return unmap.WithExpressionBody(null).WithSemicolonToken(default)
            .WithBody(unmap.Body is BlockSyntax body ? body.WithStatements(SyntaxFactory.SingletonList(call)) : FixDocument.Generated(SyntaxFactory.Block(call)));
    }
}
