using P2PDma.Addresses;

namespace P2PDma.Pci;

/// <summary>
/// A memory window of a host bridge: CPU physical addresses <see cref="CpuStart"/>.. are seen on the PCI bus
/// at <see cref="BusStart"/>.. (a <c>resource_entry</c> with its offset; identity on most x86, translated on
/// many ARM and POWER systems).
/// </summary>
/// <param name="CpuStart">First CPU physical address of the window.</param>
/// <param name="Size">Bytes in the window.</param>
/// <param name="BusStart">The PCI bus address that <paramref name="CpuStart"/> appears at.</param>
public sealed record HostBridgeWindow(PhysAddr CpuStart, ulong Size, PciBusAddr BusStart)
{
    /// <summary>The window's range in CPU physical space.</summary>
    public PhysRange CpuRange => new(CpuStart, Size);

    /// <summary>bus - cpu for every address in the window (the sign P2PDMA's <c>bus_offset</c> uses).</summary>
    public long BusOffset => unchecked((long)(BusStart.Raw - CpuStart.Raw));

    /// <summary>True when the <paramref name="length"/> bytes at bus address <paramref name="bus"/> lie in this window.</summary>
    public bool ContainsBus(PciBusAddr bus, ulong length = 1) =>
        new PhysRange(PhysAddr.FromRaw(BusStart.Raw), Size).Contains(PhysAddr.FromRaw(bus.Raw), length);
}
