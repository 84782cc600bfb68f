using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>solo6x10's solo_p2m_dma before and after P2P0020's fix, for the executed proof (<c>P2P0020FixProofTests</c>).</summary>
public sealed class P2P0020ProofScenario
{
    internal const string Before = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        public static class Scenario
        {
            // solo_p2m_dma: map, let the engine copy, unmap.
            public static int SoloP2mDma(PciTopology t, PciDevice pdev, KernelBuffer sysAddr, uint size)
            {
                DmaAddr dmaAddr = {|P2P0020:Dma.MapSingle(pdev, sysAddr, 0, size, DmaDirection.ToDevice)|};
                int ret = t.Fabric.Read(pdev, dmaAddr, (int)size).Data.Length == (int)size ? 0 : -5;
                Dma.UnmapSingle(pdev, dmaAddr, size, DmaDirection.ToDevice);
                return ret;
            }
        }
        """;

    internal const string After = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        public static class Scenario
        {
            // solo_p2m_dma: map, let the engine copy, unmap.
            public static int SoloP2mDma(PciTopology t, PciDevice pdev, KernelBuffer sysAddr, uint size)
            {
                DmaAddr dmaAddr = Dma.MapSingle(pdev, sysAddr, 0, size, DmaDirection.ToDevice);
                if (Dma.MappingError(pdev, dmaAddr))
                {
                    return (int)DmaError.NoMemory;
                }

                int ret = t.Fabric.Read(pdev, dmaAddr, (int)size).Data.Length == (int)size ? 0 : -5;
                Dma.UnmapSingle(pdev, dmaAddr, size, DmaDirection.ToDevice);
                return ret;
            }
        }
        """;

    [Fact]
    public Task SoloP2mDma_ChecksTheMapping() =>
        Verify<P2PAnalyzers.Rules.P2P0020MappingErrorNotCheckedAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0020MappingErrorNotCheckedCodeFix>(Before, After);
}
