using System.Threading.Tasks;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PDma.Debugging;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0022's fix at a thin wrapper's mapping, executed on iSER's iser_alloc_login_buf shape (include/rdma/ib_verbs.h
/// since v5.10): the response buffer lies above what the HCA addresses, so its mapping fails. Before, the request buffer
/// stays mapped after the error return until unbind; after the fix (ib_dma_unmap_single before the return), nothing.
/// </summary>
public sealed class P2P0022WrapperFixProofTests
{
    private const string Driver = """
        public sealed class IserConn
        {
            public IbDevice Dev = new();
            public KernelBuffer LoginReqBuf = null!, LoginRespBuf = null!;
            public DmaAddr LoginReqDma, LoginRespDma;
        }

        public static class IserVerbs
        {
            public static int IserAllocLoginBuf(IserConn conn)
            {
                DmaAddr req = {|P2P0022:IbVerbs.IbDmaMapSingle(conn.Dev, conn.LoginReqBuf, 8192, DmaDirection.ToDevice)|};
                if (IbVerbs.IbDmaMappingError(conn.Dev, req))
                {
                    return -12;
                }

                DmaAddr resp = IbVerbs.IbDmaMapSingle(conn.Dev, conn.LoginRespBuf, 8192, DmaDirection.FromDevice);
                if (IbVerbs.IbDmaMappingError(conn.Dev, resp))
                {
                    return -12;
                }

                conn.LoginReqDma = req;
                conn.LoginRespDma = resp;
                return 0;
            }
        }
        """;

    [Fact]
    public async Task ResponseMappingFails_BeforeLeavesTheRequestMapped_AfterNone()
    {
        string header = IbVerbsProofs.Header;
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0022MappingLeakedCodeFix(), "P2P0022", "IbDmaMapSingle", header, Driver);
        Assert.Contains("IbVerbs.IbDmaUnmapSingle(conn.Dev, req, 8192, DmaDirection.ToDevice);", after[1]);

        (PciTopology t1, int r1) = Run(header, Driver);
        Assert.Equal(-12, r1);
        Assert.Equal(1, t1.DmaDebug.LiveMappings(t1.Device("hca0")));
        t1.Device("hca0").Unbind();
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.LeakedAtUnbind);

        (PciTopology t2, int r2) = Run(after[0], after[1]);
        Assert.Equal(-12, r2);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("hca0")));
        t2.Device("hca0").Unbind();
        Assert.Empty(t2.DmaDebug.Findings);
    }

    private static (PciTopology, int) Run(string header, string driver)
    {
        PciTopology t = PciTopology.Parse("""
            ram start=0 size=2G
            host-bridge hb0
            root-port rp0 parent=hb0
            endpoint hca0 parent=rp0 dma-mask=24
            """);
        t.DmaDebug.Enabled = true;
        KernelBuffer req = t.Memory.Kmalloc(8192);
        _ = t.Memory.Kmalloc(32UL << 20); // the response buffer lies above 16 MiB, out of the HCA's reach
        KernelBuffer resp = t.Memory.Kmalloc(8192);

        var assembly = IbVerbsProofs.Compile(header, driver);
        object conn = IbVerbsProofs.New(assembly, "IserConn", t.Device("hca0"), ("LoginReqBuf", req), ("LoginRespBuf", resp));
        int ret = (int)IbVerbsProofs.Call(assembly, "IserVerbs", "IserAllocLoginBuf", conn)!;
        return (t, ret);
    }
}
