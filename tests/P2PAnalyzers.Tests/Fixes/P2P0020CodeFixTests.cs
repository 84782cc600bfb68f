using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0020MappingErrorNotCheckedAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>P2P0020's fix adds <c>if (Dma.MappingError(dev, x))</c> right after the mapping, leaving through the function's error path.</summary>
public sealed class P2P0020CodeFixTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    [Fact]
    public Task SoloP2mDma_ReturnsTheErrorWhenTheMappingFails() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        static class SoloP2m
        {
            public static int SoloP2mDma(PciDevice pdev, KernelBuffer sysAddr, uint size)
            {
                DmaAddr dmaAddr = [|Dma.MapSingle(pdev, sysAddr, 0, size, DmaDirection.ToDevice)|];
                int ret = Program(dmaAddr, size);
                Dma.UnmapSingle(pdev, dmaAddr, size, DmaDirection.ToDevice);
                return ret;
            }

            static int Program(DmaAddr addr, uint size) => addr.Raw > 0 ? 0 : -5;
        }
        """, Usings + """
        static class SoloP2m
        {
            public static int SoloP2mDma(PciDevice pdev, KernelBuffer sysAddr, uint size)
            {
                DmaAddr dmaAddr = Dma.MapSingle(pdev, sysAddr, 0, size, DmaDirection.ToDevice);
                if (Dma.MappingError(pdev, dmaAddr))
                {
                    return (int)DmaError.NoMemory;
                }

                int ret = Program(dmaAddr, size);
                Dma.UnmapSingle(pdev, dmaAddr, size, DmaDirection.ToDevice);
                return ret;
            }

            static int Program(DmaAddr addr, uint size) => addr.Raw > 0 ? 0 : -5;
        }
        """);

    [Fact]
    public Task QlaNvmeLsReq_ChecksTheRequestFieldBeforeTheSync() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        class NvmeCtx
        {
            public DmaAddr CmdDma;
        }

        static class QlaNvme
        {
            public static void QlaNvmeLsReq(PciDevice pdev, KernelBuffer rqst, uint len, NvmeCtx nvme)
            {
                nvme.CmdDma = [|Dma.MapSingle(pdev, rqst, 0, len, DmaDirection.ToDevice)|];
                Dma.SyncSingleForDevice(pdev, nvme.CmdDma, len, DmaDirection.ToDevice);
            }
        }
        """, Usings + """
        class NvmeCtx
        {
            public DmaAddr CmdDma;
        }

        static class QlaNvme
        {
            public static void QlaNvmeLsReq(PciDevice pdev, KernelBuffer rqst, uint len, NvmeCtx nvme)
            {
                nvme.CmdDma = Dma.MapSingle(pdev, rqst, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(pdev, nvme.CmdDma))
                {
                    return;
                }

                Dma.SyncSingleForDevice(pdev, nvme.CmdDma, len, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task MappedStraightIntoAnEntry_IsCheckedThroughALocalFirst() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        static class Exporter
        {
            static bool Fill(PciDevice dev, SgTable sgt, PhysAddr phys, ulong size)
            {
                for (int i = 0; i < sgt.Count; i++)
                {
                    sgt[i].DmaAddress = [|Dma.MapResource(dev, phys + (ulong)i * size, size, DmaDirection.Bidirectional)|];
                    sgt[i].DmaLength = size;
                }

                return true;
            }
        }
        """, Usings + """
        static class Exporter
        {
            static bool Fill(PciDevice dev, SgTable sgt, PhysAddr phys, ulong size)
            {
                for (int i = 0; i < sgt.Count; i++)
                {
                    DmaAddr dmaAddress = Dma.MapResource(dev, phys + (ulong)i * size, size, DmaDirection.Bidirectional);
                    if (Dma.MappingError(dev, dmaAddress))
                    {
                        return false;
                    }

                    sgt[i].DmaAddress = dmaAddress;
                    sgt[i].DmaLength = size;
                }

                return true;
            }
        }
        """);

    [Fact]
    public Task MappingInsideTheUse_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        static class Driver
        {
            static void Io(PciDevice dev, KernelBuffer buf) =>
                Dma.UnmapSingle(dev, [|Dma.MapSingle(dev, buf, 0, buf.Size, DmaDirection.ToDevice)|], buf.Size, DmaDirection.ToDevice);
        }
        """);
}
