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
public sealed class P2P0001PhysicalAddressAsDmaAddressAnalyzer : AddressSinkAnalyzer
{
    private protected override DiagnosticDescriptor Descriptor => Descriptors.P2P0001PhysicalAddressAsDmaAddress;

    private protected override Role RawConstructor => Role.DmaFromRaw;

    private protected override AddressSpaceAnnotation Space => AddressSpaceAnnotation.Dma;
}
