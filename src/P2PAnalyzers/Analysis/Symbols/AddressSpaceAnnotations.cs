using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>The address space a user annotated a <c>ulong</c> with.</summary>
internal enum AddressSpaceAnnotation : byte
{
    None,
    CpuPhysical,
    PciBus,
    Dma,
}

/// <summary>Reads the address-space attributes by full name, so a project's own copy of them works too.</summary>
internal static class AddressSpaceAnnotations
{
    public static AddressSpaceAnnotation From(ImmutableArray<AttributeData> attributes)
    {
        foreach (AttributeData attribute in attributes)
        {
            switch (attribute.AttributeClass?.ToDisplayString())
            {
                case KnownSymbols.CpuPhysicalAttribute:
                    return AddressSpaceAnnotation.CpuPhysical;
                case KnownSymbols.PciBusAttribute:
                    return AddressSpaceAnnotation.PciBus;
                case KnownSymbols.DmaAttribute:
                    return AddressSpaceAnnotation.Dma;
            }
        }

        return AddressSpaceAnnotation.None;
    }

    /// <summary>The space in words: <c>a CPU physical address</c>.</summary>
    public static string Words(AddressSpaceAnnotation space) => space switch
    {
        AddressSpaceAnnotation.CpuPhysical => "a CPU physical address",
        AddressSpaceAnnotation.PciBus => "a PCI bus address",
        AddressSpaceAnnotation.Dma => "a DMA address",
        _ => "",
    };

    public static string Describe(AddressSpaceAnnotation space) => space switch
    {
        AddressSpaceAnnotation.CpuPhysical => "[CpuPhysicalAddress]",
        AddressSpaceAnnotation.PciBus => "[PciBusAddress]",
        AddressSpaceAnnotation.Dma => "[DmaAddress]",
        _ => "",
    };
}
