using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// A table built once at export with the BAR address as the DMA address and kept in a field (the 2021 habanalabs
/// exporter: <c>alloc_sgt_from_device_pages</c> fills <c>hl_dmabuf-&gt;sgt</c>, <c>hl_map_dmabuf</c> returns
/// <c>&amp;hl_dmabuf-&gt;sgt</c>). No importer exists at export, so nothing can be mapped there: the builder keeps the
/// CPU-physical ranges and the provider instead (as VFIO keeps <c>priv-&gt;phys_vec</c> and <c>priv-&gt;provider</c>),
/// <c>MapDmaBuf</c> maps them per attachment with <c>DmaBufMapping.PhysVecToSgt</c>, and the empty <c>UnmapDmaBuf</c>
/// frees that table with <c>DmaBufMapping.FreeSgt</c>.
/// </summary>
/// <remarks>
/// Offered only when the field's every use is one of three: the allocation <c>r.F = SgTable.Alloc(n);</c> and one loop
/// <c>foreach (Scatterlist e in r.F)</c> in the builder's body, whose statements touch the entry only to reset its page
/// (<c>e.SetPage(null, ...)</c>) and store <c>e.DmaAddress = DmaAddr.FromRaw(a)</c> and <c>e.DmaLength = l</c>; and
/// <c>return y.F;</c> in an exporter's <c>MapDmaBuf</c> whose <c>UnmapDmaBuf</c> is empty. The BAR behind the addresses
/// must be found (<see cref="ProviderSynthesis"/>), and the entry count and length must be names the loop never assigns.
/// </remarks>
internal static class KeptTableRewrite
{
    public const string Title = "Keep the ranges and the provider at export; map them per attachment with DmaBufMapping.PhysVecToSgt";

