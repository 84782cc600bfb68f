namespace P2PDma.Addresses;

/// <summary>A range of CPU physical addresses: <paramref name="Start"/> and <paramref name="Size"/> bytes (a <c>struct resource</c> or <c>phys_vec</c>).</summary>
/// <param name="Start">The first byte.</param>
/// <param name="Size">The number of bytes; never zero in a valid range.</param>
public readonly record struct PhysRange(PhysAddr Start, ulong Size)
{
    /// <summary>One past the last byte, as a plain number (may be 2^64 for a range that reaches the top).</summary>
    internal ulong EndExclusive => Start.Raw + Size;

    /// <summary>True when the <paramref name="length"/> bytes at <paramref name="address"/> lie wholly inside this range.</summary>
    public bool Contains(PhysAddr address, ulong length = 1) =>
        address >= Start && length <= Size && address.Raw - Start.Raw <= Size - length;

    /// <summary>True when the two ranges share at least one byte.</summary>
    public bool Overlaps(PhysRange other) =>
        Size != 0 && other.Size != 0 && Start.Raw <= other.Start.Raw + (other.Size - 1) && other.Start.Raw <= Start.Raw + (Size - 1);

    /// <summary>The range as <c>[phys 0x..-0x..]</c> with an inclusive end, as the kernel prints a resource.</summary>
    public override string ToString() => $"[phys {AddressMath.Hex(Start.Raw)}-{AddressMath.Hex(Start.Raw + (Size - 1))}]";
}
