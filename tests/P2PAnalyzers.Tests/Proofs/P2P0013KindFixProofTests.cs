using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// The P2P0013 fix kinds of <see cref="P2P0013KindScenarios"/>, executed on a switch-local peer behind an IOMMU (map
/// type BusAddr): before, dma-debug reports the bus address being unmapped; after, the peer's bytes with no finding.
/// </summary>
public sealed class P2P0013KindFixProofTests
{
    public static TheoryData<string> Kinds => new() { "Definite", "Entry", "Legacy" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SwitchLocalIommu_BeforeUnmapsABusAddress_AfterReadsThePeerBarCleanly(string kind)
    {
        (string before, string after) = kind switch
        {
            "Definite" => (P2P0013KindScenarios.DefiniteBefore, P2P0013KindScenarios.DefiniteAfter),
            "Entry" => (P2P0013KindScenarios.EntryBefore, P2P0013KindScenarios.EntryAfter),
            _ => (P2P0013KindScenarios.LegacyBefore, P2P0013KindScenarios.LegacyAfter),
        };

        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(ProofTopologies.Pattern(t1.Device("gpu0").Bar(0), 4096), Run(before, t1));
        Assert.Equal(t1.Device("gpu0").Bar(0).BusStart.Raw, Assert.Single(t1.DmaDebug.Findings).Address.Raw);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 4096), Run(after, t2));
        Assert.Empty(t2.DmaDebug.Findings);
        if (kind != "Entry")
        {
            // Per-entry unmaps never close the dma-debug record of a table mapped as a table (dma_map_sgtable): the
            // guarded loop is P2P0013-clean, and only Dma.UnmapSgTable releases the record (left as the driver had it).
            Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
        }
    }

    private static byte[] Run(string source, PciTopology topology) =>
        ScenarioRunner.Invoke<byte[]>(source, "Scenario", "ReadPeer", topology, topology.Device("nic0"), ProofTopologies.Provider(topology, "gpu0"), 4096);
}
