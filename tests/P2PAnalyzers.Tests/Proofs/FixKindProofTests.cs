using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// Executed proofs of fix kinds that <see cref="FixProofTests"/> does not run: P2P0002 at an annotated <c>ulong</c>
/// sink and P2P0012's BusAddr arm that marks the sg entry it fills.
/// </summary>
public sealed class FixKindProofTests
{
    [Fact]
    public void P2P0002_RawSink_TranslatingHostBridge_BeforeReadsTheWrongDevice_AfterReadsThePeerBar()
    {
        PciTopology t1 = ProofTopologies.TranslatingHostBridge();
        PciTopology t2 = ProofTopologies.TranslatingHostBridge();
        byte[] before = ScenarioRunner.Invoke<byte[]>(P2P0002RawSinkScenario.Before, "Scenario", "ReadPeer", t1, t1.Device("nic0"), t1.Device("gpu0"), 4096);
        byte[] after = ScenarioRunner.Invoke<byte[]>(P2P0002RawSinkScenario.After, "Scenario", "ReadPeer", t2, t2.Device("nic0"), t2.Device("gpu0"), 4096);
        Assert.Equal(ProofTopologies.Pattern(t1.Device("nvme0").Bar(0), 4096), before);
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 4096), after);
        Assert.Empty(t2.DmaDebug.Findings);
    }

    [Fact]
    public void P2P0012_BusAddrArmMarksTheEntry_SwitchLocalIommu_BeforeFaults_AfterReadsAndFreesCleanly()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Empty(ReadPeer(P2P0012BusAddrEntryScenario.Before, t1)); // the IOVA goes to the root complex, not the peer

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 4096), ReadPeer(P2P0012BusAddrEntryScenario.After, t2));
        Assert.Empty(t2.DmaDebug.Findings); // free_sgt skipped the marked bus address
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
    }

    private static byte[] ReadPeer(string source, PciTopology topology) =>
        ScenarioRunner.Invoke<byte[]>(source, "Scenario", "ReadPeer", topology, topology.Device("nic0"), ProofTopologies.Provider(topology, "gpu0"), 4096);
}
