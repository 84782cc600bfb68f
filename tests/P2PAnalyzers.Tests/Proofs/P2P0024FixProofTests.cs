using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Debugging;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0024's fix, executed: four pages of RAM mapped behind an IOMMU merge into fewer DMA segments, so the count
/// MapSg returns is not the nents; unmapping with it draws DMA debug's "different entry count" and leaves the rest
/// mapped, unmapping with the nents the fix passes draws nothing and leaves nothing mapped.
/// </summary>
public sealed class P2P0024FixProofTests
{
    [Fact]
    public void Bcm2835ErrorPath_BehindAnIommu_BeforeUnmapsTooFew_AfterUnmapsAll()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-5, Run(P2P0024ProofScenario.Before, t1));
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.UnmapNentsMismatch);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-5, Run(P2P0024ProofScenario.After, t2));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
    }

    private static int Run(string source, PciTopology topology)
    {
        SgTable sg = SgTable.FromPages(topology.Memory.AllocPages(4));
        return ScenarioRunner.Invoke<int>(source, "Scenario", "PrepareDma", topology.Device("nic0"), sg, 4);
    }
}
