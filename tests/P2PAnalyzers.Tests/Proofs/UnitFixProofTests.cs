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
/// The unit rewrite of a hand-built exporter (P2P0003 / P2P0010 on the 2022 VFIO RFC's vfio_pci_dma_buf_map), executed:
/// the driver before and after the fix exports 2 pages of gpu0's BAR 0 to nic0, which reads every segment and unmaps.
/// </summary>
public sealed class UnitFixProofTests
{
    [Fact]
    public async Task Vfio2022_SwitchLocalIommu_BeforeFaults_AfterLandsWithZeroFindings()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0003HandBuiltDmaOnlyTableCodeFix(), "P2P0003", "sgt", KernelUnitFixTests.Vfio2022);

        Assert.Empty(Import(KernelUnitFixTests.Vfio2022, ProofTopologies.SwitchLocalIommu(), out _));
        byte[] fixedData = Import(after, ProofTopologies.SwitchLocalIommu(), out PciTopology t);
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(0), 2 * 4096), fixedData);
        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(t.Device("nic0")));
    }

    [Fact]
    public async Task Vfio2022_TranslatingHostBridge_BeforeReadsTheWrongDevice_AfterReadsThePeerBar()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0010PeerMemoryMappedWithoutMapTypeCodeFix(), "P2P0010", "MapResource", KernelUnitFixTests.Vfio2022);

        byte[] before = Import(KernelUnitFixTests.Vfio2022, ProofTopologies.TranslatingHostBridge(), out PciTopology t1);
        byte[] fixedData = Import(after, ProofTopologies.TranslatingHostBridge(), out PciTopology t2);
        Assert.NotEqual(ProofTopologies.Pattern(t1.Device("gpu0").Bar(0), 2 * 4096), before);
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 2 * 4096), fixedData);
        Assert.Empty(t2.DmaDebug.Findings);
    }

    // With the 2022 attach callback the Peer2Peer verdict gates the mapping: P2P0011's fix rewrites the same unit.
    [Fact]
    public async Task Vfio2022WithAttach_P2P0011_SwitchLocalIommu_BeforeFaults_AfterLandsWithZeroFindings()
    {
        string[] driver = KernelUnitFixTests.Vfio2022WithAttach;
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0011DistanceAsMappingDecisionCodeFix(), "P2P0011", "Peer2Peer", driver);

        Assert.Empty(Import(driver, ProofTopologies.SwitchLocalIommu(), out _));
        byte[] fixedData = Import(after, ProofTopologies.SwitchLocalIommu(), out PciTopology t);
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(0), 2 * 4096), fixedData);
        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(t.Device("nic0")));
    }

    /// <summary>The driver's files as one compilation unit: their usings once, then the declarations.</summary>
    internal static string OneFile(string[] files) =>
        KernelVerify.Usings + string.Join("\n", files.Select(f => string.Join("\n", f.Split('\n').Where(l => !l.StartsWith("using ", StringComparison.Ordinal)))));

    private static byte[] Import(string[] files, PciTopology topology, out PciTopology used)
    {
        used = topology;
        Assembly driver = ScenarioRunner.Compile(OneFile(files));
        object vdev = Activator.CreateInstance(driver.GetType("VfioPciCoreDevice", throwOnError: true)!)!;
        vdev.GetType().GetField("Pdev")!.SetValue(vdev, topology.Device("gpu0"));
        var exporter = (DmaBufOps)Activator.CreateInstance(driver.GetType("VfioPciDmaBuf2022", throwOnError: true)!)!;
        exporter.GetType().GetField("Vdev")!.SetValue(exporter, vdev);
        exporter.GetType().GetField("Index")!.SetValue(exporter, 0);
        exporter.GetType().GetField("Offset")!.SetValue(exporter, 0UL);
        exporter.GetType().GetField("Size")!.SetValue(exporter, 2UL * 4096);
        return DmaBufHarness.Import(exporter, 2 * 4096, topology, topology.Device("nic0"));
    }
}
