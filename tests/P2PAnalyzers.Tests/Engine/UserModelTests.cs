using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using P2PAnalyzers.Rules;
using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Engine;

/// <summary>
/// Code a project cannot annotate (a generated register map, a vendor SDK) is described in .editorconfig by
/// documentation-comment ID: sources of each address space, mapping wrappers (DMA sources), table builders; and the
/// whole-program summary can be turned off.
/// </summary>
public sealed class UserModelTests
{
    // A vendor header turned C#: the driver cannot add attributes to it.
    private const string Vendor = """
        namespace Vendor
        {
            public static class Regs
            {
                public static ulong BarBase(int bar) => 0xfe000000UL + (ulong)bar * 0x100000UL;
                public static ulong MapForDevice(ulong cpu) => cpu;
            }
        }
        """;

    [Fact]
    public Task ConfiguredCpuPhysicalSource_Reports() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        "p2p_analyzers.cpu_physical_sources = M:Vendor.Regs.BarBase(System.Int32)",
        """
        using P2PDma.Addresses;
        using P2PDma.Mapping;

        static class Driver
        {
            public static void Fill(Scatterlist sg) => sg.DmaAddress = {|#0:DmaAddr.FromRaw(Vendor.Regs.BarBase(2))|};
        }
        """,
        new DiagnosticResult("P2P0001", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).WithLocation(0)
            .WithArguments("Vendor.Regs.BarBase(2)", "BarBase() is configured as a CPU physical address in .editorconfig", "stored as a scatterlist entry's DMA address"));

    [Fact]
    public Task ConfiguredDmaSource_IsAMappedAddress_NoDiagnostic() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        "p2p_analyzers.cpu_physical_sources = M:Vendor.Regs.BarBase(System.Int32)\np2p_analyzers.dma_sources = M:Vendor.Regs.MapForDevice(System.UInt64)",
        """
        using P2PDma.Addresses;
        using P2PDma.Mapping;

        static class Driver
        {
            public static void Fill(Scatterlist sg) => sg.DmaAddress = DmaAddr.FromRaw(Vendor.Regs.MapForDevice(Vendor.Regs.BarBase(2)));
        }
        """);

    [Fact]
    public Task UnconfiguredVendorCall_NoDiagnostic() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        "",
        """
        using P2PDma.Addresses;
        using P2PDma.Mapping;

        static class Driver
        {
            public static void Fill(Scatterlist sg) => sg.DmaAddress = DmaAddr.FromRaw(Vendor.Regs.BarBase(2));
        }
        """);

    [Fact]
    public Task ConfiguredTableBuilder_Reports() => Run<P2P0003HandBuiltDmaOnlyTableAnalyzer>(
        "p2p_analyzers.table_builders = M:Vendor.Tables.Build(System.Int32)",
        """
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;

        namespace Vendor
        {
            public static class Tables
            {
                public static SgTable Build(int n) => SgTable.Alloc(n);
            }
        }

        sealed class Exporter : DmaBufOps
        {
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir) => {|P2P0003:Vendor.Tables.Build(4)|};

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir) { }
        }
        """);

    [Fact]
    public Task WholeProgramOff_FieldSetAtProbeNotFollowed_NoDiagnostic() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        "p2p_analyzers.whole_program = false",
        """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;

        sealed class Dev
        {
            public ulong BarStart;
            public void Probe(PciDevice pdev) => BarStart = pdev.Bar(0).CpuStart.Raw;
            public void Fill(Scatterlist sg) => sg.DmaAddress = DmaAddr.FromRaw(BarStart);
        }
        """);

    [Fact]
    public Task WholeProgramOn_FieldSetAtProbeFollowed_Reports() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        "p2p_analyzers.whole_program = true",
        """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;

        sealed class Dev
        {
            public ulong BarStart;
            public void Probe(PciDevice pdev) => {|#2:BarStart = {|#1:pdev.Bar(0).CpuStart|}.Raw|};
            public void Fill(Scatterlist sg) => sg.DmaAddress = {|#0:DmaAddr.FromRaw(BarStart)|};
        }
        """,
        new DiagnosticResult("P2P0001", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).WithLocation(0).WithLocation(1).WithLocation(2)
            .WithArguments("BarStart", "PciBar.CpuStart, stored into Dev.BarStart in Probe", "stored as a scatterlist entry's DMA address"));

    private static Task Run<TAnalyzer>(string options, string source, params DiagnosticResult[] expected)
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier> { TestCode = source };
        TestSetup.Configure(test, withLibrary: true);
        test.TestState.Sources.Add(("/0/Vendor.cs", Vendor));
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\n" + options + "\n"));
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}
