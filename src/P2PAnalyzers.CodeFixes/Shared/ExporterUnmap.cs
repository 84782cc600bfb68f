using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>What of an exporter's <c>UnmapDmaBuf</c> undoes the hand-built table, for the unit rewrites to replace with <c>FreeSgt</c>.</summary>
internal static class ExporterUnmap
{
    /// <summary>
    /// What of the exporter's <c>UnmapDmaBuf(attach, table, dir)</c> unmaps the table's entries, and its replacement
    /// <c>DmaBufMapping.FreeSgt(attach, table, dir)</c>: the one statement that does it (a loop of
    /// <c>Dma.UnmapResource(attach.Device, sg.DmaAddress, ...)</c>, or one unmap of the first entry's range), or the one
    /// call of a helper of the compilation that does only that (amdgpu_vram_mgr_free_sgt), which then goes if nothing
    /// else calls it; an empty body (nothing was mapped) gets that statement.
    /// </summary>
    public static (SyntaxNode Node, SyntaxNode Replacement, IMethodSymbol? Helper)? UnmapStatement(TypeDeclarationSyntax exporter, SolutionModels models, CancellationToken cancellationToken)
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
            // FreeSgt frees the table: what the body stores into it afterwards (the 2022 VFIO RFC restored orig_nents)
            // goes with the loop; any other use of it after the loop declines.
            var after = body.Statements.SkipWhile(st => st != loop).Skip(1).ToList();
            var stores = after.Where(st => st is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax owner } } }
                && owner.Identifier.ValueText == table).ToList();
            if (after.Except(stores).Any(st => st.DescendantNodes().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == table)))
            {
                return null;
            }

            StatementSyntax free = FixDocument.Statement(freeSgt + ";").WithTriviaFrom(loop);
            return stores.Count == 0
                ? (loop, free, null)
                : (body, body.WithStatements(SyntaxFactory.List(body.Statements.Where(st => !stores.Contains(st)).Select(st => st == loop ? free : st))), null);
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
}
