using System.Threading.Tasks;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PAnalyzers.Tests.Kernel;
using P2PDma.Debugging;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0024's fix where the function overwrites the nents with the count the map returned (rw.c's <c>sg_cnt = ret;</c>),
/// executed: four pages behind an IOMMU merge into fewer segments; the error path's unmap with the count draws DMA
/// debug's "different entry count" and leaves pages mapped; with the copy the fix keeps before the map, nothing.
/// </summary>
public sealed class P2P0024SavedNentsFixProofTests
{
    private const string Driver = """
        public static class Rw
        {
            public static int CtxInit(PciDevice dev, SgTable sg, int sgCnt)
            {
                int ret = Dma.MapSg(dev, sg, sgCnt, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -12;
                }

                sgCnt = ret;
                if (sgCnt < 8)   // rdma_rw_init_map_wrs failing: more work requests than the QP holds
                {
                    Dma.UnmapSg(dev, sg, {|P2P0024:sgCnt|}, DmaDirection.ToDevice);
                    return -5;
                }

                return sgCnt;
            }
        }
        """;

    [Fact]
    public async Task ErrorPathAfterTheCountOverwroteTheNents_BeforeUnmapsTooFew_AfterUnmapsAll()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0024ScatterlistCountConfusionCodeFix(), "P2P0024", "sgCnt", Driver);
        Assert.Contains("int origSgCnt = sgCnt;", after[0]);

        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-5, Run(Driver, t1));
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.UnmapNentsMismatch);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-5, Run(after[0], t2));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
    }

    private static int Run(string source, PciTopology topology)
    {
        topology.DmaDebug.Enabled = true;
        SgTable sg = SgTable.FromPages(topology.Memory.AllocPages(4));
        return ScenarioRunner.Invoke<int>(KernelVerify.Usings + source, "Rw", "CtxInit", topology.Device("nic0"), sg, 4);
    }
}
