namespace P2PDma.Addresses;

/// <summary>Shared helpers for the three address types (one place for page math and formatting).</summary>
internal static class AddressMath
{
    internal static string Hex(ulong value) => "0x" + value.ToString("x");

    internal static ulong Add(ulong address, ulong offset, string space)
    {
        ulong sum = unchecked(address + offset);
        if (sum < address)
        {
            throw new System.OverflowException($"{space} address {Hex(address)} + {Hex(offset)} wraps around 2^64.");
        }

        return sum;
    }

    internal static ulong Subtract(ulong address, ulong offset, string space)
    {
        if (offset > address)
        {
            throw new System.OverflowException($"{space} address {Hex(address)} - {Hex(offset)} is below zero.");
        }

        return address - offset;
    }
}
