using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0021UnmapDoesNotMatchMapAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0021 through the thin wrappers RDMA upper-layer drivers map and unmap with (include/rdma/ib_verbs.h's
/// <c>ib_dma_map_single</c>, <c>ib_dma_mapping_error</c>, <c>ib_dma_unmap_single</c>): the direction is a constant only
/// at the wrappers' calls, which is where the unmap is judged and the map's direction read. Shaped as iSER's initiator
/// (drivers/infiniband/ulp/iser): the login buffers mapped in <c>iser_alloc_login_buf</c> and unmapped in
/// <c>iser_free_login_buf</c>; a TX descriptor's header mapped in <c>iser_initialize_task_headers</c>.
/// </summary>
public sealed class P2P0021WrapperTests
{
    private const string Verbs = """
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
                {|#6:conn.LoginReqDma = {|#1:IbVerbs.IbDmaMapSingle(conn.Dev, conn.LoginReqBuf, 8192, DmaDirection.ToDevice)|}|};
                if (IbVerbs.IbDmaMappingError(conn.Dev, conn.LoginReqDma))
                {
                    return -12;
                }

                DmaAddr resp = {|#2:IbVerbs.IbDmaMapSingle(conn.Dev, conn.LoginRespBuf, 8192, DmaDirection.FromDevice)|};
                if (IbVerbs.IbDmaMappingError(conn.Dev, resp))
                {
                    IbVerbs.IbDmaUnmapSingle(conn.Dev, conn.LoginReqDma, 8192, REQ_ERR);
                    return -12;
                }

                {|#7:conn.LoginRespDma = resp|};
                return 0;
            }

            // iser_free_login_buf
            public static void IserFreeLoginBuf(IserConn conn)
            {
                IbVerbs.IbDmaUnmapSingle(conn.Dev, conn.LoginReqDma, 8192, REQ);
                IbVerbs.IbDmaUnmapSingle(conn.Dev, conn.LoginRespDma, 8192, RESP);
            }
        }
        """;

    private static string Source(string header, string reqErr, string req, string resp) =>
        Verbs.Replace("HEADER", Header(header)).Replace("REQ_ERR", reqErr).Replace("RESP", resp).Replace("REQ", req);

    // The request buffer unmapped FromDevice in the teardown, mapped ToDevice at allocation; the response unmapped
    // ToDevice. Each is judged at the wrapper's call, its map found by the member the address was stored into.
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

            public static void IbDmaUnmapSingle(IbDevice dev, DmaAddr addr, ulong size, DmaDirection direction)
            {
                Dma.UnmapSingle(dev.DmaDevice, addr, size, direction);
            }
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
    public Task TeardownUnmapsWithTheOtherDirections_Reports(string header) => Verifier.Analyzer(
        Source(header, "DmaDirection.ToDevice", "{|#0:DmaDirection.FromDevice|}", "{|#3:DmaDirection.ToDevice|}"),
        Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1).WithLocation(6)
            .WithArguments("IbVerbs.IbDmaUnmapSingle", "conn.LoginReqDma", "direction", "FromDevice", "IbVerbs.IbDmaMapSingle, stored into IserConn.LoginReqDma in IserAllocLoginBuf", "ToDevice"),
        Verifier.Diagnostic("P2P0021").WithLocation(3).WithLocation(2).WithLocation(7)
            .WithArguments("IbVerbs.IbDmaUnmapSingle", "conn.LoginRespDma", "direction", "ToDevice", "IbVerbs.IbDmaMapSingle, stored into IserConn.LoginRespDma in IserAllocLoginBuf", "FromDevice"));

    // The error path in the same function as the map: its own call of the wrapper stored into the same storage.
    [Theory]
    [MemberData(nameof(Headers))]
    public Task ErrorPathUnmapsWithTheOtherDirection_Reports(string header) => Verifier.Analyzer(
        Source(header, "{|#0:DmaDirection.Bidirectional|}", "DmaDirection.ToDevice", "DmaDirection.FromDevice"),
        Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1)
            .WithArguments("IbVerbs.IbDmaUnmapSingle", "conn.LoginReqDma", "direction", "Bidirectional", "IbVerbs.IbDmaMapSingle", "ToDevice"));

    // The fix gives each wrapper unmap the direction its wrapper map was given (read through the map wrapper's argument map).
    [Theory]
    [MemberData(nameof(Headers))]
    public Task TeardownUnmapsWithTheOtherDirections_FixTakesTheMapsDirections(string header) => Verifier.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0021UnmapDoesNotMatchMapCodeFix>(
        Source(header, "DmaDirection.ToDevice", "{|#0:DmaDirection.FromDevice|}", "{|#3:DmaDirection.ToDevice|}"),
        Source(header, "DmaDirection.ToDevice", "DmaDirection.ToDevice", "DmaDirection.FromDevice").Replace("{|#1:", string.Empty).Replace("{|#2:", string.Empty).Replace("{|#6:", string.Empty).Replace("{|#7:", string.Empty)
            .Replace(")|}|};", ");").Replace(")|};", ");").Replace("resp|};", "resp;"),
        new[]
        {
            Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1).WithLocation(6)
                .WithArguments("IbVerbs.IbDmaUnmapSingle", "conn.LoginReqDma", "direction", "FromDevice", "IbVerbs.IbDmaMapSingle, stored into IserConn.LoginReqDma in IserAllocLoginBuf", "ToDevice"),
            Verifier.Diagnostic("P2P0021").WithLocation(3).WithLocation(2).WithLocation(7)
                .WithArguments("IbVerbs.IbDmaUnmapSingle", "conn.LoginRespDma", "direction", "ToDevice", "IbVerbs.IbDmaMapSingle, stored into IserConn.LoginRespDma in IserAllocLoginBuf", "FromDevice"),
        });

    // iSER as it is: every unmap with the direction of its map.
    [Theory]
    [MemberData(nameof(Headers))]
    public Task SameDirections_NoDiagnostic(string header) => Verifier.Analyzer(
        Source(header, "DmaDirection.ToDevice", "DmaDirection.ToDevice", "DmaDirection.FromDevice").Replace("{|#1:", string.Empty).Replace("{|#2:", string.Empty).Replace("{|#6:", string.Empty).Replace("{|#7:", string.Empty)
            .Replace(")|}|};", ");").Replace(")|};", ");").Replace("resp|};", "resp;"));
}
