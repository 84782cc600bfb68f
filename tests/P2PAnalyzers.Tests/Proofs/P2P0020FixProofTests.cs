using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Debugging;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0020's fix, executed: a buffer mapped for nic0 behind an IOMMU, copied by the device, unmapped. Before, DMA debug
/// reports "device driver failed to check map error" at the unmap; after, nothing, and nothing stays mapped.
/// </summary>
public sealed class P2P0020FixProofTests
{
    [Fact]
    public void SoloP2mDma_BeforeDrawsUncheckedMapError_AfterNone()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(0, Run(P2P0020ProofScenario.Before, t1, t1.Memory.Kmalloc(4096)));
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.MappingErrorNotChecked);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(0, Run(P2P0020ProofScenario.After, t2, t2.Memory.Kmalloc(4096)));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
    }

    private static int Run(string source, PciTopology topology, KernelBuffer buffer) =>
        ScenarioRunner.Invoke<int>(source, "Scenario", "SoloP2mDma", topology, topology.Device("nic0"), buffer, 4096u);
}
