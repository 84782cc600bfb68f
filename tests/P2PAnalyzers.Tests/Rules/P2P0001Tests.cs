using P2PAnalyzers.Rules;
using P2PAnalyzers.Tests.Infrastructure;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0001PhysicalAddressAsDmaAddressAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

public sealed class P2P0001Tests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;
        using P2PDma.P2P;
        using P2PDma.Memory;

        """;

    [Fact]
    public Task HabanalabsRawBarAddressInTable_Reports() => Verifier.Analyzer(Usings + """
        class HabanaExporter
        {
            // habanalabs 2021: sg_dma_address(sg) = bar_address; page NULL, nothing mapped.
            void Fill(PciDevice pdev, Scatterlist sg, ulong offset, ulong size)
            {
                ulong barAddress = pdev.Bar(4).CpuStart.Raw + offset;
                sg.SetPage(null, 0, 0);
                sg.DmaAddress = {|#0:DmaAddr.FromRaw(barAddress)|};
                sg.DmaLength = size;
            }
        }
        """,
        Verifier.Diagnostic("P2P0001").WithLocation(0).WithArguments("barAddress", "PciBar.CpuStart, line 11", "stored as a scatterlist entry's DMA address"));

    [Fact]
    public Task MappedAddress_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            DmaAddr Map(PciDevice dev, PciDevice peer, ulong size)
            {
                ulong addr = peer.Bar(0).CpuStart.Raw;
                addr = Dma.MapResource(dev, PhysAddr.FromRaw(addr), size, DmaDirection.ToDevice).Raw;
                return DmaAddr.FromRaw(addr);
            }
        }
        """);
}
