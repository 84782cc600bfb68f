using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0022 through the thin wrappers RDMA drivers map with (include/rdma/ib_verbs.h's <c>ib_dma_map_single</c>,
/// <c>ib_dma_mapping_error</c>, <c>ib_dma_unmap_single</c>), shaped as iSER's <c>iser_alloc_login_buf</c>: the request
/// buffer is mapped, then the response buffer; when the second mapping fails, the first must be unmapped
/// (<c>goto out_unmap_req</c>). A wrapper's check is the mapping's failure test, and its unmap releases it.
/// </summary>
public sealed class P2P0022WrapperTests
{
    private const string Source = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        HEADER
        sealed class IserConn
        {
            public IbDevice Dev = null!;
            public KernelBuffer LoginReqBuf = null!, LoginRespBuf = null!;
            public DmaAddr LoginReqDma, LoginRespDma;
        }

        static class IserVerbs
        {
            // iser_alloc_login_buf
            public static int IserAllocLoginBuf(IserConn conn)
            {
                DmaAddr req = REQ_MAP;
                if (IbVerbs.IbDmaMappingError(conn.Dev, req))
                {
                    return -12;
                }

                DmaAddr resp = IbVerbs.IbDmaMapSingle(conn.Dev, conn.LoginRespBuf, 8192, DmaDirection.FromDevice);
                if (IbVerbs.IbDmaMappingError(conn.Dev, resp))
                {
                    UNWIND
                    RETURN
                }

                conn.LoginReqDma = req;
                conn.LoginRespDma = resp;
                return 0;
            }
        }
        """;

    /// <summary>
    /// The wrappers three ways: a driver's own one-line wrappers; include/rdma/ib_verbs.h since v5.10, each guarded by
    /// <c>ib_uses_virt_dma</c>; and v4.9's, with a device's own DMA operations and an <c>else</c> on the unmap.
    /// </summary>
    public static TheoryData<string> Headers => new() { "own", "mainline", "dmaops" };

    private const string OwnHeader = """
        sealed class IbDevice { public PciDevice DmaDevice = null!; }

        static class IbVerbs
        {
            public static DmaAddr IbDmaMapSingle(IbDevice dev, KernelBuffer cpuAddr, ulong size, DmaDirection direction) =>
                Dma.MapSingle(dev.DmaDevice, cpuAddr, 0, size, direction);

            public static bool IbDmaMappingError(IbDevice dev, DmaAddr dmaAddr) => Dma.MappingError(dev.DmaDevice, dmaAddr);

            public static void IbDmaUnmapSingle(IbDevice dev, DmaAddr addr, ulong size, DmaDirection direction) =>
                Dma.UnmapSingle(dev.DmaDevice, addr, size, direction);
        }
        """;

    private static string Header(string which) => which switch
    {
        "mainline" => P2PAnalyzers.Tests.Kernel.IbVerbsHeader.Mainline,
        "dmaops" => P2PAnalyzers.Tests.Kernel.IbVerbsHeader.WithDmaOps,
        _ => OwnHeader,
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public Task SecondMappingFails_FirstLeftMapped_Reports(string header) => Verifier.Analyzer(
        Source.Replace("HEADER", Header(header)).Replace("REQ_MAP", "{|#0:IbVerbs.IbDmaMapSingle(conn.Dev, conn.LoginReqBuf, 8192, DmaDirection.ToDevice)|}")
            .Replace("UNWIND", string.Empty).Replace("RETURN", "{|#1:return -12;|}"),
        Verifier.Diagnostic("P2P0022").WithLocation(0).WithLocation(1).WithArguments("IbVerbs.IbDmaMapSingle", "at 'return -12;', which returns an error"));

    // The fix writes the unmap wrapper beside the map wrapper, with the map call's device, size and direction: iSER's
    // own unwinding (unmap_req:) as a call before the return.
    [Theory]
    [MemberData(nameof(Headers))]
    public Task SecondMappingFails_FixUnmapsThroughTheWrapper(string header) => Verifier.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0022MappingLeakedCodeFix>(
        Source.Replace("HEADER", Header(header)).Replace("REQ_MAP", "{|#0:IbVerbs.IbDmaMapSingle(conn.Dev, conn.LoginReqBuf, 8192, DmaDirection.ToDevice)|}")
            .Replace("UNWIND", string.Empty).Replace("RETURN", "{|#1:return -12;|}"),
        Source.Replace("HEADER", Header(header)).Replace("REQ_MAP", "IbVerbs.IbDmaMapSingle(conn.Dev, conn.LoginReqBuf, 8192, DmaDirection.ToDevice)")
            .Replace("            UNWIND", string.Empty).Replace("RETURN", "IbVerbs.IbDmaUnmapSingle(conn.Dev, req, 8192, DmaDirection.ToDevice);\n            return -12;"),
        Verifier.Diagnostic("P2P0022").WithLocation(0).WithLocation(1).WithArguments("IbVerbs.IbDmaMapSingle", "at 'return -12;', which returns an error"));

    // An unmap wrapper that takes the size from the device instead of its caller: nothing tells the fix what to hand it.
    [Fact]
    public Task UnmapWrapperWithoutTheSize_NoFix() => Verifier.NoCodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0022MappingLeakedCodeFix>(
        Source.Replace("HEADER", OwnHeader.Replace("""
                public static void IbDmaUnmapSingle(IbDevice dev, DmaAddr addr, ulong size, DmaDirection direction) =>
                    Dma.UnmapSingle(dev.DmaDevice, addr, size, direction);
            """, """
                public static void IbDmaUnmapSingle(IbDevice dev, DmaAddr addr, DmaDirection direction) =>
                    Dma.UnmapSingle(dev.DmaDevice, addr, 8192, direction);
            """)).Replace("REQ_MAP", "{|#0:IbVerbs.IbDmaMapSingle(conn.Dev, conn.LoginReqBuf, 8192, DmaDirection.ToDevice)|}")
            .Replace("UNWIND", string.Empty).Replace("RETURN", "{|#1:return -12;|}"),
        Verifier.Diagnostic("P2P0022").WithLocation(0).WithLocation(1).WithArguments("IbVerbs.IbDmaMapSingle", "at 'return -12;', which returns an error"));

    // iSER as it is: the request buffer unmapped before the error return.
    [Theory]
    [MemberData(nameof(Headers))]
    public Task FirstUnmappedThroughTheWrapper_NoDiagnostic(string header) => Verifier.Analyzer(
        Source.Replace("HEADER", Header(header)).Replace("REQ_MAP", "IbVerbs.IbDmaMapSingle(conn.Dev, conn.LoginReqBuf, 8192, DmaDirection.ToDevice)")
            .Replace("UNWIND", "IbVerbs.IbDmaUnmapSingle(conn.Dev, req, 8192, DmaDirection.ToDevice);").Replace("RETURN", "return -12;"));

    // A driver's own check helper that takes the address first (mtk_star_emac-style `priv` last): its argument map, not
    // its position, says which argument is the address. Before, such a helper counted as handing the mapping on.
    [Fact]
    public Task CheckHelperWithTheAddressFirst_SecondFails_FirstLeftMapped_Reports() => Verifier.Analyzer("""
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        sealed class Priv { public PciDevice Dev = null!; public DmaAddr Req, Resp; }

        static class Hw
        {
            static bool Failed(DmaAddr addr, Priv priv) => Dma.MappingError(priv.Dev, addr);

            public static int Setup(Priv priv, KernelBuffer reqBuf, KernelBuffer respBuf)
            {
                DmaAddr req = {|#0:Dma.MapSingle(priv.Dev, reqBuf, 0, 4096, DmaDirection.ToDevice)|};
                if (Failed(req, priv))
                {
                    return -12;
                }

                DmaAddr resp = Dma.MapSingle(priv.Dev, respBuf, 0, 4096, DmaDirection.FromDevice);
                if (Failed(resp, priv))
                {
                    {|#1:return -12;|}
                }

                priv.Req = req;
                priv.Resp = resp;
                return 0;
            }
        }
        """,
        Verifier.Diagnostic("P2P0022").WithLocation(0).WithLocation(1).WithArguments("Dma.MapSingle", "at 'return -12;', which returns an error"));
}
