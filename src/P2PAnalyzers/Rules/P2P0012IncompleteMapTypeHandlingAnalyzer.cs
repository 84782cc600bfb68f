using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0012: a switch statement, switch expression or if-chain on the P2P map type that has no arm for
/// <c>BusAddr</c>, leaves <c>NotSupported</c> unhandled, or sends either into a generic mapping call (in the arm, or
/// after the dispatch when the arm neither maps nor leaves). Only dispatches that decide a mapping are judged: an arm
/// maps, or a generic mapping of memory that may be a peer's follows in the same block.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0012IncompleteMapTypeHandlingAnalyzer : FlowRuleAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0012IncompleteMapTypeHandling);

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } =
        ImmutableArray.Create(OperationKind.Switch, OperationKind.SwitchExpression, OperationKind.Conditional);

    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) =>
        symbols.P2PMapType is INamedTypeSymbol mapType && MapTypeArms.Of(operation, mapType, symbols) is not null;

    // The arms alone show whether anything can be wrong: a complete switch whose arms map properly (the canonical
    // blk_dma_map_iter_start and dma_buf_phys_vec_to_sgt shapes) costs no flow analysis.
    private protected override bool MayReport(IOperation candidate, KnownSymbols symbols) =>
        MapTypeArms.Of(candidate, symbols.P2PMapType!, symbols) is MapTypeArms arms && !arms.OnlyChoosesAttributes(symbols)
        && Findings(arms, symbols, flow: null).Count > 0;

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        if (MapTypeArms.Of(candidate, symbols.P2PMapType!, symbols) is not MapTypeArms arms || !arms.DecidesMapping(symbols, flow))
        {
            return;
        }

        foreach ((string kind, string text) in Findings(arms, symbols, flow))
        {
            report(Diagnostic.Create(Descriptors.P2P0012IncompleteMapTypeHandling, arms.Location,
                ImmutableDictionary<string, string?>.Empty.Add(PropertyNames.Kind, kind), arms.What, text));
        }
    }

    /// <summary>What is wrong with the arms; without <paramref name="flow"/>, everything that may turn out wrong.</summary>
    private static List<(string Kind, string Text)> Findings(MapTypeArms arms, KnownSymbols symbols, MethodFlow? flow)
    {
        var findings = new List<(string Kind, string Text)>();
        IInvocationOperation? after = arms.FollowingGenericCall(symbols, flow);
        MapTypeArm? bus = arms.Arm(MapTypeArms.BusAddr);
        MapTypeArm? notSupported = arms.Arm(MapTypeArms.NotSupported) ?? arms.Default;
        if (bus is null && !arms.Guarded.Contains(MapTypeArms.BusAddr))
        {
            findings.Add((MapTypeArms.MissingBusAddr, "has no arm for BusAddr: a switch-local peer needs its bus address (PciP2PDma.BusAddrMap)"));
        }
        else if (bus?.GenericMappingCall(symbols) is IInvocationOperation call)
        {
            findings.Add((MapTypeArms.BusAddrMapped, $"sends BusAddr into Dma.{call.TargetMethod.Name}: a bus-address peer must get its bus address, not a mapping"));
        }
        else if (bus is not null && !bus.Leaves && !bus.MapsOrPicksAddress(symbols) && after is not null)
        {
            findings.Add((MapTypeArms.BusAddrMapped, $"sends BusAddr into Dma.{after.TargetMethod.Name} after it: a bus-address peer must get its bus address, not a mapping"));
        }

        if (notSupported is null && !arms.Guarded.Contains(MapTypeArms.NotSupported))
        {
            findings.Add((MapTypeArms.MissingNotSupported, "has no arm for NotSupported and no default: an unsupported peer must fail the mapping"));
        }
        else if (notSupported?.GenericMappingCall(symbols) is IInvocationOperation call)
        {
            findings.Add((MapTypeArms.NotSupportedMapped, $"sends NotSupported into Dma.{call.TargetMethod.Name}: an unsupported peer must fail the mapping"));
        }
        else if (notSupported is not null && !notSupported.Leaves && after is not null)
        {
            findings.Add((MapTypeArms.NotSupportedMapped, $"sends NotSupported into Dma.{after.TargetMethod.Name} after it: an unsupported peer must fail the mapping"));
        }

        return findings;
    }
}
