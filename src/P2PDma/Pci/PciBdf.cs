using System;

namespace P2PDma.Pci;

/// <summary>A PCI function's address: domain (segment), bus, device (slot) and function, as <c>pci_name()</c> prints it.</summary>
public readonly record struct PciBdf(int Domain, int Bus, int Device, int Function) : IComparable<PciBdf>
{
    /// <summary>The 16-bit requester ID (<c>pci_dev_id</c>): bus, device and function.</summary>
    public int RequesterId => (Bus << 8) | (Device << 3) | Function;

    /// <inheritdoc/>
    public int CompareTo(PciBdf other)
    {
        int c = Domain.CompareTo(other.Domain);
        return c != 0 ? c : RequesterId.CompareTo(other.RequesterId);
    }

    /// <summary>The address as <c>dddd:bb:dd.f</c>.</summary>
    public override string ToString() => $"{Domain:x4}:{Bus:x2}:{Device:x2}.{Function:x}";
}
