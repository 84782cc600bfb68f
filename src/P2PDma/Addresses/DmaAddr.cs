using System;

namespace P2PDma.Addresses;

/// <summary>
/// A DMA address: what a device must be programmed with to reach some memory (an IOVA behind an IOMMU, a physical address under dma-direct, or a PCI bus address for switch-local peer-to-peer).
/// Models the kernel's <c>dma_addr_t</c>. Arithmetic stays within this address space; <see cref="Raw"/> and
/// <see cref="FromRaw"/> are the explicit escape hatch for hardware registers and ported C code.
/// </summary>
public readonly struct DmaAddr : IEquatable<DmaAddr>, IComparable<DmaAddr>
{
    private readonly ulong _value;

    private DmaAddr(ulong value) => _value = value;

    /// <summary>
    /// The value every failed mapping call returns (<c>DMA_MAPPING_ERROR</c>). Test a mapping result with
    /// <see cref="P2PDma.Mapping.Dma.MappingError"/>, as the kernel requires, not by comparing with this.
    /// </summary>
    public static DmaAddr MappingError => new(ulong.MaxValue);

    /// <summary>The address as a plain number, for a hardware register or ported C code.</summary>
    public ulong Raw => _value;

    /// <summary>Builds the address from a plain number. The P2P analyzers watch where that number came from.</summary>
    public static DmaAddr FromRaw(ulong raw) => new(raw);

    /// <summary>Offset of the address within its page.</summary>
    public ulong PageOffset => _value & (Paging.PageSize - 1);

    /// <summary>The address rounded down to its page boundary.</summary>
    public DmaAddr PageAlignDown() => new(_value & ~(Paging.PageSize - 1));

    /// <summary>The address moved up by <paramref name="offset"/> bytes.</summary>
    /// <exception cref="OverflowException">The sum wraps around 2^64.</exception>
    public static DmaAddr operator +(DmaAddr address, ulong offset) => new(AddressMath.Add(address._value, offset, "dma"));

    /// <summary>The address moved down by <paramref name="offset"/> bytes.</summary>
    /// <exception cref="OverflowException">The result is below zero.</exception>
    public static DmaAddr operator -(DmaAddr address, ulong offset) => new(AddressMath.Subtract(address._value, offset, "dma"));

    /// <summary>The distance in bytes from <paramref name="start"/> up to <paramref name="end"/>.</summary>
    /// <exception cref="OverflowException"><paramref name="start"/> lies above <paramref name="end"/>.</exception>
    public static ulong operator -(DmaAddr end, DmaAddr start) => AddressMath.Subtract(end._value, start._value, "dma");

#pragma warning disable CS1591 // Comparison operators are self-describing.
    public static bool operator ==(DmaAddr left, DmaAddr right) => left._value == right._value;
    public static bool operator !=(DmaAddr left, DmaAddr right) => left._value != right._value;
    public static bool operator <(DmaAddr left, DmaAddr right) => left._value < right._value;
    public static bool operator >(DmaAddr left, DmaAddr right) => left._value > right._value;
    public static bool operator <=(DmaAddr left, DmaAddr right) => left._value <= right._value;
    public static bool operator >=(DmaAddr left, DmaAddr right) => left._value >= right._value;
#pragma warning restore CS1591

    /// <inheritdoc/>
    public bool Equals(DmaAddr other) => _value == other._value;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is DmaAddr other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value.GetHashCode();

    /// <inheritdoc/>
    public int CompareTo(DmaAddr other) => _value.CompareTo(other._value);

    /// <summary>The address in hex, prefixed with its space (e.g. "dma 0x1000").</summary>
    public override string ToString() => "dma " + AddressMath.Hex(_value);
}
