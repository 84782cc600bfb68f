using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0002: a CPU physical address reaches a place that wants a PCI bus address (<c>PciBusAddr.FromRaw</c>, anything
/// annotated <c>[PciBusAddress]</c>): the host bridge's bus offset is ignored.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0002PhysicalAddressAsBusAddressAnalyzer : AddressSinkAnalyzer
{
    private protected override DiagnosticDescriptor Descriptor => Descriptors.P2P0002PhysicalAddressAsBusAddress;

    private protected override Role RawConstructor => Role.BusFromRaw;

    private protected override AddressSpaceAnnotation Space => AddressSpaceAnnotation.PciBus;
}
