using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0002: a CPU physical address reaches a place that wants a PCI bus address (<c>PciBusAddr.FromRaw</c>, anything
/// annotated <c>[PciBusAddress]</c>): the host bridge's bus offset is ignored.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0002PhysicalAddressAsBusAddressAnalyzer : FlowRuleAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0002PhysicalAddressAsBusAddress);

    private protected override bool NeedsLibrary => false;

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = AddressSinkKinds.All;

    private protected override bool IsCandidate(IOperation operation, KnownSymbols symbols) =>
        AddressSinks.IsCandidate(operation, symbols, Role.BusFromRaw, AddressSpaceAnnotation.PciBus);

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        foreach (AddressSink sink in AddressSinks.Of(candidate, symbols, Role.BusFromRaw, AddressSpaceAnnotation.PciBus))
        {
            if (Reporting.Earliest(flow.ValueOf(sink.Operand.Syntax), FactKind.CpuPhys) is Fact source)
            {
                report(Diagnostic.Create(Descriptors.P2P0002PhysicalAddressAsBusAddress, sink.Location, Reporting.SourceProperties(source),
                    Reporting.Text(sink.Operand.Syntax), source.Origin.Describe(), sink.Description));
            }
        }
    }
}
