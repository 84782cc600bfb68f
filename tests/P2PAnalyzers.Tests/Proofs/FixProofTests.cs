using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Debugging;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// Executed proofs of the P2P0002, P2P0011, P2P0012, P2P0013 and P2P0014 fixes: the code before and after each fix, run
/// on a fabric topology where the habit matters.
/// </summary>
public sealed class FixProofTests
{
    [Fact]
    public void P2P0002_TranslatingHostBridge_BeforeReadsTheWrongDevice_AfterReadsThePeerBar()
    {
        PciTopology t1 = ProofTopologies.TranslatingHostBridge();
        PciTopology t2 = ProofTopologies.TranslatingHostBridge();
        byte[] before = ScenarioRunner.Invoke<byte[]>(P2P0002CodeFixTests.Before, "Scenario", "ReadPeer", t1, t1.Device("nic0"), t1.Device("gpu0"), 4096);
        byte[] after = ScenarioRunner.Invoke<byte[]>(P2P0002CodeFixTests.After, "Scenario", "ReadPeer", t2, t2.Device("nic0"), t2.Device("gpu0"), 4096);
        Assert.Equal(ProofTopologies.Pattern(t1.Device("nvme0").Bar(0), 4096), before);
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 4096), after);
    }

    [Fact]
    public void P2P0011_SwitchLocalIommu_BeforeFaults_AfterReadsThePeerBar()
    {
        Assert.Empty(ReadPeer(P2P0011CodeFixTests.Before, ProofTopologies.SwitchLocalIommu(), out _));
        byte[] after = ReadPeer(P2P0011CodeFixTests.After, ProofTopologies.SwitchLocalIommu(), out PciTopology t);
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(0), 4096), after);
        Assert.Empty(t.DmaDebug.Findings);
    }

    [Fact]
    public void P2P0011_TranslatingHostBridge_BeforeReadsTheWrongDevice_AfterReadsThePeerBar()
    {
        byte[] before = ReadPeer(P2P0011CodeFixTests.Before, ProofTopologies.TranslatingHostBridge(), out PciTopology t1);
        byte[] after = ReadPeer(P2P0011CodeFixTests.After, ProofTopologies.TranslatingHostBridge(), out PciTopology t2);
        Assert.Equal(ProofTopologies.Pattern(t1.Device("nvme0").Bar(0), 4096), before);
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 4096), after);
    }

    [Fact]
    public void P2P0012_SwitchLocalIommu_BeforeFaults_AfterReadsThePeerBar()
    {
        Assert.Empty(ReadPeer(P2P0012CodeFixTests.Before, ProofTopologies.SwitchLocalIommu(), out _));
        byte[] after = ReadPeer(P2P0012CodeFixTests.After, ProofTopologies.SwitchLocalIommu(), out PciTopology t);
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(0), 4096), after);
    }

    [Fact]
    public void P2P0013_SwitchLocalIommu_BeforeUnmapsABusAddress_AfterTheMappingUndoesItselfCleanly()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        t1.DmaDebug.ThrowOnFinding = true;
        DmaDebugException e = Assert.Throws<DmaDebugException>(() => Unwrap(() => ReadPeerOn(P2P0013ProofScenario.Before, t1)));
        Assert.Equal(DmaDebugFindingKind.UnmapBusAddress, e.Finding.Kind);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        t2.DmaDebug.ThrowOnFinding = true;
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 4096), ReadPeerOn(P2P0013ProofScenario.After, t2));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
    }

    [Fact]
    public void P2P0014_DmaDirectWithInboundOffset_BeforeIsUnclaimed_AfterReadsThePeerBar()
    {
        Assert.Empty(ReadPeer(P2P0014ProofScenario.Before, ProofTopologies.CrossRootPortDmaOffset(), out _));
        byte[] after = ReadPeer(P2P0014ProofScenario.After, ProofTopologies.CrossRootPortDmaOffset(), out PciTopology t);
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(0), 4096), after);
    }

    private static byte[] ReadPeer(string source, PciTopology topology, out PciTopology used)
    {
        used = topology;
        return ReadPeerOn(source, topology);
    }

    private static byte[] ReadPeerOn(string source, PciTopology topology) =>
        ScenarioRunner.Invoke<byte[]>(source, "Scenario", "ReadPeer", topology, topology.Device("nic0"), ProofTopologies.Provider(topology, "gpu0"), 4096);

    private static void Unwrap(System.Action action)
    {
        try
        {
            action();
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}
