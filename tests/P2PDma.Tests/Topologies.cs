using System;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>PCI IDs the kernel's P2PDMA allowlist (<c>pci_p2pdma_whitelist</c>) knows, and one it does not.</summary>
internal static class Ids
{
    public const ushort Intel = 0x8086;

    /// <summary>Skylake-E root complex: allowlisted, no same-host-bridge requirement.</summary>
    public const ushort SkylakeE = 0x2030;

    /// <summary>Ice Lake-SP root complex: allowlisted, no same-host-bridge requirement.</summary>
    public const ushort IceLakeSp = 0x09a2;

    /// <summary>Xeon E5 / Core i7 root complex: allowlisted only when both devices sit below the same host bridge.</summary>
    public const ushort XeonE5 = 0x3c00;

    /// <summary>An Intel root complex that is not on the list.</summary>
    public const ushort IntelUnlisted = 0x1234;

    public static Action<HostBridgeOptions> Host(ushort vendor, ushort device, bool iommu = false) =>
        hb => hb.Identity(vendor, device).Iommu(iommu);

    /// <summary>A Skylake-E host bridge: forwards P2P between its root ports.</summary>
    public static Action<HostBridgeOptions> SkylakeHost(bool iommu = false) => Host(Intel, SkylakeE, iommu);

    /// <summary>The builder's default host bridge identity (QEMU's), which no allowlist contains.</summary>
    public static Action<HostBridgeOptions> PlainHost(bool iommu = false) => hb => hb.Iommu(iommu);
}

/// <summary>
/// Topology builders shared by the tests. Device names: <c>gpu</c> is the P2P provider (a large BAR0), <c>nic</c> the
/// client (a small BAR0), <c>victim</c> a bystander whose BAR a misrouted DMA may hit.
/// </summary>
internal static class Topologies
{
    public const ulong GpuBar = 0xE000_0000;
    public const ulong GpuBarSize = 0x1000_0000;
    public const ulong NicBar = 0xF000_0000;
    public const ulong NicBarSize = 0x10_0000;

    /// <summary>
    /// hb0 - rp0 - sw0 - { sw0.dp0 - gpu, sw0.dp1 - nic }: the switch-local layout (BUS_ADDR without ACS).
    /// </summary>
    public static PciTopology SwitchSiblings(
        Action<HostBridgeOptions>? host = null,
        AcsControl providerPortAcs = AcsControl.None,
        AcsControl clientPortAcs = AcsControl.None,
        AcsControl upstreamPortAcs = AcsControl.None,
        AcsControl rootPortAcs = AcsControl.None,
        CpuInfo? cpu = null)
    {
        var b = new PciTopologyBuilder();
        if (cpu is not null)
        {
            b.Cpu(cpu.Vendor, cpu.Family);
        }

        return b.HostBridge("hb0", host ?? Ids.PlainHost())
            .RootPort("rp0", "hb0", f => f.Acs(rootPortAcs))
            .SwitchUpstreamPort("sw0", "rp0", f => f.Acs(upstreamPortAcs))
            .SwitchDownstreamPort("sw0.dp0", "sw0", f => f.Acs(providerPortAcs))
            .SwitchDownstreamPort("sw0.dp1", "sw0", f => f.Acs(clientPortAcs))
            .Endpoint("gpu", "sw0.dp0", f => f.Bar(0, GpuBar, GpuBarSize))
            .Endpoint("nic", "sw0.dp1", f => f.Bar(0, NicBar, NicBarSize))
            .Build();
    }

    /// <summary>hb0 - { rp0 - gpu, rp1 - nic }: no common upstream bridge, only the host bridge joins them.</summary>
    public static PciTopology AcrossRootPorts(Action<HostBridgeOptions>? host = null, CpuInfo? cpu = null)
    {
        var b = new PciTopologyBuilder();
        if (cpu is not null)
        {
            b.Cpu(cpu.Vendor, cpu.Family);
        }

        return b.HostBridge("hb0", host ?? Ids.PlainHost())
            .RootPort("rp0", "hb0")
            .RootPort("rp1", "hb0")
            .Endpoint("gpu", "rp0", f => f.Bar(0, GpuBar, GpuBarSize))
            .Endpoint("nic", "rp1", f => f.Bar(0, NicBar, NicBarSize))
            .Build();
    }

