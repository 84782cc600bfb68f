using System;

namespace P2PDma.Addresses;

// Sparse-style address-space annotations for code that keeps addresses in plain ulongs (ported C code,
// register wrappers). The analyzers match these by full name, so a project may declare its own copy.

/// <summary>The annotated <c>ulong</c> holds a CPU physical address (<c>phys_addr_t</c>).</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.ReturnValue, AllowMultiple = false)]
public sealed class CpuPhysicalAddressAttribute : Attribute
{
}

/// <summary>The annotated <c>ulong</c> holds a PCI bus address (<c>pci_bus_addr_t</c>).</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.ReturnValue, AllowMultiple = false)]
public sealed class PciBusAddressAttribute : Attribute
{
}

/// <summary>The annotated <c>ulong</c> holds a DMA address (<c>dma_addr_t</c>): what a device is programmed with.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.ReturnValue, AllowMultiple = false)]
public sealed class DmaAddressAttribute : Attribute
{
}
