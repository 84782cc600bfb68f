using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>A transmit path whose later step fails after the mapping, before and after P2P0022's fix (<c>P2P0022FixProofTests</c>).</summary>
public sealed class P2P0022ProofScenario
{
    internal const string Before = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        public static class Scenario
        {
            // map the frame, give up when the ring is full, else let the device read it and unmap
            public static int Xmit(PciTopology t, PciDevice dev, KernelBuffer frame, uint size, bool ringFull)
            {
                DmaAddr dma = {|P2P0022:Dma.MapSingle(dev, frame, 0, size, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, dma))
                {
                    return (int)DmaError.NoMemory;
                }

                if (ringFull)
                {
                    return -16;
                }

                int ret = t.Fabric.Read(dev, dma, (int)size).Data.Length == (int)size ? 0 : -5;
                Dma.UnmapSingle(dev, dma, size, DmaDirection.ToDevice);
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
            // map the frame, give up when the ring is full, else let the device read it and unmap
            public static int Xmit(PciTopology t, PciDevice dev, KernelBuffer frame, uint size, bool ringFull)
            {
                DmaAddr dma = Dma.MapSingle(dev, frame, 0, size, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, dma))
                {
                    return (int)DmaError.NoMemory;
                }

                if (ringFull)
                {
                    Dma.UnmapSingle(dev, dma, size, DmaDirection.ToDevice);
                    return -16;
                }

                int ret = t.Fabric.Read(dev, dma, (int)size).Data.Length == (int)size ? 0 : -5;
                Dma.UnmapSingle(dev, dma, size, DmaDirection.ToDevice);
                return ret;
            }
        }
        """;

    [Fact]
    public Task Xmit_UnmapsOnTheRingFullPath() =>
        Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0022MappingLeakedCodeFix>(Before, After);

    // The kernel's shared error label: a failure before the mapping and one after it both go to `error`.
    internal const string BeforeAtLabel = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        public static class Scenario
        {
            public static int Setup(PciTopology t, PciDevice dev, KernelBuffer frame, uint size, bool ringFull)
            {
                int ret = size == 0 ? -22 : 0;
                if (ret < 0)
                    goto error;

                DmaAddr dma = {|P2P0022:Dma.MapSingle(dev, frame, 0, size, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, dma))
                {
                    ret = (int)DmaError.NoMemory;
                    goto error;
                }

                ret = ringFull ? -16 : 0;
                if (ret < 0)
                    goto error;

                ret = t.Fabric.Read(dev, dma, (int)size).Data.Length == (int)size ? 0 : -5;
                Dma.UnmapSingle(dev, dma, size, DmaDirection.ToDevice);
                return ret;

            error:
                return ret;
            }
        }
        """;

    internal const string AfterAtLabel = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        public static class Scenario
        {
            public static int Setup(PciTopology t, PciDevice dev, KernelBuffer frame, uint size, bool ringFull)
            {
                int ret = size == 0 ? -22 : 0;
                if (ret < 0)
                    goto error;

                DmaAddr dma = Dma.MapSingle(dev, frame, 0, size, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, dma))
                {
                    ret = (int)DmaError.NoMemory;
                    goto error;
                }

                ret = ringFull ? -16 : 0;
                if (ret < 0)
                {
                    Dma.UnmapSingle(dev, dma, size, DmaDirection.ToDevice);
                    goto error;
                }

                ret = t.Fabric.Read(dev, dma, (int)size).Data.Length == (int)size ? 0 : -5;
                Dma.UnmapSingle(dev, dma, size, DmaDirection.ToDevice);
                return ret;

            error:
                return ret;
            }
        }
        """;

    [Fact]
    public Task Setup_UnmapsBeforeTheGotoTakenWithTheMapping() =>
        Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0022MappingLeakedCodeFix>(BeforeAtLabel, AfterAtLabel);
}
