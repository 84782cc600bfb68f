using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0002PhysicalAddressAsBusAddressAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>P2P0002 follows a CPU physical address to a bus-address sink through locals, operators, branches, loops, fields, lambdas and attributes.</summary>
public sealed class P2P0002FlowTests
{
    private const string Usings = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;
        using P2PDma.P2P;
        using P2PDma.Memory;

        """;

    [Fact]
    public Task ArithmeticAndBitOperations_KeepTheAddress() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, ulong offset, ulong flags)
            {
                ulong a = bar.CpuStart.Raw;
                ulong b = ((a + offset) & ~0xFFFUL) | flags;
                var x = {|P2P0002:PciBusAddr.FromRaw(b)|};
                var y = {|P2P0002:PciBusAddr.FromRaw(b ^ 0x1)|};
                var z = {|P2P0002:PciBusAddr.FromRaw(checked((b - 0x100) >> 12 << 12))|};
            }
        }
        """);

    [Fact]
    public Task OffsetsAndDifferences_AreNotAddresses() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, PhysAddr p, ulong windowBase)
            {
                ulong inPage = p.Raw & 0xFFF;
                ulong fromBarStart = p.Raw - bar.CpuStart.Raw;
                ulong typed = p - bar.CpuStart;
                var a = PciBusAddr.FromRaw(windowBase + inPage);
                var b = PciBusAddr.FromRaw(bar.BusStart.Raw + fromBarStart);
                var c = PciBusAddr.FromRaw(typed);
                var d = PciBusAddr.FromRaw(p.Raw >> 12);
            }
        }
        """);

    [Fact]
    public Task CompoundAssignment_KeepsOrDropsTheAddress() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, Page page, ulong offset)
            {
                ulong bus = bar.CpuStart.Raw;
                bus += offset;
                var a = {|P2P0002:PciBusAddr.FromRaw(bus)|};

                ulong rel = page.Phys.Raw;
                rel -= bar.CpuStart.Raw;
                var b = PciBusAddr.FromRaw(rel);

                ulong pfn = page.Pfn;
                pfn <<= 12;
                var c = {|P2P0002:PciBusAddr.FromRaw(pfn)|};
                var d = PciBusAddr.FromRaw(page.Pfn);
            }
        }
        """);

    [Fact]
    public Task TernaryAndBranch_ReportWhenOnePathIsPhysical() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, bool identityMapped, PhysAddr phys)
            {
                ulong a = identityMapped ? phys.Raw : bar.BusAddressOf(phys).Raw;
                var x = {|P2P0002:PciBusAddr.FromRaw(a)|};

                ulong b;
                if (identityMapped)
                    b = phys.Raw;
                else
                    b = bar.BusAddressOf(phys).Raw;
                var y = {|P2P0002:PciBusAddr.FromRaw(b)|};
            }
        }
        """);

    [Fact]
    public Task EveryPathTranslates_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, P2PProvider provider, bool useProvider, PhysAddr phys)
            {
                ulong a = phys.Raw;
                if (useProvider)
                    a = PciP2PDma.BusAddrMap(provider, phys).Raw;
                else
                    a = bar.BusAddressOf(phys).Raw;
                var x = PciBusAddr.FromRaw(a);

                ulong b = phys.Raw;
                b = bar.BusAddressOf(PhysAddr.FromRaw(b)).Raw;
                var y = PciBusAddr.FromRaw(b);
            }
        }
        """);

    [Fact]
    public Task LoopOverWindows_Reports() => Verifier.Analyzer(Usings + """
        sealed class Atu { public void SetWindow(int index, [PciBusAddress] ulong busBase, ulong size) { } }

        class C
        {
            // An outbound-window (iATU) setup that programs the CPU address as the bus base of every window.
            void M(PciDevice dev, Atu atu)
            {
                for (int i = 0; i < dev.Bars.Count; i++)
                {
                    PciBar bar = dev.Bars[i];
                    ulong start = bar.CpuStart.Raw;
                    atu.SetWindow(i, {|P2P0002:start|}, bar.Size);
                }

                foreach (PciBar bar in dev.Bars)
                {
                    atu.SetWindow(bar.Index, bar.BusStart.Raw, bar.Size);
                }
            }
        }
        """);

    [Fact]
    public Task StructAndTupleFields_Report() => Verifier.Analyzer(Usings + """
        struct Window { public ulong Base; public ulong Size; }

        class C
        {
            void M(PciBar bar)
            {
                Window w;
                w.Base = bar.CpuStart.Raw;
                w.Size = bar.Size;
                var copy = w;
                var a = {|P2P0002:PciBusAddr.FromRaw(copy.Base)|};
                var b = PciBusAddr.FromRaw(copy.Size);

                var pair = (cpu: bar.CpuStart.Raw, bus: bar.BusStart.Raw);
                var c = {|P2P0002:PciBusAddr.FromRaw(pair.cpu)|};
                var d = PciBusAddr.FromRaw(pair.bus);
                var (cpu, bus) = pair;
                var e = {|P2P0002:PciBusAddr.FromRaw(cpu)|};
                var f = PciBusAddr.FromRaw(bus);
            }
        }
        """);

    [Fact]
    public Task LambdaAndLocalFunction_Report() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar)
            {
                ulong cpu = bar.CpuStart.Raw;
                Func<PciBusAddr> bus = () => {|P2P0002:PciBusAddr.FromRaw(cpu)|};
                Program(cpu);
                Program(bar.BusStart.Raw);

                void Program(ulong value)
                {
                    var b = {|P2P0002:PciBusAddr.FromRaw(value)|};
                }
            }
        }
        """);

    [Fact]
    public Task LocalFunctionGivenBusAddressesOnly_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, PhysAddr phys)
            {
                Program(bar.BusStart.Raw);
                Program(bar.BusAddressOf(phys).Raw);

                static void Program(ulong value)
                {
                    var b = PciBusAddr.FromRaw(value);
                }
            }
        }
        """);

    [Fact]
    public Task AcrossMethodsThroughAttributes_Report() => Verifier.Analyzer(Usings + """
        class Hw
        {
            [CpuPhysicalAddress] ulong _doorbellPhys;
            [PciBusAddress] ulong _doorbellBus;

            [return: CpuPhysicalAddress]
            static ulong BarBase(PciBar bar) => bar.CpuStart.Raw;

            static void Program([PciBusAddress] ulong address) { }

            [return: PciBusAddress]
            static ulong Translate([CpuPhysicalAddress] ulong phys) => {|P2P0002:phys|};

            void M(PciBar bar)
            {
                Program({|P2P0002:BarBase(bar) + 0x100|});
                _doorbellBus = {|P2P0002:_doorbellPhys|};
                _doorbellBus += 4;
            }
        }
        """);

    [Fact]
    public Task ProjectsOwnAttributeCopyWithoutLibrary_Reports() => Verifier.Analyzer("""
        namespace P2PDma.Addresses
        {
            [System.AttributeUsage(System.AttributeTargets.Parameter | System.AttributeTargets.Field | System.AttributeTargets.Property | System.AttributeTargets.ReturnValue)]
            sealed class CpuPhysicalAddressAttribute : System.Attribute { }

            [System.AttributeUsage(System.AttributeTargets.Parameter | System.AttributeTargets.Field | System.AttributeTargets.Property | System.AttributeTargets.ReturnValue)]
            sealed class PciBusAddressAttribute : System.Attribute { }
        }

        namespace MyDriver
        {
            using P2PDma.Addresses;

            sealed class Ntb
            {
                [CpuPhysicalAddress] public ulong PeerMwPhys;
                [PciBusAddress] public ulong PeerMwBus;

                void SetupMw(ulong xlat)
                {
                    PeerMwBus = {|#0:PeerMwPhys|};
                    PeerMwBus = xlat;
                }
            }
        }
        """,
        withLibrary: false,
        Verifier.Diagnostic("P2P0002").WithLocation(0)
            .WithArguments("PeerMwPhys", "field 'PeerMwPhys' is [CpuPhysicalAddress]", "field 'PeerMwBus' is [PciBusAddress]"));

    [Fact]
    public Task AttributesOfTheSameNameInAnotherNamespaceWithoutLibrary_NoDiagnostic() => Verifier.Analyzer("""
        namespace MyDriver.Annotations
        {
            [System.AttributeUsage(System.AttributeTargets.Parameter | System.AttributeTargets.Field | System.AttributeTargets.Property | System.AttributeTargets.ReturnValue)]
            sealed class CpuPhysicalAddressAttribute : System.Attribute { }

            [System.AttributeUsage(System.AttributeTargets.Parameter | System.AttributeTargets.Field | System.AttributeTargets.Property | System.AttributeTargets.ReturnValue)]
            sealed class PciBusAddressAttribute : System.Attribute { }
        }

        namespace MyDriver
        {
            using MyDriver.Annotations;

            sealed class Ntb
            {
                [CpuPhysicalAddress] public ulong PeerMwPhys;
                [PciBusAddress] public ulong PeerMwBus;

                void SetupMw() => PeerMwBus = PeerMwPhys;
            }
        }
        """,
        withLibrary: false);

    // ---- Across methods without attributes: the whole-program summary follows returns ----

    [Fact]
    public Task UnannotatedHelperReturn_IsFollowed_Reports() => Verifier.Analyzer(Usings + """
        class C
        {
            static ulong WindowBase(PciBar bar) => {|#2:{|#1:bar.CpuStart|}.Raw|};

            PciBusAddr M(PciBar bar) => {|#0:PciBusAddr.FromRaw(WindowBase(bar))|};
        }
        """,
        Verifier.Diagnostic("P2P0002").WithLocation(0).WithLocation(1).WithLocation(2)
            .WithArguments("WindowBase(bar)", "PciBar.CpuStart, returned by C.WindowBase", "PciBusAddr.FromRaw"));
}
