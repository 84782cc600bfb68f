namespace P2PDma.Pci;

/// <summary>CPU vendors the P2PDMA host-bridge rule distinguishes.</summary>
public enum CpuVendor
{
    /// <summary>Any vendor the kernel has no P2P rule for.</summary>
    Other,

    /// <summary>Intel: P2P through the host bridge only on allowlisted root complexes.</summary>
    Intel,

    /// <summary>AMD: Zen (family 0x17) and newer forward P2P between root ports.</summary>
    Amd,
}

/// <summary>The boot CPU's identity, as <c>cpu_supports_p2pdma()</c> reads it from <c>cpu_data(0)</c>.</summary>
/// <param name="Vendor">The CPU vendor.</param>
/// <param name="Family">The x86 family number (e.g. 0x17 for Zen, 0x19 for Zen 3/4, 6 for Intel Core/Xeon).</param>
public sealed record CpuInfo(CpuVendor Vendor, int Family)
{
    /// <summary>A generic CPU with no P2P forwarding support of its own.</summary>
    public static CpuInfo Generic { get; } = new(CpuVendor.Other, 0);

    /// <summary>
    /// True when every host bridge of this CPU forwards peer-to-peer traffic (<c>cpu_supports_p2pdma</c>):
    /// any AMD CPU whose family is Zen or newer.
    /// </summary>
    public bool SupportsP2PDma => Vendor == CpuVendor.Amd && Family >= 0x17;
}
