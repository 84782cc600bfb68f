using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0001: a CPU physical address reaches a place that wants a DMA address: <c>DmaAddr.FromRaw</c> (for instance as a
/// scatterlist entry's DMA address, the habanalabs <c>sg_dma_address(sg) = bar_address</c>) or anything annotated
/// <c>[DmaAddress]</c>. Silent once the value went through a mapping call.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0001PhysicalAddressAsDmaAddressAnalyzer : FlowRuleAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0001PhysicalAddressAsDmaAddress);

    private protected override bool NeedsLibrary => false;

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = AddressSinkKinds.All;

    private protected override bool IsCandidate(IOperation operation, KnownSymbols symbols) =>
        AddressSinks.IsCandidate(operation, symbols, Role.DmaFromRaw, AddressSpaceAnnotation.Dma);

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        foreach (AddressSink sink in AddressSinks.Of(candidate, symbols, Role.DmaFromRaw, AddressSpaceAnnotation.Dma))
        {
            if (Reporting.Earliest(flow.ValueOf(sink.Operand.Syntax), FactKind.CpuPhys) is Fact source)
            {
                report(Diagnostic.Create(Descriptors.P2P0001PhysicalAddressAsDmaAddress, sink.Location, Reporting.SourceProperties(source),
                    Reporting.Text(sink.Operand.Syntax), source.Origin.Describe(), sink.Description));
            }
        }
    }
}
