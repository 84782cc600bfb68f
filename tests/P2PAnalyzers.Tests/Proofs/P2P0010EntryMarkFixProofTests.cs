using System;
using System.Reflection;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PAnalyzers.Tests.Kernel;
using P2PDma.Debugging;
using P2PDma.DmaBuf;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0010's fix on the 2024 VFIO RFC (populate_sgt, vfio_pci_dma_buf_map, vfio_pci_dma_buf_unmap), executed: the
/// exporter before and after the fix hands nic0 two pages of gpu0's BAR 0 as one range; nic0 reads every segment, then
/// gives the table back, whose unmap runs the exporter's entry loop.
/// </summary>
public sealed class P2P0010EntryMarkFixProofTests
{
    private const int Length = 2 * 4096;

    private static readonly string[] Driver =
    {
        VfioTests.Core,
        VfioTests.RfcHead + VfioTests.RfcMapUnmap.Replace("%PEER2PEER%", "attachment.Peer2Peer"),
    };

    // Switch-local peer (BusAddr) behind an IOMMU: dma_map_resource's IOVA goes up to the root complex, which does not
    // forward it to the peer. After the fix the entry holds the bus address, is marked, and the unmaps skip it: no
    // finding, and nothing left mapped.
    [Fact]
    public async Task SwitchLocalIommu_BeforeFaults_AfterLandsAndTheUnmapSkipsTheBusAddress()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0010PeerMemoryMappedWithoutMapTypeCodeFix(), "P2P0010", "MapResource", Driver);
        Assert.Contains("sgl.MarkBusAddress();", after[1]);

        Assert.Empty(Import(Driver, ProofTopologies.SwitchLocalIommu(), out _));
        byte[] fixedData = Import(after, ProofTopologies.SwitchLocalIommu(), out PciTopology t);
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(0), Length), fixedData);
        Assert.Empty(t.DmaDebug.Findings); // no unmap of the bus address, nothing "never mapped"
        Assert.Equal(0, t.DmaDebug.LiveMappings(t.Device("nic0")));
    }

    // A peer through an allowlisted host bridge with an IOMMU (ThruHostBridge): the driver's own dma_map_resource is
    // right there, and stays; its entries are not marked, so the guarded unmaps still unmap them, with the same call.
    [Fact]
    public async Task CrossRootPortIommu_AfterStillMapsAndUnmapsThroughTheHostBridge()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0010PeerMemoryMappedWithoutMapTypeCodeFix(), "P2P0010", "MapResource", Driver);

        byte[] fixedData = Import(after, ProofTopologies.CrossRootPortIommu(), out PciTopology t);
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(0), Length), fixedData);
        Assert.Empty(t.DmaDebug.Findings); // the mapping was unmapped with the call's own unmap, not left or mismatched
        Assert.Equal(0, t.DmaDebug.LiveMappings(t.Device("nic0")));
    }

    // The same switch-local peer without the guards: the marked entry's bus address is unmapped as if it were a
    // mapping, which dma-debug reports as never mapped. The guards are what keeps the fixed driver clean.
    [Fact]
    public async Task SwitchLocalIommu_FixWithoutTheGuards_UnmapsTheBusAddress()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0010PeerMemoryMappedWithoutMapTypeCodeFix(), "P2P0010", "MapResource", Driver);
        string unguarded = after[1].Replace("if (!sgl.IsDmaBusAddress)", "if (true)");
        Assert.NotEqual(after[1], unguarded);

        byte[] data = Import(new[] { after[0], unguarded }, ProofTopologies.SwitchLocalIommu(), out PciTopology t);
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(0), Length), data);
        Assert.Contains(t.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.UnmapNotMapped);
    }

    // A host bridge that translates, no IOMMU: dma_map_resource hands out the CPU address, which lands on nvme0. After
    // the fix the bus address reaches gpu0.
    [Fact]
    public async Task TranslatingHostBridge_BeforeReadsTheWrongDevice_AfterReadsThePeerBar()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0010PeerMemoryMappedWithoutMapTypeCodeFix(), "P2P0010", "MapResource", Driver);

        byte[] before = Import(Driver, ProofTopologies.TranslatingHostBridge(), out PciTopology t1);
        byte[] fixedData = Import(after, ProofTopologies.TranslatingHostBridge(), out PciTopology t2);
        Assert.Equal(ProofTopologies.Pattern(t1.Device("nvme0").Bar(0), Length), before);
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), Length), fixedData);
        Assert.Empty(t2.DmaDebug.Findings);
    }

    /// <summary>Exports <see cref="Length"/> bytes of gpu0's BAR 0 as one range and has nic0 import them.</summary>
    private static byte[] Import(string[] files, PciTopology topology, out PciTopology used)
    {
        used = topology;
        Assembly driver = ScenarioRunner.Compile(UnitFixProofTests.OneFile(files));
        object vdev = Activator.CreateInstance(driver.GetType("VfioPciCoreDevice", throwOnError: true)!)!;
        vdev.GetType().GetField("Pdev")!.SetValue(vdev, topology.Device("gpu0"));

        Type rangeType = driver.GetType("VfioRegionDmaRange", throwOnError: true)!;
        object range = Activator.CreateInstance(rangeType)!;
        rangeType.GetField("RegionIndex")!.SetValue(range, 0);
        rangeType.GetField("Offset")!.SetValue(range, 0UL);
        rangeType.GetField("Length")!.SetValue(range, (ulong)Length);
        var ranges = Array.CreateInstance(rangeType, 1);
        ranges.SetValue(range, 0);

        var exporter = (DmaBufOps)Activator.CreateInstance(driver.GetType("VfioPciDmaBuf", throwOnError: true)!)!;
        exporter.GetType().GetField("Vdev")!.SetValue(exporter, vdev);
        exporter.GetType().GetField("DmaRanges")!.SetValue(exporter, ranges);
        exporter.GetType().GetField("Size")!.SetValue(exporter, (ulong)Length);
        return DmaBufHarness.Import(exporter, Length, topology, topology.Device("nic0"));
    }
}
