using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Debugging;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0023's fix, executed: the Amlogic controller's data buffer maps, its info buffer does not (above the 16 MiB the
/// controller can address). Before, the data buffer is unmapped twice and DMA debug reports the second; after, once,
/// and nothing is reported or left mapped.
/// </summary>
public sealed class P2P0023FixProofTests
{
    [Fact]
    public void InfoBufferFails_BeforeUnmapsTheDataBufferTwice_AfterOnce()
    {
        PciTopology t1 = SmallMask();
        Assert.Equal(-12, Run(P2P0023ProofScenario.Before, t1));
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.UnmapNotMapped && f.Message.Contains("already freed", System.StringComparison.Ordinal));

        PciTopology t2 = SmallMask();
        Assert.Equal(-12, Run(P2P0023ProofScenario.After, t2));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("sfc0")));
    }

    // The buffer lies above what the controller addresses: the map fails. Before, the failure jumps to the label and
    // unmaps DMA_MAPPING_ERROR, which DMA debug reports; after, it returns -ENOMEM past the unmap.
    [Fact]
    public void MapFails_BeforeTheFailureUnmapsWhatNeverMapped_AfterItLeavesClean()
    {
        PciTopology t1 = SmallMask();
        Assert.Equal(-12, RunFailing(P2P0023FailureEdgeProofScenario.Before, t1));
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.UnmapOfMappingError);

        PciTopology t2 = SmallMask();
        Assert.Equal(-12, RunFailing(P2P0023FailureEdgeProofScenario.After, t2));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("sfc0")));
    }

    private static int RunFailing(string source, PciTopology topology)
    {
        _ = topology.Memory.Kmalloc(32UL << 20);
        KernelBuffer data = topology.Memory.Kmalloc(4096);
        Assert.True(data.VirtToPhys(0).Raw >= 1UL << 24, "the buffer must not be addressable");
        return ScenarioRunner.Invoke<int>(source, "Scenario", "Transfer", topology.Device("sfc0"), data, 4096UL);
    }

    // No IOMMU, a controller that addresses 16 MiB: the data buffer sits below, the info buffer above.
    private static PciTopology SmallMask()
    {
        PciTopology topology = PciTopology.Parse("""
            ram start=0 size=2G
            host-bridge hb0
            root-port rp0 parent=hb0
            endpoint sfc0 parent=rp0 dma-mask=24
            """);
        topology.DmaDebug.Enabled = true;
        return topology;
    }

    private static int Run(string source, PciTopology topology)
    {
        KernelBuffer data = topology.Memory.Kmalloc(4096);
        _ = topology.Memory.Kmalloc(32UL << 20);
        KernelBuffer info = topology.Memory.Kmalloc(64);
        Assert.True(data.VirtToPhys(0).Raw + 4096 <= 1UL << 24, "the data buffer must be addressable");
        Assert.True(info.VirtToPhys(0).Raw >= 1UL << 24, "the info buffer must not be");
        return ScenarioRunner.Invoke<int>(source, "Scenario", "Transfer", topology.Device("sfc0"), data, 4096UL, info, 64UL);
    }
}
