using System.Collections.Generic;
using System.Linq;
using P2PDma.Pci;

namespace P2PDma.P2P;

/// <summary>
/// Root complexes known to forward peer-to-peer traffic between their root ports (<c>pci_p2pdma_whitelist</c> in
/// drivers/pci/p2pdma.c). Some older Xeons forward only between ports of the same host bridge.
/// </summary>
public static class HostBridgeAllowlist
{
    private const ushort Intel = 0x8086;

    /// <summary>The entries: vendor, device, and whether both devices must sit below the same host bridge.</summary>
    public static IReadOnlyList<(ushort VendorId, ushort DeviceId, bool RequiresSameHostBridge)> Entries { get; } = new[]
    {
        (Intel, (ushort)0x3c00, true), // Xeon E5 / Core i7
        (Intel, (ushort)0x3c01, true),
        (Intel, (ushort)0x2f00, true), // Xeon E7 v3 / E5 v3 / Core i7
        (Intel, (ushort)0x2f01, true),
        (Intel, (ushort)0x2030, false), // Skylake-E
        (Intel, (ushort)0x2031, false),
        (Intel, (ushort)0x2032, false),
        (Intel, (ushort)0x2033, false),
        (Intel, (ushort)0x2020, false),
        (Intel, (ushort)0x09a2, false), // Ice Lake-SP
    };

    /// <summary>
    /// True when traffic between <paramref name="a"/> and <paramref name="b"/> may go through their host bridge(s)
    /// (<c>host_bridge_whitelist</c>): one allowlisted bridge (honouring the same-bridge requirement), or two allowlisted
    /// bridges that carry no such requirement.
    /// </summary>
    public static bool Allows(PciDevice a, PciDevice b)
    {
        PciHostBridge hostA = a.HostBridge;
        PciHostBridge hostB = b.HostBridge;
        if (hostA == hostB)
        {
            return IsListed(hostA, sameHostBridge: true);
        }

        return IsListed(hostA, sameHostBridge: false) && IsListed(hostB, sameHostBridge: false);
    }

    private static bool IsListed(PciHostBridge host, bool sameHostBridge)
    {
        var entry = Entries.FirstOrDefault(e => e.VendorId == host.VendorId && e.DeviceId == host.DeviceId);
        return entry.VendorId != 0 && (!entry.RequiresSameHostBridge || sameHostBridge);
    }
}
