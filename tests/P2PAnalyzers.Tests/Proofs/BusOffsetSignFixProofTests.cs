using System.Reflection;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PAnalyzers.Tests.Kernel;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// The bus-offset sign fix, executed: __pci_p2pdma_map_sg (v5.10) fills nic0's table for a page of gpu0's BAR behind a
/// host bridge that translates (the pagemap's bus offset is not zero), and nic0 reads through the entry.
/// </summary>
public sealed class BusOffsetSignFixProofTests
{
    [Fact]
    public async Task TranslatingHostBridge_BeforeMissesThePeer_AfterReadsThePeerBar()
    {
        string[] before = { P2PDmaCoreTests.Pagemap, P2PDmaCoreTests.MapSgBusV510 };
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw", before);

        byte[] wrong = Read(before, out PciTopology t1);
        byte[] right = Read(after, out PciTopology t2);
        Assert.NotEqual(ProofTopologies.Pattern(t1.Device("gpu0").Bar(0), 4096), wrong);
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 4096), right);
        Assert.Empty(t2.DmaDebug.Findings);
    }

    private static byte[] Read(string[] files, out PciTopology topology)
    {
        topology = ProofTopologies.TranslatingHostBridge();
        PciDevice gpu = topology.Device("gpu0");
        Assert.Equal(DmaError.None, PciP2PDma.AddResource(gpu, 0));
        Assembly driver = ScenarioRunner.Compile(UnitFixProofTests.OneFile(files));
        object pgmap = driver.GetType("P2PDmaAddResource", throwOnError: true)!.GetMethod("AddResource")!.Invoke(null, new object[] { gpu, 0 })!;
        SgTable table = SgTable.FromPages(new[] { topology.Memory.PhysToPage(gpu.Bar(0).CpuStart) });
        driver.GetType("P2PDmaMapSg", throwOnError: true)!.GetMethod("MapSgBus")!.Invoke(null, new object[] { pgmap, table, 1 });
        return DmaBufHarness.ReadSegments(topology, topology.Device("nic0"), table);
    }
}
