using System;
using P2PDma.Addresses;

namespace P2PDma.Pci;

/// <summary>
/// A memory BAR of a PCI function: where the device's memory appears to the CPU (<c>pci_resource_start</c>,
/// <c>pci_resource_len</c>) and on the PCI bus (<c>pci_bus_address</c>, derived through the host bridge window).
/// </summary>
public sealed class PciBar
{
    internal PciBar(PciDevice device, int index, PhysAddr cpuStart, ulong size, PciBusAddr busStart, bool prefetchable)
    {
        Device = device;
        Index = index;
        CpuStart = cpuStart;
        Size = size;
        BusStart = busStart;
        Prefetchable = prefetchable;
    }

    /// <summary>The function that owns the BAR.</summary>
    public PciDevice Device { get; }

    /// <summary>The BAR number, 0-5.</summary>
    public int Index { get; }

    /// <summary>The CPU physical address of the BAR (<c>pci_resource_start</c>). Not a DMA address.</summary>
    public PhysAddr CpuStart { get; }

    /// <summary>The size in bytes (<c>pci_resource_len</c>), a power of two.</summary>
    public ulong Size { get; }

    /// <summary>The PCI bus address of the BAR (<c>pci_bus_address</c>).</summary>
    public PciBusAddr BusStart { get; }

    /// <summary>True for a prefetchable BAR (<c>IORESOURCE_PREFETCH</c>).</summary>
    public bool Prefetchable { get; }

    /// <summary>The BAR's range in CPU physical space.</summary>
    public PhysRange CpuRange => new(CpuStart, Size);

    /// <summary>bus - cpu for this BAR: the <c>bus_offset</c> that <c>pcim_p2pdma_init</c> records.</summary>
    public long BusOffset => unchecked((long)(BusStart.Raw - CpuStart.Raw));

    /// <summary>True when the <paramref name="length"/> bytes at <paramref name="address"/> lie inside the BAR.</summary>
    public bool Contains(PhysAddr address, ulong length = 1) => CpuRange.Contains(address, length);

    /// <summary>True when the <paramref name="length"/> bytes at bus address <paramref name="bus"/> lie inside the BAR.</summary>
    public bool ContainsBus(PciBusAddr bus, ulong length = 1) =>
        new PhysRange(PhysAddr.FromRaw(BusStart.Raw), Size).Contains(PhysAddr.FromRaw(bus.Raw), length);

    /// <summary>The PCI bus address of a CPU physical address inside the BAR: <c>cpu + bus_offset</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cpu"/> is not inside this BAR.</exception>
    public PciBusAddr BusAddressOf(PhysAddr cpu)
    {
        if (!Contains(cpu))
        {
            throw new ArgumentOutOfRangeException(nameof(cpu), $"{cpu} is not inside {this}.");
        }

        return BusStart + (cpu - CpuStart);
    }

    /// <summary>The CPU physical address of a bus address inside the BAR.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bus"/> is not inside this BAR.</exception>
    public PhysAddr CpuAddressOf(PciBusAddr bus)
    {
        if (!ContainsBus(bus))
        {
            throw new ArgumentOutOfRangeException(nameof(bus), $"{bus} is not inside the bus range of {this}.");
        }

        return CpuStart + (bus - BusStart);
    }

    /// <summary>E.g. <c>gpu0 BAR0 [phys 0x..-0x..]</c>.</summary>
    public override string ToString() => $"{Device.Name} BAR{Index} {CpuRange}";
}
