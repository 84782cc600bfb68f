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
}
