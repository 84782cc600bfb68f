using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0010: a generic mapping call (<c>Dma.MapResource</c>, <c>MapPhys</c>, <c>MapPage</c>) applied to a P2P provider's
/// BAR memory where no map-type decision for that provider and device is made on every path to the call (amdgpu, xe,
/// habanalabs, the 2022 VFIO RFC); or P2P memory (<c>PciP2PDma.AllocMem</c>, <c>AllocSgl</c>) given to
/// <c>Dma.MapSingle</c> or the pre-6.2 <c>Dma.LegacyMapSg</c>, which map it as RAM. Calls gated by a distance check are
/// P2P0011's.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0010PeerMemoryMappedWithoutMapTypeAnalyzer : FlowRuleAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0010PeerMemoryMappedWithoutMapType);

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.Invocation);

    // The library's generic maps, and their thin wrappers (ib_dma_map_sg), judged where the wrapper is called.
    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) =>
        operation is IInvocationOperation inv
        && (IsGeneric(symbols.RoleOf(inv.TargetMethod)) || IsGeneric(ThinWrappers.WrappedRole(inv.TargetMethod, symbols)));

    private static bool IsGeneric(Role role) => role is Role.MapResource or Role.MapPhys or Role.MapPage or Role.MapSingle or Role.MapSg;

    // BAR-memory facts (a BAR's CPU address, a peer page made from one, P2P memory) are made only by reading a BAR's
    // CpuStart or CpuRange or allocating P2P memory in the body itself: without one, the generic mappings of a body (of
    // RAM, mostly) cost no flow analysis.
    private protected override bool Needs(Fact fact) => (fact.Kind == FactKind.CpuPhys && fact.Memory == MemoryKind.Bar) || fact.Kind == FactKind.PeerPage;

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        var inv = (IInvocationOperation)candidate;
        IMethodSymbol? library = ThinWrappers.LibraryOf(inv.TargetMethod, symbols);
        // A wrapper hands on the device it was given as a member (ib_device->dma_device): its first argument names it.
        IOperation? device = library is null ? null : ThinWrappers.Argument(inv, library.Parameters[0].Name, symbols)?.Value ?? MapTypeDecisions.Argument(inv, 0);
        IOperation? memory = library is null ? null : ThinWrappers.Argument(inv, library.Parameters[1].Name, symbols)?.Value;
        if (device is null || memory is null || ThinWrappers.IsForwarded(memory, symbols)
            || MapTypeDecisions.PeerMemory(flow.ValueOf(memory.Syntax)) is not Fact peer
            || flow.DecisionsAt(inv.Syntax) is null
            || MapTypeDecisions.Cover(flow, inv, device, memory)
            || DistanceGates.Of(flow, symbols).Any(g => g.GatedCalls.Any(c => c.Syntax == inv.Syntax)))
        {
            return;
        }

        report(Diagnostic.Create(Descriptors.P2P0010PeerMemoryMappedWithoutMapType, inv.Syntax.GetLocation(), Reporting.Origins(peer), Reporting.SourceProperties(peer),
            Origin.OfCall(inv.TargetMethod), peer.Origin.Describe(), Reporting.Text(device.Syntax)));
    }
}
