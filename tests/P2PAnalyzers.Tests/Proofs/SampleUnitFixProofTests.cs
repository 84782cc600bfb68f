using System;
using System.Reflection;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// The exporter unit rewrite of a builder that maps nothing (the habanalabs sample: set_dma_sg stores the DRAM BAR's CPU
/// address raw), executed: gpu0 exports 8 KiB of its DRAM BAR, nic0 attaches across root ports behind an IOMMU, maps,
/// reads and unmaps.
/// </summary>
public sealed class SampleUnitFixProofTests
{
    [Fact]
    public async Task HabanalabsSample_CrossRootPortIommu_BeforeFaults_AfterReadsTheDramBarWithZeroFindings()
    {
        string[] before = KernelUnitFixTests.SampleFiles("HabanalabsExporter");
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0003HandBuiltDmaOnlyTableCodeFix(), "P2P0003", "AllocSgt", before);

        Assert.Empty(Import(before, out _));
        byte[] data = Import(after, out PciTopology t);
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(4), 8192), data);
        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(t.Device("nic0")));
    }

    private static byte[] Import(string[] files, out PciTopology topology)
    {
        topology = ProofTopologies.CrossRootPortIommu();
        Assembly driver = ScenarioRunner.CompileFiles(files);
        Type device = driver.GetType("Samples.HabanalabsExporter.HlDevice", throwOnError: true)!;
        object hdev = Activator.CreateInstance(device, topology.Device("gpu0"))!;
        driver.GetType("Samples.HabanalabsExporter.HlPci", throwOnError: true)!.GetMethod("Init")!.Invoke(null, new[] { hdev });
        var exporter = (DmaBufOps)Activator.CreateInstance(driver.GetType("Samples.HabanalabsExporter.HlDmaBuf", throwOnError: true)!, hdev, 0UL, 8192UL)!;
        return DmaBufHarness.Import(exporter, 8192, topology, topology.Device("nic0"));
    }
}
