using System.Collections.Generic;
using P2PDma.Pci;

namespace P2PDma.P2P;

/// <summary>One allowlist entry: a vendor, a device ID or <see cref="HostBridgeAllowlist.AnyDevice"/>, and a flag.</summary>
/// <param name="VendorId">The PCI vendor ID.</param>
/// <param name="DeviceId">The PCI device ID, or <see cref="HostBridgeAllowlist.AnyDevice"/> for every device of the vendor.</param>
/// <param name="RequiresSameHostBridge">True when both devices must sit below this same host bridge (<c>REQ_SAME_HOST_BRIDGE</c>).</param>
public readonly record struct HostBridgeAllowlistEntry(ushort VendorId, int DeviceId, bool RequiresSameHostBridge)
{
    /// <summary>True when the entry names <paramref name="vendorId"/>:<paramref name="deviceId"/>.</summary>
    public bool Matches(ushort vendorId, ushort deviceId) =>
        vendorId == VendorId && (DeviceId == HostBridgeAllowlist.AnyDevice || deviceId == DeviceId);
}

/// <summary>
/// Root complexes known to forward peer-to-peer traffic between their root ports (<c>pci_p2pdma_whitelist</c> in
/// drivers/pci/p2pdma.c, as in the current PCI tree). The entry is matched against the device
/// <c>pci_host_bridge_dev</c> finds on the host bridge's root bus (<see cref="PciHostBridge.AllowlistIdentity"/>), not
/// against an abstract host bridge ID; some older parts forward only between ports of the same host bridge.
/// </summary>
public static class HostBridgeAllowlist
{
    /// <summary><c>PCI_ANY_ID</c>: an entry with this device ID matches every device of its vendor.</summary>
    public const int AnyDevice = -1;

    private const ushort Intel = 0x8086;
    private const ushort Google = 0x1ae0;
    private const ushort Nvidia = 0x10de;
    private const ushort Zhaoxin = 0x1d17;

    /// <summary>The entries, in the kernel's order (the first entry whose vendor and device match decides).</summary>
    public static IReadOnlyList<HostBridgeAllowlistEntry> Entries { get; } = new HostBridgeAllowlistEntry[]
    {
        new(Intel, 0x3c00, true), // Xeon E5 / Core i7
        new(Intel, 0x3c01, true),
        new(Intel, 0x2f00, true), // Xeon E7 v3 / E5 v3 / Core i7
        new(Intel, 0x2f01, true),
        new(Intel, 0x2030, false), // Skylake-E
        new(Intel, 0x2031, false),
        new(Intel, 0x2032, false),
        new(Intel, 0x2033, false),
        new(Intel, 0x2020, false),
        new(Intel, 0x09a2, false), // Ice Lake-SP
        new(Intel, 0x0b25, false), // PCI_DEVICE_ID_INTEL_DSA_SPR0
        new(Intel, 0x0cfe, false), // PCI_DEVICE_ID_INTEL_IAX_SPR0
        new(Intel, 0x11fb, false), // PCI_DEVICE_ID_INTEL_DSA_GNRD
        new(Intel, 0x1212, false), // PCI_DEVICE_ID_INTEL_DSA_DMR
        new(Intel, 0x1216, false), // PCI_DEVICE_ID_INTEL_IAA_DMR
        new(Intel, 0x4940, false), // PCI_DEVICE_ID_INTEL_QAT_4XXX
        new(Intel, 0x4942, false), // PCI_DEVICE_ID_INTEL_QAT_401XX
        new(Intel, 0x4944, false), // PCI_DEVICE_ID_INTEL_QAT_402XX
        new(Intel, 0x4946, false), // PCI_DEVICE_ID_INTEL_QAT_420XX
        new(Intel, 0x4948, false), // PCI_DEVICE_ID_INTEL_QAT_6XXX
        new(Google, AnyDevice, false), // Google SoCs
        new(Nvidia, 0x2f95, false), // Nvidia CPUs
        new(Nvidia, 0x2f96, false),
        new(Nvidia, 0x2f97, false),
        new(Nvidia, 0x2f98, false),
        new(Zhaoxin, 0x1003, true), // Zhaoxin KX-6000/KH-40000/KX-6000G/KX-7000/KH-50000
        new(Zhaoxin, 0x1005, true),
        new(Zhaoxin, 0x1006, true),
        new(Zhaoxin, 0x1007, true),
        new(Zhaoxin, 0x1008, false),
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

    /// <summary>
    /// <c>__host_bridge_whitelist</c>: no root-bus device to identify the bridge by is "not listed"; otherwise the first
    /// matching entry decides, and an entry that requires the same host bridge refuses two.
    /// </summary>
    private static bool IsListed(PciHostBridge host, bool sameHostBridge)
    {
        if (host.AllowlistIdentity is not (ushort vendor, ushort device))
        {
            return false;
        }

        foreach (HostBridgeAllowlistEntry entry in Entries)
        {
            if (entry.Matches(vendor, device))
            {
                return !entry.RequiresSameHostBridge || sameHostBridge;
            }
        }

        return false;
    }
}
