using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>The P2P0010 fix, executed: the VFIO-RFC-style read of a peer BAR before and after the fix.</summary>
public sealed class P2P0010FixProofTests
{
    [Fact]
    public void SwitchLocalIommu_BeforeFaults_AfterReadsThePeerBar()
    {
        byte[] before = Read(P2P0010CodeFixTests.Before, ProofTopologies.SwitchLocalIommu(), out PciTopology t1);
        byte[] after = Read(P2P0010CodeFixTests.After, ProofTopologies.SwitchLocalIommu(), out PciTopology t2);

        Assert.Empty(before); // the IOVA went to the root complex, which does not forward to the peer
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 4096), after);
        Assert.Empty(t2.DmaDebug.Findings); // the bus address was not unmapped
        Assert.Equal(0, t1.DmaDebug.LiveMappings(t1.Device("nic0")));
    }

    [Fact]
    public void TranslatingHostBridge_BeforeReadsTheWrongDevice_AfterReadsThePeerBar()
    {
        byte[] before = Read(P2P0010CodeFixTests.Before, ProofTopologies.TranslatingHostBridge(), out PciTopology t1);
        byte[] after = Read(P2P0010CodeFixTests.After, ProofTopologies.TranslatingHostBridge(), out PciTopology t2);

        Assert.Equal(ProofTopologies.Pattern(t1.Device("nvme0").Bar(0), 4096), before); // bus offset ignored
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 4096), after);
    }

    private static byte[] Read(string source, PciTopology topology, out PciTopology used)
    {
        used = topology;
        return ScenarioRunner.Invoke<byte[]>(source, "Scenario", "ReadPeer",
            topology, topology.Device("nic0"), ProofTopologies.Provider(topology, "gpu0"), 4096);
    }
}
