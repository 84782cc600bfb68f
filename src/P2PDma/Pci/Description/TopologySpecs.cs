using System.Collections.Generic;
using P2PDma.Addresses;

namespace P2PDma.Pci.Description;

// The declarations a builder or a parsed description collects before the topology is validated and assembled.
// Line is the source line of the declaration (null when built in code); Order is its place among the host bridges and
// functions, in file or call order, so that "the later declaration" means the same whatever the kinds.

internal sealed class HostBridgeSpec
{
    public string Name = "";
    public int? Line;
    public int Order;
    public int Domain;
    public int? RootBus;
    public ushort VendorId = DefaultIds.HostBridgeVendor;
    public ushort DeviceId = DefaultIds.HostBridgeDevice;
    public bool Iommu;
    public long DmaOffset;
    public ulong DmaLimit;
    public bool HostFunction = true;
    public readonly List<WindowSpec> Windows = new();
}

internal sealed class WindowSpec
{
    public int? Line;
    public ulong CpuStart;
    public ulong Size;
    public ulong BusStart;
}

internal sealed class FunctionSpec
{
    public string Name = "";
    public int? Line;
    public int Order;
    public PciDeviceKind Kind;
    public string Parent = "";
    public ushort VendorId = DefaultIds.FunctionVendor;
    public ushort DeviceId = DefaultIds.FunctionDevice;
    public int? Slot;
    public int Function;
    public AcsControl Acs;
    public int DmaMaskBits = 32;
    public string? PhysFn;
    public readonly List<BarSpec> Bars = new();

    public string Subject => $"{Keywords.Of(Kind)} {Name}";
}

internal sealed class BarSpec
{
    public int? Line;
    public int Index;
    public ulong CpuStart;
    public ulong Size;
    public bool Prefetchable = true;
}

internal sealed class TopologySpec
{
    private int _declarations;

    public CpuInfo Cpu = CpuInfo.Generic;
    public int? CpuLine;
    public readonly List<PhysRange> Ram = new();
    public readonly List<int?> RamLines = new();
    public readonly List<HostBridgeSpec> HostBridges = new();
    public readonly List<FunctionSpec> Functions = new();

    /// <summary>The next declaration's <c>Order</c>.</summary>
    public int NextOrder() => _declarations++;
}

/// <summary>IDs used when a description gives none: QEMU's (Red Hat) IDs, which no allowlist contains.</summary>
internal static class DefaultIds
{
    public const ushort HostBridgeVendor = 0x1b36;
    public const ushort HostBridgeDevice = 0x0008;
    public const ushort FunctionVendor = 0x1b36;
    public const ushort FunctionDevice = 0x0001;
}

/// <summary>The description keyword of each kind of declaration, shared by parser, writer and error messages.</summary>
internal static class Keywords
{
    public const string Cpu = "cpu";
    public const string Ram = "ram";
    public const string HostBridge = "host-bridge";
    public const string Window = "window";
    public const string Bar = "bar";
    public const string RootPort = "root-port";
    public const string SwitchUp = "switch-up";
    public const string SwitchDown = "switch-down";
    public const string Endpoint = "endpoint";

    public static string Of(PciDeviceKind kind) => kind switch
    {
        PciDeviceKind.RootPort => RootPort,
        PciDeviceKind.SwitchUpstreamPort => SwitchUp,
        PciDeviceKind.SwitchDownstreamPort => SwitchDown,
        _ => Endpoint,
    };

    /// <summary>The subject of every error about a BAR once its index is known, in parser and assembler alike: <c>bar gpu0 0</c>.</summary>
    public static string BarSubject(string owner, int index) => $"{Bar} {owner} {index}";

    /// <summary>"an" before a keyword that starts with a vowel sound (all of ours are spelt as they sound), else "a".</summary>
    public static string Article(string keyword) => "aeiou".IndexOf(keyword[0]) >= 0 ? "an" : "a";
}
