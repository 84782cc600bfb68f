using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// The NotSupported arm of the P2P0012 fix, executed: a peer below another root port of a host bridge on no allowlist
/// (pci_p2pdma's map type NOT_SUPPORTED). Before, the iterator maps the BAR anyway and the DMA goes nowhere useful;
/// after, it fails with -EREMOTEIO in iter->status and the submitter's RAM retry delivers the peer's bytes.
/// </summary>
public sealed class P2P0012NotSupportedFixProofTests
{
    [Fact]
    public void CrossRootPortNotAllowlisted_BeforeDmaDoesNotLand_AfterStatusLeadsToTheRamRetry()
    {
        PciTopology t1 = CrossRootPortNotAllowlisted();
        byte[] before = Run(P2P0012NotSupportedScenario.Before, t1);
        Assert.Empty(before); // the root complex does not route the IOVA to a peer below another root port

        PciTopology t2 = CrossRootPortNotAllowlisted();
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 4096), Run(P2P0012NotSupportedScenario.After, t2));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
    }

    /// <summary>gpu0 and nic0 below different root ports of a host bridge on no allowlist, IOMMU on: NotSupported.</summary>
    private static PciTopology CrossRootPortNotAllowlisted()
    {
        PciTopology t = PciTopology.Parse("""
            cpu vendor=intel family=6
            ram start=0 size=2G
            host-bridge hb0 vendor=0x8086 device=0x1234 iommu=on
            root-port rp0 parent=hb0
            root-port rp1 parent=hb0
            endpoint gpu0 parent=rp0
            bar gpu0 index=0 cpu=0xc000_0000 size=256M
            endpoint nic0 parent=rp1
            """);
        t.Memory.Write(t.Device("gpu0").Bar(0).CpuStart, ProofTopologies.Pattern(t.Device("gpu0").Bar(0), 64 * 1024));
        t.DmaDebug.Enabled = true;
        return t;
    }

    private static byte[] Run(string source, PciTopology topology) =>
        ScenarioRunner.Invoke<byte[]>(source, "Scenario", "ReadPeer", topology, topology.Device("nic0"), ProofTopologies.Provider(topology, "gpu0"), 4096);
}
