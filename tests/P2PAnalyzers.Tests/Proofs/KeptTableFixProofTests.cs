using System;
using System.Reflection;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PAnalyzers.Tests.Kernel;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// The kept-table rewrite, executed on the 2021 habanalabs exporter: gpu0 exports 2 pages of its DRAM BAR (BAR 4) at
/// probe-and-export time, nic0 attaches across root ports behind an IOMMU, maps, reads every segment and unmaps.
/// </summary>
public sealed class KeptTableFixProofTests
{
    [Fact]
    public async Task HabanalabsV1_CrossRootPortIommu_BeforeFaults_AfterReadsTheDramBarWithZeroFindings()
    {
        string[] before = { HabanalabsTests.Device, HabanalabsTests.MemoryV1 };
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0003HandBuiltDmaOnlyTableCodeFix(), "P2P0003", "Sgt", before);

        Assert.Empty(Import(before, out _));
        byte[] data = Import(after, out PciTopology t);
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(4), 2 * 4096), data);
        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(t.Device("nic0")));
    }

    private static byte[] Import(string[] files, out PciTopology topology)
    {
        topology = ProofTopologies.CrossRootPortIommu();
        Assembly driver = ScenarioRunner.Compile(UnitFixProofTests.OneFile(files));
        object hdev = Activator.CreateInstance(driver.GetType("HlDevice", throwOnError: true)!)!;
        hdev.GetType().GetField("Pdev")!.SetValue(hdev, topology.Device("gpu0"));
        driver.GetType("Gaudi2", throwOnError: true)!.GetMethod("PciBarsMap")!.Invoke(null, new[] { hdev });
        object wrapper = Activator.CreateInstance(driver.GetType("HlDmabufWrapper", throwOnError: true)!)!;
        wrapper.GetType().GetField("Hdev")!.SetValue(wrapper, hdev);
        ulong[] pages = { 0, 4096 };
        int exported = (int)driver.GetType("HlMemoryV1", throwOnError: true)!.GetMethod("ExportDmabufFromHandle")!.Invoke(null, new[] { hdev, wrapper, pages, 4096UL })!;
        Assert.Equal(0, exported);

        var exporter = (DmaBufOps)Activator.CreateInstance(driver.GetType("HlDmaBufOpsV1", throwOnError: true)!, wrapper)!;
        return DmaBufHarness.Import(exporter, 2 * 4096, topology, topology.Device("nic0"));
    }
}
