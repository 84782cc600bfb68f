using System;
using System.IO;

using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Kernel;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// The unit rewrites (builder, callers and unmap together) on the kernel-shaped drivers of the Kernel tests, as the
/// kernel splits them: each offered fix is sound (<see cref="UnitFixHarness"/>), and where it declines, it says nothing.
/// </summary>
public sealed class KernelUnitFixTests
{
    [Fact]
    public async Task Habanalabs_AllocSgtFromDevicePagesWithSetDmaSg_P2P0003_BecomesPhysVecToSgt()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0003HandBuiltDmaOnlyTableCodeFix(), "P2P0003", "sgt", Habanalabs(""));
        Assert.Contains("PciP2PDma.Init(hdev.Pdev) == DmaError.None ? PciP2PDma.Provider(hdev.Pdev, 4) : null", after[1]);
        Assert.Contains("DmaBufMapping.PhysVecToSgt(attach, provider, ranges, total, dir)", after[1]);
        Assert.DoesNotContain("SetDmaSg", string.Concat(after));
        Assert.Contains("DmaBufMapping.FreeSgt(attachment, sgt, dir);", after[2]);
        Assert.Contains("// alloc_sgt_from_device_pages: bar_address", after[1]);
    }

    [Fact]
    public async Task Habanalabs_SetDmaSg_P2P0010_RewritesTheBuilderItIsHandedTheEntryBy()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0010PeerMemoryMappedWithoutMapTypeCodeFix(), "P2P0010", "MapResource", Habanalabs(""));
        Assert.DoesNotContain("MapResource", string.Concat(after));
    }

    internal static readonly string[] Vfio2022 = Vfio2022Driver("");

    /// <summary>The 2022 RFC with its attach callback: the distance verdict in attachment.Peer2Peer gates the mapping.</summary>
    internal static readonly string[] Vfio2022WithAttach = Vfio2022Driver(VfioTests.Rfc2022Attach);

    private static string[] Vfio2022Driver(string attach) => new[]
    {
        VfioTests.Core,
        VfioTests.Rfc2022Head + attach + VfioTests.Rfc2022MapUnmap.Replace("%PEER2PEER%", "attachment.Peer2Peer").Replace("%MAPPING%", VfioTests.Rfc2022Mapping),
    };

    /// <summary>habanalabs as it splits: the device and probe, the memory code with set_dma_sg, the dma-buf ops.</summary>
    private static string[] Habanalabs(string attach) => new[]
    {
        HabanalabsTests.Device,
        HabanalabsTests.MemoryCurrent,
        HabanalabsTests.DmaBufOpsHead + attach + HabanalabsTests.DmaBufOpsMapUnmap.Replace("%PEER2PEER%", "attachment.Peer2Peer"),
    };

    [Fact]
    public async Task Vfio2022_OneMapResourceCutIntoEntries_P2P0003_BecomesPhysVecToSgtOfTheRange()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0003HandBuiltDmaOnlyTableCodeFix(), "P2P0003", "sgt", Vfio2022);
        Assert.Contains("PciP2PDma.Init(Vdev.Pdev) == DmaError.None ? PciP2PDma.Provider(Vdev.Pdev, Index) : null", after[1]);
        Assert.Contains("ranges.Add(new PhysRange(Vdev.Pdev.Bar(Index).CpuStart + Offset, Size));", after[1]);
        Assert.Contains("DmaBufMapping.FreeSgt(attachment, sgt, dir);", after[1]);
        // FreeSgt frees the table: the RFC's restore of orig_nents into it goes (mainline's unmap is dma_buf_free_sgt only).
        Assert.DoesNotContain("sgt.OrigNents = OrigNents;", after[1]);
        Assert.Contains("// device memory is never in CPU caches", after[1]);
    }

    [Fact]
    public async Task Vfio2022_P2P0010_RewritesTheSameUnit()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0010PeerMemoryMappedWithoutMapTypeCodeFix(), "P2P0010", "MapResource", Vfio2022);
        Assert.DoesNotContain("MapResource", after[1]);
    }

    // hl_dmabuf_attach clears peer2peer on a negative distance, hl_map_dmabuf refuses without it and otherwise builds the
    // table with dma_map_resource: the gate's fix is the builder's, which then decides by map type.
    [Fact]
    public async Task Habanalabs_Peer2PeerGate_P2P0011_RewritesTheBuilderItGates()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0011DistanceAsMappingDecisionCodeFix(), "P2P0011", "Peer2Peer", Habanalabs(HabanalabsTests.Attach));
        Assert.Contains("DmaBufMapping.PhysVecToSgt(attach, provider, ranges, total, dir)", after[1]);
        Assert.DoesNotContain("MapResource", string.Concat(after));

        // The verdict stays the "P2P possible at all" test it is.
        Assert.Contains("if (!attachment.Peer2Peer)", after[2]);
        Assert.Contains("PciP2PDma.Distance(_hlDmabuf.Hdev.Pdev, attachment.Device) < 0", after[2]);
    }

    [Fact]
    public async Task Vfio2022_Peer2PeerGateOfTheMapping_P2P0011_RewritesTheUnit()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0011DistanceAsMappingDecisionCodeFix(), "P2P0011", "Peer2Peer", Vfio2022WithAttach);
        Assert.Contains("DmaBufMapping.PhysVecToSgt(attachment, provider, ranges, total, dir)", after[1]);
        Assert.Contains("DmaBufMapping.FreeSgt(attachment, sgt, dir);", after[1]);
        Assert.DoesNotContain("MapResource", after[1]);
    }

    // The 2024 RFC maps chunks of each range's own BAR (DmaRanges[i].RegionIndex): no one provider, no fix.
    [Fact]
    public async Task Vfio2024_Peer2PeerGateOfPopulateSgt_P2P0011_DeclinesForRangesOfSeveralBars()
    {
        Assert.Empty(await UnitFixHarness.OfferedAsync(new P2P0011DistanceAsMappingDecisionCodeFix(), "P2P0011", "Peer2Peer",
            VfioTests.Core, VfioTests.RfcHead + VfioTests.RfcAttach + VfioTests.RfcMapUnmap.Replace("%PEER2PEER%", "attachment.Peer2Peer")));
    }

    // The amdgpu sample (samples/AmdgpuExporter): entries filled as sgt[i] in a loop over the VRAM blocks, and the
    // exporter's unmap handing the table to amdgpu_vram_mgr_free_sgt, which unmaps every entry.
    [Fact]
    public async Task AmdgpuSample_P2P0003_IndexedEntriesAndTheFreeSgtHelper_BecomePhysVecToSgtAndFreeSgt()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0003HandBuiltDmaOnlyTableCodeFix(), "P2P0003", "AllocSgt", SampleFiles("AmdgpuExporter"));
        string all = string.Concat(after);
        Assert.Contains("DmaBufMapping.PhysVecToSgt(attach, provider, ranges, total, dir)", all);
        Assert.Contains("PciP2PDma.Provider(_adev.Pdev, 0)", all);
        Assert.Contains("DmaBufMapping.FreeSgt(attach, table, dir)", all);
        Assert.DoesNotContain("public static void FreeSgt(", all);
        Assert.DoesNotContain("MapResource", all);
        Assert.DoesNotContain("sgt[i]", all);
        Assert.Contains("// phys = cursor.start + adev->gmc.aper_base", all);
    }

    // The habanalabs sample (samples/HabanalabsExporter): the builder MapDmaBuf calls hands each entry to set_dma_sg,
    // which stores the BAR address raw; nothing is mapped, and the unmap is empty. P2P0003 and P2P0001 offer one rewrite.
    [Fact]
    public async Task HabanalabsSample_RawSetDmaSg_P2P0003AndP2P0001_BecomePhysVecToSgtWithTheAttachmentHandedDown()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0003HandBuiltDmaOnlyTableCodeFix(), "P2P0003", "AllocSgt", SampleFiles("HabanalabsExporter"));
        string all = string.Concat(after);
        Assert.Contains("AllocSgtFromDevicePages(1, attach, dir)", all);
        Assert.Contains("private SgTable AllocSgtFromDevicePages(int npages, DmaBufAttachment attach, DmaDirection dir)", all);
        Assert.Contains("ranges.Add(new PhysRange(PhysAddr.FromRaw(barAddress), _size));", all);
        Assert.Contains("PciP2PDma.Provider(_hdev.Pdev, 4)", all);
        Assert.Contains("DmaBufMapping.FreeSgt(attach, table, dir);", all);
        Assert.DoesNotContain("SetDmaSg", all);
        Assert.DoesNotContain("DmaAddress", all);

        string[] titles = await UnitFixHarness.OfferedAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw", SampleFiles("HabanalabsExporter"));
        Assert.Equal(new[] { "Build the exporter's table with DmaBufMapping.PhysVecToSgt (builder, callers and unmap)" }, titles);
    }

    // Entries as sgt[i] of a for loop over blocks kept in read-only fields, and the count restated into Nents after the
    // loop (which PhysVecToSgt sets itself, one entry per range or more): the store goes with the table.
    [Fact]
    public async Task ForLoopOverReadOnlyBlocks_NentsRestated_P2P0003_DropsTheNentsStore()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0003HandBuiltDmaOnlyTableCodeFix(), "P2P0003", "sgt", """
            sealed class VramExporter : DmaBufOps
            {
                private readonly PciDevice _adev;
                private readonly ulong[] _blockStarts;
                private readonly ulong[] _blockSizes;

                public VramExporter(PciDevice adev, ulong[] blockStarts, ulong[] blockSizes)
                {
                    _adev = adev;
                    _blockStarts = blockStarts;
                    _blockSizes = blockSizes;
                }

                public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
                {
                    SgTable sgt = SgTable.Alloc(_blockStarts.Length);
                    for (int i = 0; i < _blockStarts.Length; i++)
                    {
                        PhysAddr phys = _adev.Bar(0).CpuStart + _blockStarts[i];
                        DmaAddr addr = Dma.MapResource(attach.Device, phys, _blockSizes[i], dir, DmaAttrs.Mmio);
                        if (Dma.MappingError(attach.Device, addr))
                        {
                            return DmaError.NoMemory;
                        }

                        sgt[i].SetPage(null, _blockSizes[i], 0);
                        sgt[i].DmaAddress = addr;
                        sgt[i].DmaLength = _blockSizes[i];
                    }

                    sgt.Nents = _blockStarts.Length;
                    return {|P2P0003:sgt|};
                }

                public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir)
                {
                    foreach (Scatterlist sg in table)
                    {
                        Dma.UnmapResource(attach.Device, sg.DmaAddress, sg.DmaLength, dir, DmaAttrs.Mmio);
                    }
                }
            }
            """);
        Assert.Contains("ranges.Add(new PhysRange(phys, _blockSizes[i]));", after[0]);
        Assert.Contains("DmaBufMapping.PhysVecToSgt(attach, provider, ranges, total, dir)", after[0]);
        Assert.DoesNotContain("Nents", after[0]);
        Assert.DoesNotContain("sgt[i]", after[0]);
        Assert.Contains("for (int i = 0; i < _blockStarts.Length; i++)", after[0]);
    }

    /// <summary>A sample project's files, in name order.</summary>
    internal static string[] SampleFiles(string project) =>
        Directory.GetFiles(Path.Combine(Metadata.RuleMetadata.RepositoryRoot, "samples", project), "*.cs").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
}
