using System;

namespace P2PDma.Addresses;

/// <summary>
/// A CPU physical address: what the CPU puts on its memory bus (a RAM location, or a BAR as <c>pci_resource_start</c> gives it).
/// Models the kernel's <c>phys_addr_t</c>. Arithmetic stays within this address space; <see cref="Raw"/> and
/// <see cref="FromRaw"/> are the explicit escape hatch for hardware registers and ported C code.
/// </summary>
public readonly struct PhysAddr : IEquatable<PhysAddr>, IComparable<PhysAddr>
{
    private readonly ulong _value;

    private PhysAddr(ulong value) => _value = value;

    /// <summary>The address as a plain number, for a hardware register or ported C code.</summary>
    public ulong Raw => _value;

    /// <summary>Builds the address from a plain number. The P2P analyzers watch where that number came from.</summary>
    public static PhysAddr FromRaw(ulong raw) => new(raw);

    /// <summary>Offset of the address within its page.</summary>
    public ulong PageOffset => _value & (Paging.PageSize - 1);

    /// <summary>The address rounded down to its page boundary.</summary>
    public PhysAddr PageAlignDown() => new(_value & ~(Paging.PageSize - 1));

    /// <summary>The address moved up by <paramref name="offset"/> bytes.</summary>
    /// <exception cref="OverflowException">The sum wraps around 2^64.</exception>
    public static PhysAddr operator +(PhysAddr address, ulong offset) => new(AddressMath.Add(address._value, offset, "phys"));

    /// <summary>The address moved down by <paramref name="offset"/> bytes.</summary>
    /// <exception cref="OverflowException">The result is below zero.</exception>
    public static PhysAddr operator -(PhysAddr address, ulong offset) => new(AddressMath.Subtract(address._value, offset, "phys"));

    /// <summary>The distance in bytes from <paramref name="start"/> up to <paramref name="end"/>.</summary>
    /// <exception cref="OverflowException"><paramref name="start"/> lies above <paramref name="end"/>.</exception>
    public static ulong operator -(PhysAddr end, PhysAddr start) => AddressMath.Subtract(end._value, start._value, "phys");

#pragma warning disable CS1591 // Comparison operators are self-describing.
    public static bool operator ==(PhysAddr left, PhysAddr right) => left._value == right._value;
    public static bool operator !=(PhysAddr left, PhysAddr right) => left._value != right._value;
    public static bool operator <(PhysAddr left, PhysAddr right) => left._value < right._value;
    public static bool operator >(PhysAddr left, PhysAddr right) => left._value > right._value;
    public static bool operator <=(PhysAddr left, PhysAddr right) => left._value <= right._value;
    public static bool operator >=(PhysAddr left, PhysAddr right) => left._value >= right._value;
#pragma warning restore CS1591

    /// <inheritdoc/>
    public bool Equals(PhysAddr other) => _value == other._value;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PhysAddr other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value.GetHashCode();

    /// <inheritdoc/>
    public int CompareTo(PhysAddr other) => _value.CompareTo(other._value);

    /// <summary>The address in hex, prefixed with its space (e.g. "phys 0x1000").</summary>
    public override string ToString() => "phys " + AddressMath.Hex(_value);
}
