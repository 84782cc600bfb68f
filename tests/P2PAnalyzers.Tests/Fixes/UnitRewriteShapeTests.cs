using System;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PAnalyzers.Tests.Kernel;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// The exporter unit rewrite on the current habanalabs exporter written a little differently, as a driver author might:
/// each shape is sound (<see cref="UnitFixHarness"/>) and rewrites the whole unit.
/// </summary>
public sealed class UnitRewriteShapeTests
{
    private static readonly string Ops = ScenarioRunner.StripMarkup(
        HabanalabsTests.DmaBufOpsHead + HabanalabsTests.Attach + HabanalabsTests.DmaBufOpsMapUnmap.Replace("%PEER2PEER%", "attachment.Peer2Peer"));

    private static readonly string Memory = ScenarioRunner.StripMarkup(HabanalabsTests.MemoryCurrent);

    // The builder maps through a helper that only returns dma_map_resource's address, and fills the entry itself.
    [Fact]
    public async Task MappingThroughAHelperThatReturnsIt_P2P0003_RewritesAndRemovesTheHelper()
    {
        string memory = Memory.Replace("""
            if (SetDmaSg(sg, barAddress, chunkSize, dev, dir) != 0)
            {
                goto errUnmap;
            }
""", """
            DmaAddr addr = MapChunk(dev, barAddress, chunkSize, dir);
            if (Dma.MappingError(dev, addr))
            {
                goto errUnmap;
            }

            sg.SetPage(null, chunkSize, 0);
            sg.DmaAddress = addr;
            sg.DmaLength = chunkSize;
""").Replace("    // set_dma_sg:", """
    private static DmaAddr MapChunk(PciDevice dev, ulong barAddress, ulong chunkSize, DmaDirection dir) =>
        Dma.MapResource(dev, PhysAddr.FromRaw(barAddress), chunkSize, dir, DmaAttrs.SkipCpuSync);

    // set_dma_sg:
""");
        Assert.Contains("MapChunk(dev, barAddress", memory);

        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0003HandBuiltDmaOnlyTableCodeFix(), "P2P0003", "sgt", HabanalabsTests.Device, memory, Ops);
        Assert.Contains("ranges.Add(new PhysRange(PhysAddr.FromRaw(barAddress), chunkSize));", after[1]);
        Assert.DoesNotContain("MapChunk", after[1]);
        Assert.DoesNotContain("MapResource(", after[1].Substring(after[1].IndexOf("AllocSgtFromDevicePages", StringComparison.Ordinal)));
    }

    // MapDmaBuf keeps the importer's device in a local before handing it to the builder.
    [Fact]
    public async Task ImporterDeviceInALocal_P2P0003_HandsTheAttachmentDown()
    {
        string ops = Ops.Replace("HlDevice hdev = _hlDmabuf.Hdev;", "HlDevice hdev = _hlDmabuf.Hdev;\n        PciDevice importer = attachment.Device;")
            .Replace(", attachment.Device, dir)", ", importer, dir)");
        Assert.Contains(", importer, dir)", ops);

        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0003HandBuiltDmaOnlyTableCodeFix(), "P2P0003", "sgt", HabanalabsTests.Device, Memory, ops);
        Assert.Contains("_hlDmabuf.Offset, attachment, dir)", after[2]);
        Assert.Contains("DmaBufMapping.PhysVecToSgt(attach, provider, ranges, total, dir)", after[1]);
    }
}
