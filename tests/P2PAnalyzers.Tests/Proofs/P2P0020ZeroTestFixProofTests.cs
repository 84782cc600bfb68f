using System.Threading.Tasks;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Debugging;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0020's fix of a mapping tested against zero before an error label that unmaps under a zero guard, shaped as
/// mtip32xx's exec_drive_taskfile: executed with a mapping that fails (a buffer above what the device addresses, no
/// IOMMU). Before, the failed address goes to the drive; with the kernel's own fix (5173cb814b36: only the test
/// changed) abort: unmaps DMA_MAPPING_ERROR; with ours the address is cleared on the failure and nothing is reported,
/// and so with P2P0023's fix applied to the kernel's version.
/// </summary>
public sealed class P2P0020ZeroTestFixProofTests
{
    private const string Driver = """
        public static class Mtip
        {
            public static DmaAddr Issued;

            static int Issue(DmaAddr buffer)
            {
                Issued = buffer;
                return 0;
            }

            public static int ExecDriveTaskfile(PciDevice dev, KernelBuffer outbuf, uint taskout)
            {
                DmaAddr outbufDma = default;
                int err = 0;
                if (taskout != 0)
                {
                    outbufDma = {|P2P0020:Dma.MapSingle(dev, outbuf, 0, taskout, DmaDirection.ToDevice)|};
                    if (outbufDma.Raw == 0)
                    {
                        err = -12;
                        goto abort;
                    }
                }

                err = Issue(outbufDma);
            abort:
                if (outbufDma.Raw != 0)
                    Dma.UnmapSingle(dev, outbufDma, taskout, DmaDirection.ToDevice);
                return err;
            }
        }
        """;

    [Fact]
    public async Task FailedMapping_KernelFixUnmapsIt_OursClearsIt()
    {
        string ours = (await UnitFixHarness.ApplySoundAsync(new P2P0020MappingErrorNotCheckedCodeFix(), "P2P0020", "MapSingle", Driver))[0];
        Assert.Contains("outbufDma = default;", ours);
        string kernels = Driver.Replace("if (outbufDma.Raw == 0)", "if (Dma.MappingError(dev, outbufDma))");

        (int beforeResult, PciTopology before, object? issued) = Run(Driver);
        Assert.Equal(0, beforeResult);
        Assert.Equal(P2PDma.Addresses.DmaAddr.MappingError, issued); // the failed address went to the drive
        Assert.Contains(before.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.UnmapOfMappingError);

        (int kernelResult, PciTopology kernel, _) = Run(kernels);
        Assert.Equal(-12, kernelResult);
        Assert.Contains(kernel.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.UnmapOfMappingError);

        (int oursResult, PciTopology fixedRun, _) = Run(ours);
        Assert.Equal(-12, oursResult);
        Assert.Empty(fixedRun.DmaDebug.Findings);
        Assert.Equal(0, fixedRun.DmaDebug.LiveMappings(fixedRun.Device("nic0")));

        // P2P0023's fix of the kernel's version (FailureClearsAddress): the same outcome.
        string mended = (await UnitFixHarness.ApplySoundAsync(new P2P0023UseAfterUnmapCodeFix(), "P2P0023", "UnmapSingle",
            kernels.Replace("{|P2P0020:", string.Empty).Replace("|}", string.Empty)))[0];
        (int mendedResult, PciTopology mendedRun, _) = Run(mended);
        Assert.Equal(-12, mendedResult);
        Assert.Empty(mendedRun.DmaDebug.Findings);
    }

    // nic0 addresses 16 MiB and sits behind no IOMMU: a buffer above that cannot be mapped.
    private static (int Result, PciTopology Topology, object? Issued) Run(string source)
    {
        PciTopology t = PciTopology.Parse("""
            ram start=0 size=2G
            host-bridge hb0
            root-port rp0 parent=hb0
            endpoint nic0 parent=rp0 dma-mask=24
            """);
        t.DmaDebug.Enabled = true;
        _ = t.Memory.Kmalloc(32UL << 20);
        var assembly = ScenarioRunner.Compile(P2PAnalyzers.Tests.Kernel.KernelVerify.Usings + ScenarioRunner.StripMarkup(source));
        System.Type mtip = assembly.GetType("Mtip", throwOnError: true)!;
        int result = (int)mtip.GetMethod("ExecDriveTaskfile")!.Invoke(null, new object[] { t.Device("nic0"), t.Memory.Kmalloc(4096), 4096u })!;
        return (result, t, mtip.GetField("Issued")!.GetValue(null));
    }
}
