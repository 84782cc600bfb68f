using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0023: a single mapping's address is unmapped again, synced, given to a device or stored into an entry after an
/// unmap of the same storage on the path, or on the path where its mapping failed (Amlogic A4's
/// <c>aml_sfc_dma_buffer_setup</c>: an inline unmap before <c>goto out_map_data</c>, whose label unmaps again; a failed
/// mapping sent to the same label); a scatterlist table unmapped or synced again, or after its map call failed. Reported
/// at the use, with the unmap or the failed test and the map call as additional locations (<see cref="UnmappedUses"/>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0023UseAfterUnmapAnalyzer : FlowRuleAnalyzer
{
    /// <summary>Diagnostic property: which unmap the fix may remove, <see cref="RemoveUse"/> or <see cref="RemoveEarlier"/>.</summary>
    internal const string FixProperty = "Remove";

    /// <summary>The reported unmap: every path reaching it has unmapped already.</summary>
    internal const string RemoveUse = "Use";

    /// <summary>The earlier unmap (the first additional location): every path from it reaches the reported one first.</summary>
    internal const string RemoveEarlier = "Earlier";

    /// <summary>
    /// Diagnostic property: the use is a helper's unmap on the failure of a mapping helper's call (rk_hash_run); the fix
    /// may record whether the helper mapped and unmap under it.
    /// </summary>
    internal const string HelperFailureProperty = "HelperFailure";

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0023UseAfterUnmap);

    // Reported at the use, so the use is the candidate: a diagnostic an operation action reports outside its operation
    // is dropped by document-scoped analysis (the IDE's). The walk is made once per map call and shared by its uses.
    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.Invocation, OperationKind.SimpleAssignment);

    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) => operation switch
    {
        IInvocationOperation inv => UnmappedUses.IsFollowed(symbols.RoleOf(inv.TargetMethod)) || UnmappedUses.IsUnmapHelper(inv, symbols),
        ISimpleAssignmentOperation { Target: IPropertyReferenceOperation p } => symbols.RoleOf(p.Property) == Role.SgDmaAddress,
        _ => false,
    };

    // A single mapping makes a DMA address; a table mapping, its count or its P2P-aware table.
    private protected override bool Needs(Fact fact) => fact.Kind is FactKind.Dma or FactKind.SgMappedCount or FactKind.P2PTable;

    // A call of a helper that unmaps, in a body that calls a helper that maps (rk_hash_run: rk_hash_prepare, then at the
    // shared exit rk_hash_unprepare): the body makes no fact of its own.
    private protected override bool JudgedWithoutFacts(IOperation candidate, KnownSymbols symbols) =>
        candidate is IInvocationOperation call && symbols.RoleOf(call.TargetMethod) == Role.None
        && MethodFlow.RootOf(candidate).DescendantsAndSelf().OfType<IInvocationOperation>()
            .Any(map => map != call && symbols.RoleOf(map.TargetMethod) == Role.None && MappingHelpers.Maps(map.TargetMethod, symbols));

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        ISymbol? owner = candidate.SemanticModel?.GetEnclosingSymbol(candidate.Syntax.SpanStart);
        if (owner is null)
        {
            return;
        }

        foreach (IInvocationOperation map in UnmappedUses.MapsUsedBy(candidate, owner, flow, symbols))
        {
            IReadOnlyList<UnmappedUse> found = UnmappedUses.Of(map, owner, flow, symbols);
            foreach (UnmappedUse use in found.Where(u => u.Use.At.Syntax == candidate.Syntax))
            {
                // Several such uses of one mapping (a chain of unmaps) have no one redundant unmap to remove.
                // Nor is a helper's call to be removed: it does more than unmap (nvme_unmap_data frees the PRP lists too).
                bool helpers = IsHelper(use.Use.At, symbols) || IsHelper(map.SemanticModel?.GetOperation(use.Site), symbols);
                Report(found.Count == 1 && !helpers ? use : use with { OnlyAfter = false, SiteLeadsHere = false }, map, report);
                return;
            }
        }
    }

    private static bool IsHelper(IOperation? op, KnownSymbols symbols) => op is IInvocationOperation call && symbols.RoleOf(call.TargetMethod) == Role.None;

    private static void Report(UnmappedUse found, IInvocationOperation map, Action<Diagnostic> report)
    {
        ImmutableDictionary<string, string?> properties =
            found.OnlyAfter ? ImmutableDictionary<string, string?>.Empty.Add(FixProperty, RemoveUse)
            : found.SiteLeadsHere ? ImmutableDictionary<string, string?>.Empty.Add(FixProperty, RemoveEarlier)
            : found.By == UnmappedBy.Failure && map.SemanticModel is not null && found.Use.At is IInvocationOperation { TargetMethod.MethodKind: MethodKind.Ordinary } use
                && use.TargetMethod.DeclaringSyntaxReferences.Length > 0 && map.TargetMethod.DeclaringSyntaxReferences.Length > 0
                && !map.TargetMethod.ContainingNamespace.ToDisplayString().StartsWith(KnownSymbols.Namespace, StringComparison.Ordinal)
                ? ImmutableDictionary<string, string?>.Empty.Add(HelperFailureProperty, "true")
            : ImmutableDictionary<string, string?>.Empty;
        string after = found.By == UnmappedBy.Unmap
            ? $"{Called(found.Site)} unmapped it"
            : $"its mapping failed ('{Reporting.Text(found.Site)}')";
        report(Diagnostic.Create(Descriptors.P2P0023UseAfterUnmap, found.Use.At.Syntax.GetLocation(),
            new[] { found.Site.GetLocation(), map.Syntax.GetLocation() }, properties,
            Reporting.Text(found.Use.Operand.Syntax), found.Use.Description, after));
    }

    private static string Called(SyntaxNode site) => site switch
    {
        InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } => $"{access.Expression}.{access.Name.Identifier.ValueText}",
        InvocationExpressionSyntax { Expression: IdentifierNameSyntax name } => name.Identifier.ValueText,
        _ => Reporting.Text(site),
    };
}
