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

    // The scatterlist fix, executed: a list mapped FromDevice at submit and unmapped Bidirectional by the completion
    // draws "frees DMA sg list with different direction"; with the submit's direction, nothing, and nothing stays mapped.
    [Fact]
    public void CompletionUnmapsTheList_BeforeWithAnotherDirection_AfterWithTheSubmits()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(0, RunTable(P2P0021TableProofScenario.Before, t1));
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.UnmapDirectionMismatch);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(0, RunTable(P2P0021TableProofScenario.After, t2));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
    }

    private static int RunTable(string source, PciTopology topology) =>
        ScenarioRunner.Invoke<int>(source, "Scenario", "Run", topology.Device("nic0"), P2PDma.Mapping.SgTable.FromPages(topology.Memory.AllocPages(4)), 4);
}