    /// <summary>hb0 - rp0 - gpu and hb1 - rp1 - nic: two host bridges (two root complexes).</summary>
    public static PciTopology AcrossHostBridges(Action<HostBridgeOptions> host0, Action<HostBridgeOptions> host1, CpuInfo? cpu = null)
    {
        var b = new PciTopologyBuilder();
        if (cpu is not null)
        {
            b.Cpu(cpu.Vendor, cpu.Family);
        }

        return b.HostBridge("hb0", host0)
            .HostBridge("hb1", host1)
            .RootPort("rp0", "hb0")
            .RootPort("rp1", "hb1")
            .Endpoint("gpu", "rp0", f => f.Bar(0, GpuBar, GpuBarSize))
            .Endpoint("nic", "rp1", f => f.Bar(0, NicBar, NicBarSize))
            .Build();
    }

    // The translating host bridge: CPU 0x8000_0000.. appears on the bus at 0x4000_0000.. (bus_offset = -0x4000_0000).
    public const ulong OffsetWindowCpu = 0x8000_0000;
    public const ulong OffsetWindowSize = 0x8000_0000;
    public const ulong OffsetWindowBus = 0x4000_0000;
    public const long OffsetWindowBusOffset = -0x4000_0000;

    /// <summary>gpu BAR0: CPU 0x9000_0000, bus 0x5000_0000.</summary>
    public const ulong OffsetGpuBarCpu = 0x9000_0000;

    /// <summary>victim BAR0: CPU 0xD000_0000, bus 0x9000_0000, i.e. exactly the gpu BAR's CPU address read as a bus address.</summary>
    public const ulong OffsetVictimBarCpu = 0xD000_0000;

    /// <summary>nic BAR0: CPU 0xF000_0000, bus 0xB000_0000.</summary>
    public const ulong OffsetNicBarCpu = 0xF000_0000;

    public const ulong OffsetBarSize = 0x1000_0000;

    /// <summary>
    /// A host bridge whose window translates (bus = cpu - 0x4000_0000), with gpu, nic and victim below one switch.
    /// The victim's BAR sits at the bus address numerically equal to the gpu BAR's CPU physical address.
    /// </summary>
    public static PciTopology BusOffsetSwitch(bool iommu = false)
    {
        return new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Iommu(iommu).Window(OffsetWindowCpu, OffsetWindowSize, OffsetWindowBus))
            .RootPort("rp0", "hb0")
            .SwitchUpstreamPort("sw0", "rp0")
            .SwitchDownstreamPort("sw0.dp0", "sw0")
            .SwitchDownstreamPort("sw0.dp1", "sw0")
            .SwitchDownstreamPort("sw0.dp2", "sw0")
            .Endpoint("gpu", "sw0.dp0", f => f.Bar(0, OffsetGpuBarCpu, OffsetBarSize))
            .Endpoint("nic", "sw0.dp1", f => f.Bar(0, OffsetNicBarCpu, 0x10_0000))
            .Endpoint("victim", "sw0.dp2", f => f.Bar(0, OffsetVictimBarCpu, OffsetBarSize))
            .Build();
    }

    /// <summary>A single endpoint below a root port, for DMA-API tests that need no peer.</summary>
    public static PciTopology SingleDevice(bool iommu = false, long dmaOffset = 0)
    {
        return new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Iommu(iommu).DmaOffset(dmaOffset))
            .RootPort("rp0", "hb0")
            .Endpoint("nic", "rp0", f => f.Bar(0, NicBar, NicBarSize))
            .Build();
    }

    /// <summary>Initialises P2PDMA on gpu and returns its BAR0 provider.</summary>
    public static P2PProvider GpuProvider(PciTopology t)
    {
        PciDevice gpu = t.Device("gpu");
        Assert.Equal(DmaError.None, PciP2PDma.Init(gpu));
        return PciP2PDma.Provider(gpu, 0) ?? throw new InvalidOperationException("gpu has no BAR0 provider");
    }

    /// <summary>Publishes the whole of gpu BAR0 with struct pages and returns the P2P page at <paramref name="offset"/>.</summary>
    public static Page GpuP2PPage(PciTopology t, ulong offset = 0)
    {
        PciDevice gpu = t.Device("gpu");
        Assert.Equal(DmaError.None, PciP2PDma.AddResource(gpu, 0));
        return t.Memory.PhysToPage(gpu.Bar(0).CpuStart + offset);
    }

    /// <summary>Distinct, recognisable bytes: <paramref name="seed"/>, seed+1, ...</summary>
    public static byte[] Pattern(int length, byte seed) =>
        Enumerable.Range(0, length).Select(i => unchecked((byte)(seed + (i * 7)))).ToArray();
}
