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
/// P2P0001, for the scatterlist store <c>sg.DmaAddress = DmaAddr.FromRaw(x);</c> whose block also sets
/// <c>sg.DmaLength = length;</c>: maps <c>x</c> properly first, with the error check the kernel requires.
/// BAR memory: <c>Dma.MapP2P(device, provider, PhysAddr.FromRaw(x), length, dir)</c>; RAM: <c>Dma.MapPhys</c>.
/// The client device (an attachment's <c>Device</c>, or the one device in scope that does not own the BAR), provider
/// and direction must each be unambiguous in scope. Otherwise, an address of a device's own BAR kept for that device
/// becomes its bus address (<see cref="OwnBarBusAddress"/>), a kernel buffer's address kept for its holder's device
/// becomes the buffer's mapping (<see cref="CachedBufferMapping"/>), or the diagnostic stands without a fix.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0001PhysicalAddressAsDmaAddressCodeFix)), Shared]
public sealed class P2P0001PhysicalAddressAsDmaAddressCodeFix : P2PCodeFix
{
    private protected override string RuleId => RuleIdentifiers.PhysicalAddressAsDmaAddress;

    private protected override string Title(Diagnostic diagnostic) => BusOffsetSign.Applies(diagnostic) ? BusOffsetSign.Title : "Map the address before storing it";

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        BusOffsetSign.Applies(diagnostic) ? BusOffsetSign.Rewrite(root, diagnostic)
        : root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 } fromRaw
        && Rewrite(model, fromRaw, diagnostic.Properties, cancellationToken) is (StatementSyntax store, StatementSyntax[] replacement)
            ? root.ReplaceNode(store, replacement)
            : null;

    /// <summary>
    /// A table whose entries get the address: built at export and kept in a field (<see cref="KeptTableRewrite"/>), or
    /// built for MapDmaBuf, by the builder or a helper handed the entry (<see cref="TableBuilderRewrite"/>).
    /// </summary>
    private protected override Task<UnitFix?> RewriteUnitAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken) => UnitFix.FirstAsync(
        (() => KeptTableRewrite.FromEntryStoreAsync(document, diagnostic, cancellationToken), KeptTableRewrite.Title),
        (() => TableBuilders.FromMappingAsync(document, diagnostic, cancellationToken), TableBuilders.Title));

    // The importer's mapping when one is in scope; else, for an address the BAR's owner is given, its bus address; else,
    // for a kernel buffer's address kept for its holder's device, the buffer mapped.
    private protected override (SyntaxNode Root, string Title)? RewriteTitled(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        base.RewriteTitled(root, model, diagnostic, cancellationToken)
        ?? (BusOffsetSign.Applies(diagnostic) ? null
            : OwnBarBusAddress.Rewrite(root, model, diagnostic) is SyntaxNode own ? (own, OwnBarBusAddress.Title)
            : CachedBufferMapping.Rewrite(root, model, diagnostic) is SyntaxNode mapped ? (mapped, CachedBufferMapping.Title)
            : null);

    private static (StatementSyntax, StatementSyntax[])? Rewrite(SemanticModel model, InvocationExpressionSyntax fromRaw,
        ImmutableDictionary<string, string?> properties, CancellationToken cancellationToken)
    {
        if (fromRaw.Parent is not AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaAddress" } target } store
            || store.Parent is not ExpressionStatementSyntax statement || statement.Parent is not BlockSyntax block
            || LengthStore(block, target.Expression) is not ExpressionSyntax length)
        {
            return null;
        }

        Compilation compilation = model.Compilation;
        int at = statement.SpanStart;
        string? memory = properties.GetValueOrDefault(PropertyNames.Memory);
        FactKey source = FactKey.Read(properties);
        ExpressionSyntax? device = ClientDevice(model, at, source);
        ExpressionSyntax? direction = Scope.Unique(model, at, compilation.GetTypeByMetadataName("P2PDma.Mapping.DmaDirection"));
        if (device is null || direction is null || model.GetSpeculativeTypeInfo(at, length, SpeculativeBindingOption.BindAsExpression).Type?.SpecialType != SpecialType.System_UInt64)
        {
            return null;
        }

        string phys = $"{Names.PhysAddr}.FromRaw({fromRaw.ArgumentList.Arguments[0].Expression.WithoutTrivia()})";
        string entry = target.Expression.WithoutTrivia().ToString();
        string declaration;
        string failed;
        string address;
        ExpressionSyntax error;
        if (memory == nameof(MemoryKind.Bar))
        {
            INamedTypeSymbol? providerType = compilation.GetTypeByMetadataName("P2PDma.P2P.P2PProvider");
            ExpressionSyntax? provider = SourceExpressions.Provider(source, model, at);
            if (provider is null || !Scope.BindsTo(model, at, provider, providerType))
            {
                provider = Scope.Unique(model, at, providerType);
            }

            if (provider is null)
            {
                return null;
            }

            string name = Scope.FreeName(model, at, "mapping");
            declaration = $"{Names.P2PDmaMapping} {name} = {Names.Dma}.MapP2P({device}, {provider}, {phys}, {length.WithoutTrivia()}, {direction});";
            failed = $"{name}.Failed";
            address = $"{name}.Address";
            error = SyntaxFactory.ParseExpression($"{name}.Error");
        }
        else if (memory == nameof(MemoryKind.Ram))
        {
            string name = Scope.FreeName(model, at, "dmaAddress");
            declaration = $"{Names.DmaAddr} {name} = {Names.Dma}.MapPhys({device}, {phys}, {length.WithoutTrivia()}, {direction});";
            failed = $"{Names.Dma}.MappingError({device}, {name})";
            address = name;
            error = SyntaxFactory.ParseExpression(Names.DmaError + ".NoMemory");
        }
        else
        {
            return null;
        }

        StatementSyntax check = SyntaxFactory.IfStatement(SyntaxFactory.ParseExpression(failed), SyntaxFactory.Block(ErrorPath.For(model, statement, error)));
        StatementSyntax newStore = statement.ReplaceNode(fromRaw, SyntaxFactory.ParseExpression(address).WithTriviaFrom(fromRaw));
        return (statement, new[]
        {
            FixDocument.Generated(SyntaxFactory.ParseStatement(declaration)).WithLeadingTrivia(statement.GetLeadingTrivia()),
            FixDocument.Generated(check),
            newStore.WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation),
        });
    }

    /// <summary>The length stored with the entry in the same block: <c>entry.DmaLength = length;</c>.</summary>
    private static ExpressionSyntax? LengthStore(BlockSyntax block, ExpressionSyntax entry) =>
        block.Statements.OfType<ExpressionStatementSyntax>()
            .Select(s => s.Expression)
            .OfType<AssignmentExpressionSyntax>()
            .Where(a => a.Left is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaLength" } m && m.Expression.IsEquivalentTo(entry))
            .Select(a => a.Right)
            .FirstOrDefault();

    /// <summary>The importer: an attachment's device, or the one device in scope that is not the BAR's owner.</summary>
    private static ExpressionSyntax? ClientDevice(SemanticModel model, int at, FactKey source)
    {
        if (Scope.Unique(model, at, model.Compilation.GetTypeByMetadataName("P2PDma.DmaBuf.DmaBufAttachment")) is ExpressionSyntax attach)
        {
            return SyntaxFactory.ParseExpression($"{attach}.Device");
        }

        string? owner = SourceExpressions.BarOwner(source);
        var devices = Scope.OfType(model, at, model.Compilation.GetTypeByMetadataName("P2PDma.Pci.PciDevice"))
            .Where(s => s.Name != owner && "this." + s.Name != owner)
            .ToList();
        return devices.Count == 1 ? SyntaxFactory.IdentifierName(devices[0].Name) : null;
    }
}
