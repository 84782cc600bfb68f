using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Kernel;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// The 2021 habanalabs exporter, which builds its table at export with the BAR address as the DMA address and keeps it
/// in the wrapper: P2P0001 (at the entry) and P2P0003 (at the return) offer the same unit rewrite, the ranges and the
/// provider kept at export and PhysVecToSgt per attachment; an extra use of the kept table declines it.
/// </summary>
public sealed class KeptTableFixTests
{
    private static readonly string[] HabanalabsV1 = { HabanalabsTests.Device, HabanalabsTests.MemoryV1 };

    [Fact]
    public async Task HabanalabsV1_P2P0003_KeepsRangesAndProvider_MapsPerAttachment()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0003HandBuiltDmaOnlyTableCodeFix(), "P2P0003", "Sgt", HabanalabsV1);
        string memory = after[1];
        Assert.Contains("public P2PProvider Provider = null!;", memory);
        Assert.Contains("public List<PhysRange> PhysVec = new();", memory);
        Assert.DoesNotContain("SgTable Sgt", memory);
        Assert.Contains("P2PProvider? provider = PciP2PDma.Init(hdev.Pdev) == DmaError.None ? PciP2PDma.Provider(hdev.Pdev, 4) : null;", memory);
        Assert.Contains("hlDmabuf.PhysVec.Add(new PhysRange(PhysAddr.FromRaw(barAddress), pageSize));", memory);
        Assert.Contains("for (int entry = 0; entry < pages.Length; entry++)", memory);
        Assert.Contains("return DmaBufMapping.PhysVecToSgt(attachment, _hlDmabuf.Provider, _hlDmabuf.PhysVec, _hlDmabuf.PhysVecSize, dir);", memory);
        Assert.Contains("DmaBufMapping.FreeSgt(attachment, sgt, dir);", memory);
        Assert.DoesNotContain("DmaAddress", memory);
        Assert.Contains("// alloc_sgt_from_device_pages (v1)", memory);
        Assert.Contains("curPage++;", memory);
    }

    [Fact]
    public async Task HabanalabsV1_P2P0001_OffersTheSameUnitRewrite()
    {
        string[] titles = await UnitFixHarness.OfferedAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw", HabanalabsV1);
        Assert.Equal(new[] { "Keep the ranges and the provider at export; map them per attachment with DmaBufMapping.PhysVecToSgt" }, titles);

        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw", HabanalabsV1);
        Assert.Contains("return DmaBufMapping.PhysVecToSgt(attachment, _hlDmabuf.Provider, _hlDmabuf.PhysVec, _hlDmabuf.PhysVecSize, dir);", after[1]);
    }

    // The kept table is read elsewhere too (a debugfs dump of the entries): rewriting it away would break that reader.
    [Fact]
    public async Task KeptTableReadElsewhere_Declines()
    {
        string memory = HabanalabsTests.MemoryV1.Replace(
            "// export_dmabuf_from_handle",
            "public static int Entries(HlDmabufWrapper hlDmabuf) => hlDmabuf.Sgt.Nents;\n\n    // export_dmabuf_from_handle");
        Assert.Empty(await UnitFixHarness.OfferedAsync(new P2P0003HandBuiltDmaOnlyTableCodeFix(), "P2P0003", "Sgt", HabanalabsTests.Device, memory));
        Assert.Empty(await UnitFixHarness.OfferedAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw", HabanalabsTests.Device, memory));
    }

    // The unmap does something already: what it undoes is not known, so the fix does not replace it.
    [Fact]
    public async Task UnmapNotEmpty_Declines()
    {
        string memory = HabanalabsTests.MemoryV1.Replace(
            "public override void UnmapDmaBuf(DmaBufAttachment attachment, SgTable sgt, DmaDirection dir)\n    {\n    }",
            "public override void UnmapDmaBuf(DmaBufAttachment attachment, SgTable sgt, DmaDirection dir)\n    {\n        _hlDmabuf.Handle = 0;\n    }");
        Assert.NotEqual(HabanalabsTests.MemoryV1, memory);
        Assert.Empty(await UnitFixHarness.OfferedAsync(new P2P0003HandBuiltDmaOnlyTableCodeFix(), "P2P0003", "Sgt", HabanalabsTests.Device, memory));
    }
}
