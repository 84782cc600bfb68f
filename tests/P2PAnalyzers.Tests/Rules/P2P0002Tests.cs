using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0002PhysicalAddressAsBusAddressAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0002 on the habit it names (a CPU physical address handed out as a PCI bus address, which is wrong behind every
/// host bridge that translates: ARM and POWER) and on the proper API it must leave alone. Flow cases are in
/// <see cref="P2P0002FlowTests"/>.
/// </summary>
public sealed class P2P0002Tests
{
    // Five lines: the test code starts on line 6.
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;
        using P2PDma.P2P;
        using P2PDma.Memory;

        """;

    // ---- Positive: the habits ----

    [Fact]
    public Task NvmeCmbBusAddressFromResourceStart_Reports() => Verifier.Analyzer(Usings + """
        class NvmeDev
        {
            [PciBusAddress] public ulong CmbBusAddr;

            // nvme_map_cmb before "nvme-pci: Use PCI bus address for data/queues in CMB":
            // pci_resource_start(pdev, bar) + offset given to the controller, which decodes bus addresses.
            void MapCmb(PciDevice pdev, int bar, ulong offset)
            {
                CmbBusAddr = {|#0:pdev.Bar(bar).CpuStart.Raw + offset|};
            }
        }
        """,
        Verifier.Diagnostic("P2P0002").WithLocation(0)
            .WithArguments("pdev.Bar(bar).CpuStart.Raw + offset", "PciBar.CpuStart", "field 'CmbBusAddr' is [PciBusAddress]"));

    [Fact]
    public Task TranslatingHostBridgeBusEqualsCpu_Reports() => Verifier.Analyzer(Usings + """
        class PeerDoorbell
        {
            // "bus address == CPU address": true on x86, wrong on ARM and POWER host bridges that translate.
            PciBusAddr DoorbellOf(PciBar peerBar, ulong doorbellOffset)
            {
                return {|#0:PciBusAddr.FromRaw(peerBar.CpuStart.Raw + doorbellOffset)|};
            }
        }
        """,
        Verifier.Diagnostic("P2P0002").WithLocation(0)
            .WithArguments("peerBar.CpuStart.Raw + doorbellOffset", "PciBar.CpuStart", "PciBusAddr.FromRaw"));

    [Fact]
    public Task PowerPhbWindowHelperReturnsCpuAddress_Reports() => Verifier.Analyzer(Usings + """
        static class PhbWindows
        {
            // A window helper ported from an identity-mapped platform: the bus base is "the same" as the CPU base.
            [return: PciBusAddress]
            public static ulong BusBase(PciBar bar) => {|#0:bar.CpuRange.Start.Raw|};
        }
        """,
        Verifier.Diagnostic("P2P0002").WithLocation(0)
            .WithArguments("bar.CpuRange.Start.Raw", "PciBar.CpuRange", "BusBase returns [PciBusAddress]"));

    [Fact]
    public Task PeerDoorbellParameterGetsProviderCpuAddress_Reports() => Verifier.Analyzer(Usings + """
        sealed class Nic
        {
            public void SetPeerDoorbell([PciBusAddress] ulong doorbell) { }
        }

        class Driver
        {
            void Wire(Nic nic, P2PProvider provider)
            {
                nic.SetPeerDoorbell({|#0:provider.Bar.CpuStart.Raw + 0x100|});
            }
        }
        """,
        Verifier.Diagnostic("P2P0002").WithLocation(0)
            .WithArguments("provider.Bar.CpuStart.Raw + 0x100", "PciBar.CpuStart", "parameter 'doorbell' of SetPeerDoorbell is [PciBusAddress]"));

    [Fact]
    public Task BusOffsetAppliedWithTheWrongSign_Reports() => Verifier.Analyzer(Usings + """
        class OldP2PDma
        {
            // Before v5.15 ("PCI/P2PDMA: Apply bus offset correctly in DMA address calculation") the offset was subtracted.
            PciBusAddr BusAddrOf(P2PProvider provider, PhysAddr phys) =>
                {|P2P0002:PciBusAddr.FromRaw(phys.Raw - (ulong)provider.BusOffset)|};
        }
        """);

    [Fact]
    public Task PeerPagePhysAsBusAddress_Reports() => Verifier.Analyzer(Usings + """
        sealed class BusWindow
        {
            public BusWindow([PciBusAddress] ulong start, ulong size) { }
        }

        class Driver
        {
            void M(Page page, KernelBuffer buf)
            {
                var a = {|P2P0002:PciBusAddr.FromRaw(page.Phys.Raw)|};
                var w = new BusWindow({|P2P0002:buf.VirtToPhys(0).Raw|}, buf.Size);
            }
        }
        """);

    // ---- Negative: the proper API ----

    [Fact]
    public Task BusAddressOfTheBar_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class NvmeDev
        {
            [PciBusAddress] public ulong CmbBusAddr;

            // nvme_map_cmb today: dev->cmb_bus_addr = pci_bus_address(pdev, bar) + offset;
            void MapCmb(PciDevice pdev, int bar, ulong offset)
            {
                PciBar cmb = pdev.Bar(bar);
                CmbBusAddr = cmb.BusStart.Raw + offset;
                PciBusAddr viaCpu = cmb.BusAddressOf(cmb.CpuStart + offset);
                CmbBusAddr = viaCpu.Raw;
                var again = PciBusAddr.FromRaw(cmb.BusAddressOf(PhysAddr.FromRaw(cmb.CpuStart.Raw + offset)).Raw);
            }
        }
        """);

    [Fact]
    public Task PeerDoorbellFromProviderBusStart_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Nic
        {
            public void SetPeerDoorbell([PciBusAddress] ulong doorbell) { }
        }

        class Driver
        {
            void Wire(Nic nic, P2PProvider provider, PhysAddr doorbellPhys)
            {
                nic.SetPeerDoorbell(provider.Bar.BusStart.Raw + 0x100);
                nic.SetPeerDoorbell(provider.Bar.BusAddressOf(doorbellPhys).Raw);
            }
        }
        """);

    [Fact]
    public Task BusAddrMapOfProvider_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            [return: PciBusAddress]
            ulong BusOf(P2PProvider provider, PhysAddr phys) => PciP2PDma.BusAddrMap(provider, phys).Raw;
        }
        """);

    [Fact]
    public Task BusOffsetAppliedByHand_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            // pci_p2pdma_bus_addr_map written out: paddr + p2p->bus_offset is the bus address.
            PciBusAddr BusOf(P2PProvider provider, PhysAddr phys) =>
                PciBusAddr.FromRaw(phys.Raw + (ulong)provider.BusOffset);

            PciBusAddr BusOf(PciBar bar, PhysAddr phys) =>
                PciBusAddr.FromRaw(unchecked(phys.Raw + (ulong)bar.BusOffset));
        }
        """);

    [Fact]
    public Task UnrelatedUlongArithmetic_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Nic { public void SetPeerDoorbell([PciBusAddress] ulong doorbell) { } }

        class Driver
        {
            void M(PciBar bar, Nic nic, int index, ulong windowBase)
            {
                var a = PciBusAddr.FromRaw(0xF000_0000);
                var b = PciBusAddr.FromRaw(bar.Size);
                var c = PciBusAddr.FromRaw(windowBase + (ulong)index * Paging.PageSize);
                nic.SetPeerDoorbell(bar.Size - 4);
                nic.SetPeerDoorbell((ulong)bar.Index << 20);
            }
        }
        """);

    [Fact]
    public Task DmaAddressesAreNotThisRule_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            void M(PciDevice dev, KernelBuffer buf, PciBar bar)
            {
                DmaAddr mapped = Dma.MapSingle(dev, buf, 0, 64, DmaDirection.ToDevice);
                var a = PciBusAddr.FromRaw(mapped.Raw);
                var b = DmaAddr.FromRaw(bar.CpuStart.Raw); // P2P0001's business
            }
        }
        """);

    [Fact]
    public Task SameSpaceAnnotationsFlowFreely_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Hw
        {
            [PciBusAddress] ulong _window;
            [CpuPhysicalAddress] ulong _aperture;

            static void Program([PciBusAddress] ulong bus) { }

            void M([PciBusAddress] ulong bus, PciBar bar)
            {
                _window = bus + 0x1000;
                Program(_window);
                _aperture = bar.CpuStart.Raw;
            }
        }
        """);

    // ---- Negative: look-alikes ----

    [Fact]
    public Task LookAlikePciBusAddrInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Fake
        {
            struct PciBusAddr { public static PciBusAddr FromRaw(ulong x) => default; }
            sealed class PciBar { public ulong CpuStart => 0; }
        }

        class Driver
        {
            void M(PciBar bar, Fake.PciBar fakeBar)
            {
                var a = Fake.PciBusAddr.FromRaw(bar.CpuStart.Raw);
                var b = PciBusAddr.FromRaw(fakeBar.CpuStart + 0x100);
            }
        }
        """);

    [Fact]
    public Task LookAlikeAttributesInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Fake.Addresses
        {
            [System.AttributeUsage(System.AttributeTargets.All)] sealed class CpuPhysicalAddressAttribute : System.Attribute { }
            [System.AttributeUsage(System.AttributeTargets.All)] sealed class PciBusAddressAttribute : System.Attribute { }
        }

        class Hw
        {
            [Fake.Addresses.PciBusAddress] ulong _window;

            void M(PciBar bar, [Fake.Addresses.CpuPhysicalAddress] ulong phys)
            {
                _window = bar.CpuStart.Raw;
                var a = PciBusAddr.FromRaw(phys);
            }
        }
        """);
}
