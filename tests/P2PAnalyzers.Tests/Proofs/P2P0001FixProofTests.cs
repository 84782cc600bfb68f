using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>The P2P0001 fix, executed: the habanalabs raw BAR address before and after.</summary>
public sealed class P2P0001FixProofTests
{
    [Fact]
    public void ThroughHostBridgeWithIommu_BeforeFaultsInTheIommu_AfterReadsThePeerBar()
    {
        Assert.Empty(Import(P2P0001CodeFixTests.Before, ProofTopologies.CrossRootPortIommu(), out _));
        byte[] after = Import(P2P0001CodeFixTests.After, ProofTopologies.CrossRootPortIommu(), out PciTopology t);
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(0), 8192), after);
    }

    [Fact]
    public void TranslatingHostBridge_BeforeReadsTheWrongDevice_AfterReadsThePeerBar()
    {
        byte[] before = Import(P2P0001CodeFixTests.Before, ProofTopologies.TranslatingHostBridge(), out PciTopology t1);
        byte[] after = Import(P2P0001CodeFixTests.After, ProofTopologies.TranslatingHostBridge(), out PciTopology t2);
        Assert.Equal(ProofTopologies.Pattern(t1.Device("nvme0").Bar(0), 8192), before);
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 8192), after);
    }

    private static byte[] Import(string source, PciTopology topology, out PciTopology used)
    {
        used = topology;
        PciDevice nic = topology.Device("nic0");
        DmaBufAttachment attach = DmaBufHarness.Attachment(nic);
        SgTable table = SgTable.Alloc(1);
        ScenarioRunner.Invoke<object?>(source, "Scenario", "Fill",
            attach, ProofTopologies.Provider(topology, "gpu0"), table[0], 0UL, 8192UL, DmaDirection.ToDevice);
        return DmaBufHarness.ReadSegments(topology, nic, table);
    }
}
