using Microsoft.CodeAnalysis.Testing;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// Fix All across documents: the framework applies it in document, project and solution scope and checks that a second
/// pass changes nothing more. One test per fix whose edits could interfere when batched.
/// </summary>
public sealed class FixAllTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    [Fact]
    public Task P2P0014_InTwoDocuments() => Run<P2PAnalyzers.Rules.P2P0014SkipCpuSyncForMmioAnalyzer, P2P0014SkipCpuSyncForMmioCodeFix>(
        Usings + """
        class A
        {
            void M(PciDevice dev, PciBar bar)
            {
                Dma.MapResource(dev, bar.CpuStart, 4096, DmaDirection.ToDevice, {|P2P0014:DmaAttrs.SkipCpuSync|});
                Dma.MapResource(dev, bar.CpuStart + 4096, 4096, DmaDirection.ToDevice, {|P2P0014:DmaAttrs.SkipCpuSync|});
            }
        }
        """,
        Usings + """
        class B
        {
            void M(PciDevice dev, PciBar bar) => Dma.MapResource(dev, bar.CpuStart, 4096, DmaDirection.ToDevice, {|P2P0014:DmaAttrs.SkipCpuSync|});
        }
        """,
        Usings + """
        class A
        {
            void M(PciDevice dev, PciBar bar)
            {
                Dma.MapResource(dev, bar.CpuStart, 4096, DmaDirection.ToDevice, DmaAttrs.Mmio);
                Dma.MapResource(dev, bar.CpuStart + 4096, 4096, DmaDirection.ToDevice, DmaAttrs.Mmio);
            }
        }
        """,
        Usings + """
        class B
        {
            void M(PciDevice dev, PciBar bar) => Dma.MapResource(dev, bar.CpuStart, 4096, DmaDirection.ToDevice, DmaAttrs.Mmio);
        }
        """);

    [Fact]
    public Task P2P0010_TwoCallsInOneMethod_AndAnotherDocument() => Run<P2PAnalyzers.Rules.P2P0010PeerMemoryMappedWithoutMapTypeAnalyzer, P2P0010PeerMemoryMappedWithoutMapTypeCodeFix>(
        Usings + """
        class A
        {
            void M(PciDevice dev, P2PProvider provider)
            {
                DmaAddr a = {|P2P0010:Dma.MapResource(dev, provider.Bar.CpuStart, 4096, DmaDirection.ToDevice)|};
                DmaAddr b = {|P2P0010:Dma.MapResource(dev, provider.Bar.CpuStart + 4096, 4096, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, a) || Dma.MappingError(dev, b)) return;
                Dma.UnmapResource(dev, b, 4096, DmaDirection.ToDevice);
                Dma.UnmapResource(dev, a, 4096, DmaDirection.ToDevice);
            }
        }
        """,
        Usings + """
        class B
        {
            void M(PciDevice dev, P2PProvider provider)
            {
                DmaAddr a = {|P2P0010:Dma.MapPhys(dev, provider.Bar.CpuStart, 4096, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
                if (Dma.MappingError(dev, a)) return;
            }
        }
        """,
        Usings + """
        class A
        {
            void M(PciDevice dev, P2PProvider provider)
            {
                P2PDmaMapping aMapping = Dma.MapP2P(dev, provider, provider.Bar.CpuStart, 4096, DmaDirection.ToDevice);
                DmaAddr a = aMapping.Address;
                P2PDmaMapping bMapping = Dma.MapP2P(dev, provider, provider.Bar.CpuStart + 4096, 4096, DmaDirection.ToDevice);
                DmaAddr b = bMapping.Address;
                if (Dma.MappingError(dev, a) || Dma.MappingError(dev, b)) return;
                bMapping.Unmap();
                aMapping.Unmap();
            }
        }
        """,
        Usings + """
        class B
        {
            void M(PciDevice dev, P2PProvider provider)
            {
                P2PDmaMapping aMapping = Dma.MapP2P(dev, provider, provider.Bar.CpuStart, 4096, DmaDirection.ToDevice);
                DmaAddr a = aMapping.Address;
                if (Dma.MappingError(dev, a)) return;
            }
        }
        """);

    private static Task Run<TAnalyzer, TFix>(string first, string second, string firstFixed, string secondFixed)
        where TAnalyzer : Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer, new()
        where TFix : Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider, new()
    {
        var test = new Verify<TAnalyzer>.CodeFixTest<TFix>();
        test.TestState.Sources.Add(("/0/A.cs", first));
        test.TestState.Sources.Add(("/0/B.cs", second));
        test.FixedState.Sources.Add(("/0/A.cs", firstFixed));
        test.FixedState.Sources.Add(("/0/B.cs", secondFixed));
        test.Configure(withLibrary: true);
        return test.RunAsync();
    }
}
