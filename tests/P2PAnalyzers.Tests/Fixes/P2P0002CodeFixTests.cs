using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0002PhysicalAddressAsBusAddressAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

public sealed class P2P0002CodeFixTests
{
    internal const string Before = """
        using P2PDma.Addresses;
        using P2PDma.Pci;

        public static class Scenario
        {
            // A driver on an ARM/POWER host bridge gives its switch-local peer the BAR's CPU address as a bus address.
            public static byte[] ReadPeer(PciTopology t, PciDevice client, PciDevice peer, int length)
            {
                ulong cpu = peer.Bar(0).CpuStart.Raw;
                PciBusAddr bus = {|P2P0002:PciBusAddr.FromRaw(cpu)|};
                return t.Fabric.Read(client, DmaAddr.FromRaw(bus.Raw), length).Data;
            }
        }
        """;

    internal const string After = """
        using P2PDma.Addresses;
        using P2PDma.Pci;

        public static class Scenario
        {
            // A driver on an ARM/POWER host bridge gives its switch-local peer the BAR's CPU address as a bus address.
            public static byte[] ReadPeer(PciTopology t, PciDevice client, PciDevice peer, int length)
            {
                ulong cpu = peer.Bar(0).CpuStart.Raw;
                PciBusAddr bus = peer.Bar(0).BusAddressOf(PhysAddr.FromRaw(cpu));
                return t.Fabric.Read(client, DmaAddr.FromRaw(bus.Raw), length).Data;
            }
        }
        """;

    [Fact]
    public Task ArmHostBridgeScenario_UsesBusAddressOf() => Verifier.CodeFix<P2P0002PhysicalAddressAsBusAddressCodeFix>(Before, After);

    [Fact]
    public Task RawConstructorOfBarAddress_UsesBusAddressOf() => Verifier.CodeFix<P2P0002PhysicalAddressAsBusAddressCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Pci;

        class C
        {
            // A driver on a translating (ARM/POWER) host bridge programs its peer's doorbell by bus address.
            PciBusAddr Doorbell(PciDevice peer, ulong offset)
            {
                ulong cpu = peer.Bar(2).CpuStart.Raw + offset;
                return {|P2P0002:PciBusAddr.FromRaw(cpu)|};
            }
        }
        """, """
        using P2PDma.Addresses;
        using P2PDma.Pci;

        class C
        {
            // A driver on a translating (ARM/POWER) host bridge programs its peer's doorbell by bus address.
            PciBusAddr Doorbell(PciDevice peer, ulong offset)
            {
                ulong cpu = peer.Bar(2).CpuStart.Raw + offset;
                return peer.Bar(2).BusAddressOf(PhysAddr.FromRaw(cpu));
            }
        }
        """);

    [Fact]
    public Task AnnotatedWrapperArgument_GetsRawBusAddress_AndUsing() => Verifier.CodeFix<P2P0002PhysicalAddressAsBusAddressCodeFix>("""
        using P2PDma.P2P;

        class C
        {
            static void WriteWindow([P2PDma.Addresses.PciBusAddress] ulong bus) { }

            void M(P2PProvider provider)
            {
                WriteWindow({|P2P0002:provider.Bar.CpuStart.Raw|});
            }
        }
        """, """
        using P2PDma.Addresses;
        using P2PDma.P2P;

        class C
        {
            static void WriteWindow([P2PDma.Addresses.PciBusAddress] ulong bus) { }

            void M(P2PProvider provider)
            {
                WriteWindow(provider.Bar.BusAddressOf(PhysAddr.FromRaw(provider.Bar.CpuStart.Raw)).Raw);
            }
        }
        """);

    [Fact]
    public Task UnknownBar_ReportsWithoutFix() => Verifier.NoCodeFix<P2P0002PhysicalAddressAsBusAddressCodeFix>("""
        using P2PDma.Addresses;

        class C
        {
            PciBusAddr M([CpuPhysicalAddress] ulong cpu) => {|P2P0002:PciBusAddr.FromRaw(cpu)|};
        }
        """);

    // nvme_map_cmb picks its CMB BAR at run time (NVME_CMB_BIR(cmbloc)): the BAR index is a variable, never assigned
    // again, so the fix names the same BAR.
    [Fact]
    public Task VariableBarIndex_UsesBusAddressOfThatBar() => Verifier.CodeFix<P2P0002PhysicalAddressAsBusAddressCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Pci;

        sealed class NvmeDev
        {
            public PciDevice Pdev = null!;
            public uint Cmbloc;
            public PciBusAddr CmbBusAddr;
        }

        static class NvmePci
        {
            // nvme_map_cmb
            static void MapCmb(NvmeDev dev, ulong offset)
            {
                int bar = (int)(dev.Cmbloc & 0x7);
                ulong start = dev.Pdev.Bar(bar).CpuStart.Raw + offset;
                dev.CmbBusAddr = {|P2P0002:PciBusAddr.FromRaw(start)|};
            }
        }
        """, """
        using P2PDma.Addresses;
        using P2PDma.Pci;

        sealed class NvmeDev
        {
            public PciDevice Pdev = null!;
            public uint Cmbloc;
            public PciBusAddr CmbBusAddr;
        }

        static class NvmePci
        {
            // nvme_map_cmb
            static void MapCmb(NvmeDev dev, ulong offset)
            {
                int bar = (int)(dev.Cmbloc & 0x7);
                ulong start = dev.Pdev.Bar(bar).CpuStart.Raw + offset;
                dev.CmbBusAddr = dev.Pdev.Bar(bar).BusAddressOf(PhysAddr.FromRaw(start));
            }
        }
        """);

    // The index changes after the BAR was read: the BAR it names at the sink is another one, so no fix.
    [Fact]
    public Task VariableBarIndexAssignedAgain_ReportsWithoutFix() => Verifier.NoCodeFix<P2P0002PhysicalAddressAsBusAddressCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Pci;

        static class NvmePci
        {
            static PciBusAddr MapCmb(PciDevice pdev, int bar, ulong offset)
            {
                ulong start = pdev.Bar(bar).CpuStart.Raw + offset;
                bar++;
                return {|P2P0002:PciBusAddr.FromRaw(start)|};
            }
        }
        """);
}
