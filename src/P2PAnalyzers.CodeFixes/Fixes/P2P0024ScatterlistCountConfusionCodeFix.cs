using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;
using P2PAnalyzers.CodeFixes.Shared;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// P2P0024: passes the nents the map call was given instead of the segment count it returned, as the kernel's fixes
/// did (<c>data-&gt;sg_len</c>, <c>task-&gt;num_scatter</c>). Offered when that expression still means the same where
/// the unmap or sync is: the map call's own nents, in the same function, when nothing there stores into it; or, in a
/// completion elsewhere, the member beside the table the map call was given, read from the table the unmap is given
/// (<c>data.Sg</c> mapped with <c>data.SgLen</c>: unmapping <c>other.Sg</c> takes <c>other.SgLen</c>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0024ScatterlistCountConfusionCodeFix)), Shared]
public sealed class P2P0024ScatterlistCountConfusionCodeFix : P2PCodeFix
{
    private protected override string RuleId => RuleIdentifiers.ScatterlistCountConfusion;

    // The title names the expression, which only the rewrite finds.
    private protected override string Title(Diagnostic diagnostic) => "Pass the nents given to the map call";

    private protected override (SyntaxNode Root, string Title)? RewriteTitled(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        diagnostic.AdditionalLocations.FirstOrDefault() is not Location at || at.SourceTree?.FilePath != model.SyntaxTree.FilePath ? null
        : IsLoop(diagnostic) ? SgLoopBound.Rewrite(root, model, diagnostic, cancellationToken) ?? SgWalkBound.Rewrite(root, model, diagnostic, cancellationToken)
        : Fix(root, model, diagnostic, model, cancellationToken);

    private static bool IsLoop(Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(PropertyNames.Kind, out string? kind) && kind == P2PAnalyzers.Rules.P2P0024ScatterlistCountConfusionAnalyzer.LoopKind;

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        RewriteTitled(root, model, diagnostic, cancellationToken)?.Root;

    /// <summary>The map call in another file (a completion apart from the submission): the same rewrite, with that file's model.</summary>
    private protected override async Task<UnitFix?> RewriteUnitAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        string? path = diagnostic.AdditionalLocations.FirstOrDefault()?.SourceTree?.FilePath;
        Document? mapDocument = document.Project.Documents.FirstOrDefault(d => d.FilePath == path && d.Id != document.Id);
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        SemanticModel? mapModel = mapDocument is null ? null : await mapDocument.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || mapModel is null
            || Fix(root, model, diagnostic, mapModel, cancellationToken) is not (SyntaxNode newRoot, string title))
        {
            return null;
        }

        return new UnitFix(document.WithSyntaxRoot(newRoot).Project.Solution, title);
    }

