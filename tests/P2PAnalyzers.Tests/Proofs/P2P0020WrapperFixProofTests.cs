using System.Threading.Tasks;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PDma.Debugging;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0020's fix at a thin wrapper's mapping, executed on krping's shape: receive buffer mapped through
/// ib_dma_map_single (include/rdma/ib_verbs.h since v5.10), freed through ib_dma_unmap_single. Before, DMA debug reports
/// "device driver failed to check map error" at the unmap; after the fix (the wrapper's ib_dma_mapping_error), nothing.
/// </summary>
public sealed class P2P0020WrapperFixProofTests
{
    private const string Driver = """
        public sealed class Cb
        {
            public IbDevice Dev = new();
            public KernelBuffer RecvBuf = null!;
            public DmaAddr RecvDmaAddr;
        }

        public static class Krping
        {
            public static int SetupBuffers(Cb cb)
            {
                cb.RecvDmaAddr = {|P2P0020:IbVerbs.IbDmaMapSingle(cb.Dev, cb.RecvBuf, 4096, DmaDirection.FromDevice)|};
                return 0;
            }

            public static void FreeBuffers(Cb cb) => IbVerbs.IbDmaUnmapSingle(cb.Dev, cb.RecvDmaAddr, 4096, DmaDirection.FromDevice);
        }
        """;

    [Fact]
    public async Task KrpingSetupBuffers_BeforeDrawsUncheckedMapError_AfterNone()
    {
        string header = IbVerbsProofs.Header;
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0020MappingErrorNotCheckedCodeFix(), "P2P0020", "IbDmaMapSingle", header, Driver);
        Assert.Contains("if (IbVerbs.IbDmaMappingError(cb.Dev, cb.RecvDmaAddr))", after[1]);

        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(0, Run(header, Driver, t1));
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.MappingErrorNotChecked);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(0, Run(after[0], after[1], t2));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
    }

    private static int Run(string header, string driver, PciTopology t)
    {
        t.DmaDebug.Enabled = true;
        var assembly = IbVerbsProofs.Compile(header, driver);
        object cb = IbVerbsProofs.New(assembly, "Cb", t.Device("nic0"), ("RecvBuf", t.Memory.Kmalloc(4096)));
        int ret = (int)IbVerbsProofs.Call(assembly, "Krping", "SetupBuffers", cb)!;
        IbVerbsProofs.Call(assembly, "Krping", "FreeBuffers", cb);
        return ret;
    }
}
