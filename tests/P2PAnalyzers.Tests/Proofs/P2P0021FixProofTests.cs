using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Debugging;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0021's fix, executed: ath10k's refused management frame, mapped to the device and unmapped on the error path.
/// Before, DMA debug reports "frees DMA memory with different direction"; after, nothing, and nothing stays mapped.
/// </summary>
public sealed class P2P0021FixProofTests
{
    [Fact]
    public void Ath10kMgmtTx_BeforeUnmapsWithTheWrongDirection_AfterMatchesTheMap()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-11, Run(P2P0021ProofScenario.Before, t1));
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.UnmapDirectionMismatch);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-11, Run(P2P0021ProofScenario.After, t2));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
    }

    private static int Run(string source, PciTopology topology) =>
        ScenarioRunner.Invoke<int>(source, "Scenario", "MgmtTx", topology.Device("nic0"), topology.Memory.Kmalloc(2048), 2048u);
}
