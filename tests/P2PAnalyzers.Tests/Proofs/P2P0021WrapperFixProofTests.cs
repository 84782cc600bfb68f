using System.Threading.Tasks;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PDma.Debugging;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0021's fix through thin wrappers, executed: a login request buffer mapped ToDevice through ib_dma_map_single
/// (include/rdma/ib_verbs.h since v5.10) and unmapped FromDevice through ib_dma_unmap_single in the teardown. Before, DMA
/// debug reports the unmap's different direction; after the fix (the map's direction), nothing, and nothing stays mapped.
/// </summary>
public sealed class P2P0021WrapperFixProofTests
{
    private const string Driver = """
        public sealed class IserConn
        {
            public IbDevice Dev = new();
            public KernelBuffer LoginReqBuf = null!;
            public DmaAddr LoginReqDma;
        }

        public static class Iser
        {
            public static int AllocLoginBuf(IserConn conn)
            {
                conn.LoginReqDma = IbVerbs.IbDmaMapSingle(conn.Dev, conn.LoginReqBuf, 8192, DmaDirection.ToDevice);
                return IbVerbs.IbDmaMappingError(conn.Dev, conn.LoginReqDma) ? -12 : 0;
            }

            public static void FreeLoginBuf(IserConn conn) =>
                IbVerbs.IbDmaUnmapSingle(conn.Dev, conn.LoginReqDma, 8192, {|P2P0021:DmaDirection.FromDevice|});
        }
        """;

    [Fact]
    public async Task TeardownUnmapsFromDevice_BeforeDrawsTheDirectionFinding_AfterNone()
    {
        string header = IbVerbsProofs.Header;
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0021UnmapDoesNotMatchMapCodeFix(), "P2P0021", "FromDevice", header, Driver);
        Assert.Contains("IbVerbs.IbDmaUnmapSingle(conn.Dev, conn.LoginReqDma, 8192, DmaDirection.ToDevice)", after[1]);

        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(0, Run(header, Driver, t1));
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.UnmapDirectionMismatch);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(0, Run(after[0], after[1], t2));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
    }

    private static int Run(string header, string driver, PciTopology t)
    {
        t.DmaDebug.Enabled = true;
        var assembly = IbVerbsProofs.Compile(header, driver);
        object conn = IbVerbsProofs.New(assembly, "IserConn", t.Device("nic0"), ("LoginReqBuf", t.Memory.Kmalloc(8192)));
        int ret = (int)IbVerbsProofs.Call(assembly, "Iser", "AllocLoginBuf", conn)!;
        IbVerbsProofs.Call(assembly, "Iser", "FreeLoginBuf", conn);
        return ret;
    }
}
