using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0011DistanceAsMappingDecisionAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0011 through <c>attach-&gt;peer2peer</c>: the exporter's attach clears the flag when the distance says P2P is not
/// possible (hl_dmabuf_attach, vfio_pci_dma_buf_attach), and the map callback tests the flag before a helper that maps
/// with dma_map_resource. The flag then carries the distance verdict, and only while every store of the compilation
/// agrees.
/// </summary>
public sealed class P2P0011Peer2PeerTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    // hl_dmabuf_attach + hl_map_dmabuf + alloc_sgt_from_device_pages (drivers/accel/habanalabs/common/memory.c)
    private const string Exporter = """
        sealed class HlDmaBufOps : DmaBufOps
        {
            public PciDevice Pdev = null!;
            public ulong BarStart;
            public ulong Size;

        %ATTACH%

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attachment, DmaDirection dir)
            {
                if (!%PEER2PEER%)
                {
                    return DmaError.NotSupported;
                }

                return %CALL%;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attachment, SgTable sgt, DmaDirection dir)
            {
                foreach (Scatterlist sg in sgt.DmaSegments)
                {
                    Dma.UnmapResource(attachment.Device, sg.DmaAddress, sg.DmaLength, dir);
                }
            }
        }

        static class HlMemory
        {
            public static DmaResult<SgTable> AllocSgtFromDevicePages(PciDevice hdev, ulong barStart, ulong size, PciDevice dev, DmaDirection dir)
            {
                SgTable sgt = SgTable.Alloc(1);
                DmaAddr addr = Dma.MapResource(dev, hdev.Bar(4).CpuStart + barStart, size, dir);
                if (Dma.MappingError(dev, addr))
                {
                    return DmaError.NoMemory;
                }

                sgt[0].SetPage(null, size, 0);
                sgt[0].DmaAddress = addr;
                sgt[0].DmaLength = size;
                return sgt;
            }

            // The same, deciding by map type itself (as dma_buf_phys_vec_to_sgt does).
            public static DmaResult<SgTable> AllocSgtDecided(PciDevice hdev, ulong size, PciDevice dev, DmaDirection dir) =>
                PciP2PDma.MapType(PciP2PDma.Provider(hdev, 4), dev) == P2PMapType.ThruHostBridge
                    ? AllocSgtFromDevicePages(hdev, 0, size, dev, dir)
                    : DmaError.Invalid;
        }
        """;

    private const string DistanceClears = """
            public override DmaError Attach(DmaBufAttachment attachment)
            {
                if (%CHECK%)
                {
                    attachment.Peer2Peer = false;
                }

                return DmaError.None;
            }
        """;

    private const string Check = "PciP2PDma.Distance(Pdev, attachment.Device) < 0";

    private const string Helper = "HlMemory.AllocSgtFromDevicePages(Pdev, BarStart, Size, attachment.Device, dir)";

    private static string Code(string attach, string peer2peer, string call) =>
        Usings + Exporter.Replace("%ATTACH%", attach).Replace("%PEER2PEER%", peer2peer).Replace("%CALL%", call);

    // The store that keeps the verdict in the flag: the last step of the origin chain.
    private static string Marked(string attach) => attach.Replace("attachment.Peer2Peer = false;", "{|#3:attachment.Peer2Peer = false|};");

    [Fact]
    public Task AttachClearsOnNegativeDistance_MapTestsFlagBeforeHelperThatMaps_Reports() => Verifier.Analyzer(
        Code(Marked(DistanceClears.Replace("%CHECK%", "{|#2:" + Check + "|}")), "{|#0:attachment.Peer2Peer|}", "{|#1:" + Helper + "|}"),
        Verifier.Diagnostic("P2P0011").WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(3)
            .WithArguments("attachment.Peer2Peer", "HlMemory.AllocSgtFromDevicePages, which maps with a generic call"));

    // xe_dma_buf_attach: if (attach->peer2peer && pci_p2pdma_distance(...) < 0) attach->peer2peer = false;
    [Fact]
    public Task AttachClearsUnderConjunction_Reports() => Verifier.Analyzer(
        Code(Marked(DistanceClears.Replace("%CHECK%", "attachment.Peer2Peer && {|#2:" + Check + "|}")), "{|#0:attachment.Peer2Peer|}", "{|#1:" + Helper + "|}"),
        Verifier.Diagnostic("P2P0011").WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(3)
            .WithArguments("attachment.Peer2Peer", "HlMemory.AllocSgtFromDevicePages, which maps with a generic call"));

    // A verdict kept in a local first, then the flag cleared on it.
    [Fact]
    public Task AttachClearsOnVerdictInLocal_Reports() => Verifier.Analyzer(
        Code(Marked("""
                public override DmaError Attach(DmaBufAttachment attachment)
                {
                    bool p2p = {|#2:PciP2PDma.Distance(Pdev, attachment.Device) >= 0|};
                    if (!p2p)
                    {
                        attachment.Peer2Peer = false;
                    }

                    return DmaError.None;
                }
            """), "{|#0:attachment.Peer2Peer|}", "{|#1:" + Helper + "|}"),
        Verifier.Diagnostic("P2P0011").WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(3)
            .WithArguments("attachment.Peer2Peer", "HlMemory.AllocSgtFromDevicePages, which maps with a generic call"));

    // Without a distance the flag is the importer's allow_peer2peer only: no verdict.
    [Fact]
    public Task NoAttach_FlagIsTheImportersOnly_NoDiagnostic() => Verifier.Analyzer(
        Code("", "attachment.Peer2Peer", Helper));

    // Cleared on something other than the distance: no verdict.
    [Fact]
    public Task AttachClearsOnRevoked_NoDiagnostic() => Verifier.Analyzer(
        Code("""
                public bool Revoked;

                public override DmaError Attach(DmaBufAttachment attachment)
                {
                    if (Revoked)
                    {
                        attachment.Peer2Peer = false;
                    }

                    return DmaError.None;
                }
            """, "attachment.Peer2Peer", Helper));

    // Cleared when P2P is possible (inverted): the flag does not say "possible".
    [Fact]
    public Task AttachClearsOnNonNegativeDistance_NoDiagnostic() => Verifier.Analyzer(
        Code(DistanceClears.Replace("%CHECK%", Check.Replace("< 0", ">= 0")), "attachment.Peer2Peer", Helper));

    // Stores that disagree: another path sets the flag true whatever the distance.
    [Fact]
    public Task AnotherStoreSetsTheFlag_StoresDisagree_NoDiagnostic() => Verifier.Analyzer(
        Code(DistanceClears.Replace("%CHECK%", Check) + """

                public void ForcePeer2Peer(DmaBufAttachment attachment) => attachment.Peer2Peer = true;
            """, "attachment.Peer2Peer", Helper));

    // The helper asks the map type itself: the flag only said "possible", the helper decides the path.
    [Fact]
    public Task HelperAsksMapType_NoDiagnostic() => Verifier.Analyzer(
        Code(DistanceClears.Replace("%CHECK%", Check), "attachment.Peer2Peer", "HlMemory.AllocSgtDecided(Pdev, Size, attachment.Device, dir)"));

    // The merged shape: the map is dma_buf_phys_vec_to_sgt, which decides by map type.
    [Fact]
    public Task MapIsPhysVecToSgt_NoDiagnostic() => Verifier.Analyzer(
        Code(DistanceClears.Replace("%CHECK%", Check), "attachment.Peer2Peer",
            "DmaBufMapping.PhysVecToSgt(attachment, PciP2PDma.Provider(Pdev, 4)!, new[] { new PhysRange(Pdev.Bar(4).CpuStart, Size) }, Size, dir)"));
}