    /// <summary>P2P0003 at <c>return y.F;</c>: the field whose table MapDmaBuf returns.</summary>
    public static async Task<Solution?> FromReturnAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        return root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is ExpressionSyntax returned
            && model?.GetSymbolInfo(returned, cancellationToken).Symbol is IFieldSymbol field
                ? await ApplyAsync(document.Project, field, cancellationToken).ConfigureAwait(false)
                : null;
    }

    /// <summary>P2P0001 at <c>e.DmaAddress = DmaAddr.FromRaw(a)</c> in a loop over a field's table.</summary>
    public static async Task<Solution?> FromEntryStoreAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax fromRaw
            || fromRaw.Parent is not AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaAddress", Expression: IdentifierNameSyntax entry } }
            || fromRaw.Ancestors().OfType<ForEachStatementSyntax>().FirstOrDefault(e => e.Identifier.ValueText == entry.Identifier.ValueText) is not ForEachStatementSyntax loop
            || model?.GetSymbolInfo(loop.Expression, cancellationToken).Symbol is not IFieldSymbol field)
        {
            return null;
        }

        return await ApplyAsync(document.Project, field, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Solution?> ApplyAsync(Project project, IFieldSymbol field, CancellationToken cancellationToken)
    {
        if (field.Type.ToDisplayString().TrimEnd('?') != "P2PDma.Mapping.SgTable" || field.IsStatic
            || field.DeclaringSyntaxReferences is not [var declared]
            || declared.GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: FieldDeclarationSyntax fieldDeclaration } }
            || fieldDeclaration.Parent is not TypeDeclarationSyntax holder)
        {
            return null;
        }

        SolutionModels models = await SolutionModels.OfAsync(project, cancellationToken).ConfigureAwait(false);
        if (Uses.Of(models.References(field, cancellationToken).ToList(), models, cancellationToken) is not Uses uses
            || Loop.Of(uses.Loop, uses.Count, models.ModelOf(uses.Loop), cancellationToken) is not Loop loop
            || ProviderSynthesis.Of(loop.Addresses, uses.Builder, models.ModelOf(uses.Builder), models, cancellationToken) is not ProviderSynthesis.DeviceBar bar
            || uses.Map.Parent is not TypeDeclarationSyntax exporter
            || ExporterUnmap.UnmapStatement(exporter, models, cancellationToken) is not (BlockSyntax emptyUnmap, SyntaxNode freeingUnmap, null))
        {
            return null;
        }

        INamedTypeSymbol? holderType = models.ModelOf(holder).GetDeclaredSymbol(holder, cancellationToken);
        string Free(string name) => holderType is null || holderType.GetMembers().Any(m => m.Name.StartsWith(name, System.StringComparison.Ordinal)) ? "" : name;
        string providerField = Free("Provider"), rangesField = Free("PhysVec"), sizeField = Free("PhysVecSize");
        if (providerField.Length == 0 || rangesField.Length == 0 || sizeField.Length == 0)
        {
            return null;
        }

        // The holder: the table's field gives way to what the builder keeps instead.
        MemberDeclarationSyntax[] kept =
        {
            FieldOf($"public {Names.P2PProvider} {providerField} = null!;").WithLeadingTrivia(fieldDeclaration.GetLeadingTrivia()),
            FieldOf($"public {Names.List}<{Names.PhysRange}> {rangesField} = new();"),
            FieldOf($"public ulong {sizeField};"),
        };

        // The builder: the provider where the table was allocated, the ranges where the entries were filled.
        SemanticModel builderModel = models.ModelOf(uses.Builder);
        string r = uses.Receiver;
        string provider = Scope.FreeName(builderModel, uses.Allocation.SpanStart, "provider");
        ExpressionSyntax invalid = SyntaxFactory.ParseExpression($"{Names.DmaError}.Invalid");
        var prologue = new List<StatementSyntax>(ProviderSynthesis.Declare(provider, bar, ErrorPath.For(builderModel, uses.Allocation, invalid)))
        {
            FixDocument.Statement($"{r}.{providerField} = {provider};"),
            FixDocument.Statement($"{r}.{rangesField} = new {Names.List}<{Names.PhysRange}>();"),
            FixDocument.Statement($"{r}.{sizeField} = 0;"),
        };
        prologue[0] = prologue[0].WithLeadingTrivia(uses.Allocation.GetLeadingTrivia());
        string index = Scope.FreeName(builderModel, uses.Loop.SpanStart, "entry");
        StatementSyntax newLoop = loop.Rewrite(index, uses.Count, $"{r}.{rangesField}", $"{r}.{sizeField}");

        // The exporter: map the kept ranges for each importer, free that table on unmap.
        MethodDeclarationSyntax map = uses.Map;
        string y = uses.MapReceiver;
        if (map.ParameterList.Parameters is not [var attach, var dir])
        {
            return null;
        }

        StatementSyntax mapped = FixDocument.Statement(
            $"return {Names.DmaBufMapping}.PhysVecToSgt({attach.Identifier.ValueText}, {y}.{providerField}, {y}.{rangesField}, {y}.{sizeField}, {dir.Identifier.ValueText});")
            .WithTriviaFrom(uses.Return);

        var edits = new Dictionary<SyntaxNode, IReadOnlyList<SyntaxNode>>
        {
            [fieldDeclaration] = kept,
            [uses.Allocation] = prologue,
            [uses.Loop] = new[] { newLoop },
            [uses.Return] = new[] { mapped },
            [emptyUnmap] = new[] { freeingUnmap },
        };
        return await SolutionEdits.ApplyAsync(project.Solution, models, edits, cancellationToken).ConfigureAwait(false);
    }

    private static MemberDeclarationSyntax FieldOf(string text) =>
        FixDocument.Generated(SyntaxFactory.ParseMemberDeclaration(text)!.WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithTrailingTrivia(SyntaxFactory.ElasticMarker));

    /// <summary>The three uses of the kept table's field, each where it must be.</summary>
    private sealed record Uses(MethodDeclarationSyntax Builder, string Receiver, StatementSyntax Allocation, ExpressionSyntax Count, ForEachStatementSyntax Loop,
        MethodDeclarationSyntax Map, string MapReceiver, ReturnStatementSyntax Return)
    {
        public static Uses? Of(List<SimpleNameSyntax> references, SolutionModels models, CancellationToken cancellationToken)
        {
            if (references.Count != 3 || references.Any(n => n.Parent is not MemberAccessExpressionSyntax m || m.Name != n || !Assignments.PathOnly(m.Expression)))
            {
                return null;
            }

            var accesses = references.Select(n => (MemberAccessExpressionSyntax)n.Parent!).ToList();
            var allocation = accesses.Select(a => a.Parent is AssignmentExpressionSyntax { Right: InvocationExpressionSyntax { ArgumentList.Arguments: [var count] } call } store
                    && store.Left == a && store.Parent is ExpressionStatementSyntax { Parent: BlockSyntax { Parent: MethodDeclarationSyntax builder } } statement
                    && models.ModelOf(call).GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol { Name: "Alloc", ContainingType.Name: "SgTable" }
                        ? (statement, builder, count.Expression, a.Expression.ToString())
                        : default).SingleOrDefault(x => x.statement is not null);
            var loop = accesses.Select(a => a.Parent as ForEachStatementSyntax).SingleOrDefault(e => e is not null && e.Expression is MemberAccessExpressionSyntax);
            var ret = accesses.Select(a => a.Parent as ReturnStatementSyntax).SingleOrDefault(r => r is not null);
            if (allocation.statement is null || loop is null || ret is null || loop.Parent != allocation.statement.Parent
                || loop.SpanStart < allocation.statement.Span.End || ((MemberAccessExpressionSyntax)loop.Expression).Expression.ToString() != allocation.Item4
                || ret.FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { Identifier.ValueText: "MapDmaBuf" } map || !map.Modifiers.Any(SyntaxKind.OverrideKeyword)
                || !Assignments.Unassigned(allocation.Item3, allocation.builder, models.ModelOf(allocation.builder), cancellationToken))
            {
                return null;
            }

            return new Uses(allocation.builder, allocation.Item4, allocation.statement, allocation.Item3, loop, map,
                ((MemberAccessExpressionSyntax)ret.Expression!).Expression.ToString(), ret);
        }
    }

    /// <summary>The fill loop: which statements touch the entry, and what each entry's range is.</summary>
    private sealed class Loop
    {
        private ForEachStatementSyntax _loop = null!;
        private ExpressionStatementSyntax _address = null!;
        private ExpressionStatementSyntax _length = null!;
        private readonly List<StatementSyntax> _resets = new();

        public ExpressionSyntax Address { get; private set; } = null!;

        public ExpressionSyntax Length { get; private set; } = null!;

        public IEnumerable<ExpressionSyntax> Addresses => new[] { Address };

        public static Loop? Of(ForEachStatementSyntax each, ExpressionSyntax count, SemanticModel model, CancellationToken cancellationToken)
        {
            if (each.Statement is not BlockSyntax body || model.GetDeclaredSymbol(each, cancellationToken) is not ILocalSymbol entry)
            {
                return null;
            }

            var loop = new Loop { _loop = each };
            foreach (StatementSyntax s in body.Statements)
            {
                bool mentions = s.DescendantNodes().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == entry.Name
                    && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, entry));
                if (!mentions)
                {
                    continue;
                }

                switch (s)
                {
                    case ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "SetPage", Expression: IdentifierNameSyntax target }, ArgumentList.Arguments: [{ Expression: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression } }, ..] } }
                        when target.Identifier.ValueText == entry.Name:
                        loop._resets.Add(s);
                        break;
                    case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaAddress", Expression: IdentifierNameSyntax target }, Right: InvocationExpressionSyntax { ArgumentList.Arguments: [var raw] } fromRaw } } address
                        when target.Identifier.ValueText == entry.Name && loop.Address is null
                        && model.GetSymbolInfo(fromRaw, cancellationToken).Symbol is IMethodSymbol { Name: "FromRaw", ContainingType.Name: "DmaAddr" }
                        && !Mentions(raw.Expression, entry, model, cancellationToken):
                        loop._address = address;
                        loop.Address = raw.Expression;
                        break;
                    case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaLength", Expression: IdentifierNameSyntax target }, Right: var length } } store
                        when target.Identifier.ValueText == entry.Name && loop.Length is null && Assignments.Unassigned(length, each, model, cancellationToken):
                        loop._length = store;
                        loop.Length = length;
                        break;
                    default:
                        return null;
                }
            }

            return loop.Address is null || loop.Length is null || !Assignments.Unassigned(count, each, model, cancellationToken) ? null : loop;
        }

        private static bool Mentions(SyntaxNode node, ILocalSymbol entry, SemanticModel model, CancellationToken cancellationToken) =>
            node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, entry));

        /// <summary><c>for (int i = 0; i &lt; count; i++)</c> with the entry's statements turned into the range kept.</summary>
        public StatementSyntax Rewrite(string index, ExpressionSyntax count, string ranges, string size)
        {
            BlockSyntax body = (BlockSyntax)_loop.Statement;
            body = body.TrackNodes(new SyntaxNode[] { _address, _length }.Concat(_resets));
            body = body.ReplaceNode(body.GetCurrentNode(_address)!, new[]
            {
                FixDocument.Statement($"{ranges}.Add(new {Names.PhysRange}({Names.PhysAddr}.FromRaw({Address.WithoutTrivia()}), {Length.WithoutTrivia()}));").WithLeadingTrivia(_address.GetLeadingTrivia()),
                FixDocument.Statement($"{size} += {Length.WithoutTrivia()};"),
            });
            foreach (SyntaxNode gone in new SyntaxNode[] { _length }.Concat(_resets))
            {
                body = body.RemoveNode(body.GetCurrentNode(gone)!, SyntaxRemoveOptions.KeepNoTrivia)!;
            }

            return SyntaxFactory.ForStatement(body)
                .WithDeclaration(SyntaxFactory.VariableDeclaration(SyntaxFactory.ParseTypeName("int")).AddVariables(
                    SyntaxFactory.VariableDeclarator(index).WithInitializer(SyntaxFactory.EqualsValueClause(SyntaxFactory.ParseExpression("0")))))
                .WithCondition(SyntaxFactory.ParseExpression($"{index} < {count.WithoutTrivia()}"))
                .WithIncrementors(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.ParseExpression($"{index}++")))
                .WithTriviaFrom(_loop).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation);
        }
    }
}
