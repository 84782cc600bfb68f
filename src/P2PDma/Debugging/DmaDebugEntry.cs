using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace P2PDma.Debugging;

/// <summary>One live mapping as the debug layer tracks it (<c>struct dma_debug_entry</c>).</summary>
internal sealed class DmaDebugEntry
{
    public DmaDebugEntry(PciDevice device, DmaAddr address, ulong size, DmaDirection direction, DmaMapFamily family)
    {
        Device = device;
        Address = address;
        Size = size;
        Direction = direction;
        Family = family;
    }

    public PciDevice Device { get; }

    public DmaAddr Address { get; }

    public ulong Size { get; }

    public DmaDirection Direction { get; }

    public DmaMapFamily Family { get; }

    /// <summary>For sg mappings: the table and the nents given to the map call.</summary>
    public SgTable? Table { get; init; }

    public int Nents { get; init; }

    /// <summary>True for a PCI bus address handed out for a BUS_ADDR peer: never to be unmapped.</summary>
    public bool BusAddress { get; init; }

    public bool ErrorChecked { get; set; }

    public bool Covers(DmaAddr address, ulong size) =>
        address >= Address && address.Raw - Address.Raw <= Size && size <= Size - (address.Raw - Address.Raw);

    public bool Touches(DmaAddr address) => address >= Address && address.Raw - Address.Raw < Size;
}
