using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0014: BAR or peer memory mapped with <c>DmaAttrs.SkipCpuSync</c> (amdgpu, habanalabs, the VFIO RFC) instead of
/// <c>DmaAttrs.Mmio</c>. <c>Dma.MapResource</c> always maps MMIO; <c>MapPhys</c> and <c>MapPage</c> only when the
/// address is known to be a BAR's; <c>Dma.UnmapResource</c> given the same attribute is reported too.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0014SkipCpuSyncForMmioAnalyzer : FlowRuleAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0014SkipCpuSyncForMmio);

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.Invocation);

    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) =>
        operation is IInvocationOperation inv
        && symbols.RoleOf(inv.TargetMethod) is Role.MapResource or Role.MapPhys or Role.MapPage or Role.UnmapResource
        && Attrs(inv) is IOperation attrs && (attrs.ConstantValue is not { HasValue: true, Value: int value } || (value & FactProducers.DmaAttrsSkipCpuSync) != 0);

    private protected override bool Needs(Fact fact) => fact.Kind == FactKind.SkipCpuSyncAttrs;

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        var inv = (IInvocationOperation)candidate;
        IOperation attrs = Attrs(inv)!;
        if (!flow.ValueOf(attrs.Syntax).Has(FactKind.SkipCpuSyncAttrs)
            && !(attrs.ConstantValue is { HasValue: true, Value: int value } && (value & FactProducers.DmaAttrsSkipCpuSync) != 0))
        {
            return;
        }

        string what;
        Role role = symbols.RoleOf(inv.TargetMethod);
        if (role is Role.MapResource or Role.UnmapResource)
        {
            // amdgpu_vram_mgr_free_sgt unmaps with the attributes it mapped with: both ends say MMIO.
            what = role == Role.MapResource ? "maps MMIO (a resource)" : "unmaps MMIO (a resource)";
        }
        else if (inv.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1)?.Value is IOperation memory
            && flow.ValueOf(memory.Syntax).Facts.FirstOrDefault(f => f.Memory == MemoryKind.Bar) is { Origin: not null } bar)
        {
            what = $"maps BAR memory ({bar.Origin.Describe()})";
        }
        else
        {
            return;
        }

        report(Diagnostic.Create(Descriptors.P2P0014SkipCpuSyncForMmio, attrs.Syntax.GetLocation(),
            $"Dma.{inv.TargetMethod.Name}", what));
    }

    private static IOperation? Attrs(IInvocationOperation inv) =>
        inv.Arguments.FirstOrDefault(a => a.Parameter?.Name == "attrs" && a.ArgumentKind == ArgumentKind.Explicit)?.Value;
}
