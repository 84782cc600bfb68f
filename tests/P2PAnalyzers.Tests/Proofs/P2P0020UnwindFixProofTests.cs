using System.Threading.Tasks;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Debugging;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0020's fix where an earlier mapping is unmapped only at the end, shaped as mxs-dcp's mxs_dcp_run_aes before
/// df6313d707e5 (the key mapped and checked, the source buffer mapped unchecked, both unmapped at the end): executed
/// with a source buffer the device cannot address (no IOMMU). Before, the failed address is started and unmapped; a
/// bare return at the new check leaves the key mapped; the fix unmaps the key first and leaves nothing behind.
/// </summary>
public sealed class P2P0020UnwindFixProofTests
{
    private const string Driver = """
        public static class MxsDcp
        {
            public static DmaAddr Started;

            static int StartDma(DmaAddr src)
            {
                Started = src;
                return 0;
            }

            public static int RunAes(PciDevice dev, KernelBuffer key, KernelBuffer src)
            {
                DmaAddr keyPhys = Dma.MapSingle(dev, key, 0, 32, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, keyPhys))
                {
                    return -12;
                }

                DmaAddr srcPhys = {|P2P0020:Dma.MapSingle(dev, src, 0, 512, DmaDirection.ToDevice)|};
                int ret = StartDma(srcPhys);
                Dma.UnmapSingle(dev, srcPhys, 512, DmaDirection.ToDevice);
                Dma.UnmapSingle(dev, keyPhys, 32, DmaDirection.ToDevice);
                return ret;
            }
        }
        """;

    [Fact]
    public async Task SourceCannotBeMapped_FixUnmapsTheKeyFirst()
    {
        string ours = (await UnitFixHarness.ApplySoundAsync(new P2P0020MappingErrorNotCheckedCodeFix(), "P2P0020", "MapSingle(dev, src", Driver))[0];
        Assert.Contains("Dma.UnmapSingle(dev, keyPhys, 32, DmaDirection.ToDevice);\n            return", ours.Replace("\r\n", "\n"));

        (int beforeResult, PciTopology before, object? started) = Run(Driver);
        Assert.Equal(0, beforeResult);
        Assert.Equal(P2PDma.Addresses.DmaAddr.MappingError, started); // the failed address was started
        Assert.Contains(before.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.UnmapOfMappingError);

        // What the fix declined to write before: the check with a bare return keeps the key mapped.
        string bare = ScenarioRunner.StripMarkup(Driver).Replace("int ret = StartDma(srcPhys);",
            "if (Dma.MappingError(dev, srcPhys)) { return -12; }\n        int ret = StartDma(srcPhys);");
        (int bareResult, PciTopology bareRun, _) = Run(bare);
        Assert.Equal(-12, bareResult);
        Assert.Equal(1, bareRun.DmaDebug.LiveMappings(bareRun.Device("nic0")));

        (int oursResult, PciTopology fixedRun, object? oursStarted) = Run(ours);
        Assert.Equal((int)DmaError.NoMemory, oursResult);
        Assert.Equal(default(P2PDma.Addresses.DmaAddr), oursStarted);
        Assert.Empty(fixedRun.DmaDebug.Findings);
        Assert.Equal(0, fixedRun.DmaDebug.LiveMappings(fixedRun.Device("nic0")));
    }

    // nic0 addresses 16 MiB and sits behind no IOMMU: the key is allocated below that, the source above it.
    private static (int Result, PciTopology Topology, object? Started) Run(string source)
    {
        PciTopology t = PciTopology.Parse("""
            ram start=0 size=2G
            host-bridge hb0
            root-port rp0 parent=hb0
            endpoint nic0 parent=rp0 dma-mask=24
            """);
        t.DmaDebug.Enabled = true;
        var key = t.Memory.Kmalloc(4096);
        _ = t.Memory.Kmalloc(32UL << 20);
        var src = t.Memory.Kmalloc(4096);
        var assembly = ScenarioRunner.Compile(P2PAnalyzers.Tests.Kernel.KernelVerify.Usings + ScenarioRunner.StripMarkup(source));
        System.Type dcp = assembly.GetType("MxsDcp", throwOnError: true)!;
        int result = (int)dcp.GetMethod("RunAes")!.Invoke(null, new object[] { t.Device("nic0"), key, src })!;
        return (result, t, dcp.GetField("Started")!.GetValue(null));
    }
}