    private static (SyntaxNode Root, string Title)? Fix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, SemanticModel mapModel, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<ArgumentSyntax>() is not ArgumentSyntax argument
            || argument.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax unmapSyntax
            || model.GetOperation(unmapSyntax, cancellationToken) is not IInvocationOperation unmap
            || SgEntryCounts.Table(unmap)?.Value is not IOperation unmapTable
            || MapCall(diagnostic, mapModel, cancellationToken) is not IInvocationOperation map
            || SgEntryCounts.Nents(map)?.Value is not IOperation given
            || SgEntryCounts.Table(map)?.Value is not IOperation mapTable)
        {
            return null;
        }

        ExpressionSyntax? nents = SameFunction(given, unmap, mapModel, model, argument, cancellationToken)
            ?? BesideTheTable(given, mapTable, unmapTable, model, argument.SpanStart, cancellationToken)
            ?? CountOfTheTable(given, mapTable, unmapTable, model, argument.SpanStart, cancellationToken);
        if (nents is null)
        {
            // Overwritten with the returned count in this function: a copy taken just before the map call. A map made
            // through a thin wrapper (rw.c's ib_dma_map_sg) is the wrapper's call in this function, its nents the
            // argument the wrapper hands on.
            bool here = mapModel == model;
            if (WrapperCallHere(model, map, unmap, unmapTable, cancellationToken) is (IInvocationOperation outer, IOperation outerGiven))
            {
                (map, given, here) = (outer, outerGiven, true);
                nents = SameFunction(given, unmap, model, model, argument, cancellationToken);
            }

            if (nents is null)
            {
                return here && SavedNents.Rewrite(root, model, given, map, argument, cancellationToken) is (SyntaxNode saved, string name)
                    ? (saved, $"Keep the nents given to {Origin.OfCall(map.TargetMethod)} in '{name}' and pass it")
                    : null;
            }
        }

        SyntaxNode newRoot = root.ReplaceNode(argument.Expression, nents.WithTriviaFrom(argument.Expression));
        return (newRoot, $"Pass '{nents}', the nents given to Dma.{map.TargetMethod.Name}");
    }

    /// <summary>
    /// For a library map call inside a thin wrapper, the one call of that wrapper (or of another wrapper of the same
    /// library method) in the unmap's function that is given the table the unmap is given, and the argument it gives for
    /// the library's nents.
    /// </summary>
    private static (IInvocationOperation, IOperation)? WrapperCallHere(SemanticModel model, IInvocationOperation map, IInvocationOperation unmap, IOperation unmapTable, CancellationToken cancellationToken)
    {
        if (KnownSymbols.TryGet(model.Compilation) is not KnownSymbols k || SgEntryCounts.Nents(map)?.Parameter?.Name is not string nentsName
            || SgEntryCounts.Table(map)?.Parameter?.Name is not string tableName
            || Scope.EnclosingFunction(unmap.Syntax) is not SyntaxNode function)
        {
            return null;
        }

        (IInvocationOperation, IOperation)? found = null;
        foreach (InvocationExpressionSyntax call in function.DescendantNodes().OfType<InvocationExpressionSyntax>().Where(c => c.SpanStart < unmap.Syntax.SpanStart))
        {
            if (model.GetOperation(call, cancellationToken) is IInvocationOperation outer
                && !SymbolEqualityComparer.Default.Equals(outer.TargetMethod.OriginalDefinition, map.TargetMethod.OriginalDefinition)
                && SymbolEqualityComparer.Default.Equals(ThinWrappers.LibraryOf(outer.TargetMethod, k)?.OriginalDefinition, map.TargetMethod.OriginalDefinition)
                && ThinWrappers.Argument(outer, tableName, k)?.Value is IOperation table && Same(Unwrap(table)!, Unwrap(unmapTable)!)
                && ThinWrappers.Argument(outer, nentsName, k)?.Value is IOperation outerGiven)
            {
                if (found is not null)
                {
                    return null; // two such calls: which one made this mapping is not known here
                }

                found = (outer, outerGiven);
            }
        }

        return found;
    }

    /// <summary>The map call: the first additional location (the analyzer puts it there), in <paramref name="mapModel"/>'s file.</summary>
    private static IInvocationOperation? MapCall(Diagnostic diagnostic, SemanticModel mapModel, CancellationToken cancellationToken) =>
        diagnostic.AdditionalLocations.FirstOrDefault() is Location at
        && mapModel.SyntaxTree.GetRoot(cancellationToken).FindNode(at.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is InvocationExpressionSyntax call
        && mapModel.GetOperation(call, cancellationToken) is IInvocationOperation map
        && SgEntryCounts.Nents(map) is not null
            ? map
            : null;

    /// <summary>
    /// The map call's nents, when the map and the unmap share a function that never stores into it (a count kept in
    /// <c>nents</c> itself by <c>nents = dma_map_sg(.., nents, ..)</c> is gone) and it binds to the same symbols there.
    /// </summary>
    private static ExpressionSyntax? SameFunction(IOperation given, IInvocationOperation unmap, SemanticModel mapModel, SemanticModel model, ArgumentSyntax argument, CancellationToken cancellationToken)
    {
        SyntaxNode? function = Scope.EnclosingFunction(unmap.Syntax);
        if (function is null || mapModel != model || Scope.EnclosingFunction(given.Syntax) != function
            || given.Syntax is not ExpressionSyntax expression
            || !Assignments.Unassigned(expression, function, model, cancellationToken)
            || !Scope.BindsAlike(expression, model, argument.SpanStart, cancellationToken))
        {
            return null;
        }

        return expression.WithoutTrivia();
    }

    /// <summary>
    /// <c>R.M</c> given beside the table <c>R.T…</c>, and the unmap given the table <c>R'.T…</c> (the same members):
    /// <c>R'.M</c>, the same request's count read where the unmap is.
    /// </summary>
    private static ExpressionSyntax? BesideTheTable(IOperation given, IOperation mapTable, IOperation unmapTable, SemanticModel model, int position, CancellationToken cancellationToken)
    {
        if (Unwrap(given) is not IMemberReferenceOperation { Instance: IOperation owner } count
            || count.Member is not (IFieldSymbol or IPropertySymbol))
        {
            return null;
        }

        // Walk both tables up their member chains, in step, until the map's reaches the count's owner.
        IOperation? m = Unwrap(mapTable);
        IOperation? u = Unwrap(unmapTable);
        while (m is not null && u is not null && !Same(m, owner))
        {
            if (m is not IMemberReferenceOperation mm || u is not IMemberReferenceOperation um
                || !SymbolEqualityComparer.Default.Equals(mm.Member, um.Member))
            {
                return null;
            }

            m = Unwrap(mm.Instance);
            u = Unwrap(um.Instance);
        }

        if (m is null || u?.Syntax is not ExpressionSyntax receiver || !Assignments.PathOnly(receiver))
        {
            return null;
        }

        ExpressionSyntax candidate = SyntaxFactory.ParseExpression($"{receiver.WithoutTrivia()}.{count.Member.Name}");
        return model.GetSpeculativeSymbolInfo(position, candidate, SpeculativeBindingOption.BindAsExpression).Symbol is ISymbol bound
            && SymbolEqualityComparer.Default.Equals(bound, count.Member)
            ? candidate
            : null;
    }

    /// <summary>
    /// <c>C(T)</c> given, where <c>C</c> is a static method of the compilation that only reads its table's entry count
    /// (<c>=&gt; sg.Count</c> or <c>OrigNents</c>: the kernel's <c>sg_nents()</c>), and <c>T</c> the table mapped: the
    /// same call on the table the unmap is given (rockchip's "Fix dma_unmap_sg() nents value": <c>sg_nents(areq-&gt;src)</c>).
    /// </summary>
    private static ExpressionSyntax? CountOfTheTable(IOperation given, IOperation mapTable, IOperation unmapTable, SemanticModel model, int position, CancellationToken cancellationToken)
    {
        if (Unwrap(given) is not IInvocationOperation { TargetMethod: { IsStatic: true, Parameters.Length: 1 } counter, Arguments: [IArgumentOperation only] }
            || !Same(Unwrap(only.Value)!, Unwrap(mapTable)!)
            || counter.DeclaringSyntaxReferences is not [SyntaxReference reference]
            || reference.GetSyntax(cancellationToken) is not MethodDeclarationSyntax { ExpressionBody.Expression: MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax read, Name.Identifier.ValueText: "Count" or "OrigNents" } }
            || read.Identifier.ValueText != counter.Parameters[0].Name
            || unmapTable.Syntax is not ExpressionSyntax table || !Assignments.PathOnly(table))
        {
            return null;
        }

        ExpressionSyntax candidate = SyntaxFactory.ParseExpression($"{counter.Name}({table.WithoutTrivia()})");
        return model.GetSpeculativeSymbolInfo(position, candidate, SpeculativeBindingOption.BindAsExpression).Symbol is IMethodSymbol bound
            && SymbolEqualityComparer.Default.Equals(bound.OriginalDefinition, counter.OriginalDefinition)
            ? candidate
            : null;
    }

    private static bool Same(IOperation a, IOperation b) =>
        a.Syntax == b.Syntax
        || (a is ILocalReferenceOperation la && b is ILocalReferenceOperation lb && SymbolEqualityComparer.Default.Equals(la.Local, lb.Local))
        || (a is IParameterReferenceOperation pa && b is IParameterReferenceOperation pb && SymbolEqualityComparer.Default.Equals(pa.Parameter, pb.Parameter))
        || (a is IInstanceReferenceOperation && b is IInstanceReferenceOperation)
        || (a is IMemberReferenceOperation ma && b is IMemberReferenceOperation mb && SymbolEqualityComparer.Default.Equals(ma.Member, mb.Member)
            && (ma.Instance is null ? mb.Instance is null : mb.Instance is not null && Same(ma.Instance, mb.Instance)));

    private static IOperation? Unwrap(IOperation? operation) =>
        operation is IConversionOperation { IsImplicit: true } conversion ? Unwrap(conversion.Operand) : operation;
}
