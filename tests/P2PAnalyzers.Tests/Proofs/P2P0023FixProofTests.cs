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

    // rk_hash_run's shape: the list lies above what the engine addresses, so rk_hash_prepare fails. Before, theend's
    // rk_hash_unprepare unmaps the list never mapped, which DMA debug reports; after, it runs only where the prepare
    // mapped, and the request still completes.
    [Fact]
    public void PrepareFails_BeforeTheUnprepareUnmapsWhatNeverMapped_AfterNothing()
    {
        PciTopology t1 = SmallMask();
        Assert.Equal(0, RunHash(P2P0023MappedFlagProofScenario.Before, t1));
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.UnmapNotMapped);

        PciTopology t2 = SmallMask();
        Assert.Equal(0, RunHash(P2P0023MappedFlagProofScenario.After, t2));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("sfc0")));
    }

    // The same on success: the list maps, the unprepare runs under the flag, nothing is left mapped.
    [Fact]
    public void PrepareSucceeds_AfterTheUnprepareStillUnmaps()
    {
        PciTopology t = SmallMask();
        P2PDma.Mapping.SgTable low = P2PDma.Mapping.SgTable.FromPages(t.Memory.AllocPages(2));
        Assert.Equal(0, ScenarioRunner.Invoke<int>(P2P0023MappedFlagProofScenario.After, "Scenario", "Hash", t.Device("sfc0"), low, 2));
        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(t.Device("sfc0")));
    }

    private static int RunHash(string source, PciTopology topology)
    {
        _ = topology.Memory.Kmalloc(32UL << 20);
        P2PDma.Mapping.SgTable high = P2PDma.Mapping.SgTable.FromPages(topology.Memory.AllocPages(2));
        Assert.True(high[0].Phys.Raw >= 1UL << 24, "the list must not be addressable");
        return ScenarioRunner.Invoke<int>(source, "Scenario", "Hash", topology.Device("sfc0"), high, 2);
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
