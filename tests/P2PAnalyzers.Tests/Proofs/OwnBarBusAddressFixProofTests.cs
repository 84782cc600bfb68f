using System.Reflection;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PAnalyzers.Tests.Kernel;
using P2PDma.Addresses;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// The own-BAR bus-address fix, executed: nvme_map_cmb (v4.9) keeps nvme0's CMB address, and the controller reads the
/// submission queue there, behind a host bridge that translates (CPU and bus addresses differ).
/// </summary>
public sealed class OwnBarBusAddressFixProofTests
{
    [Fact]
    public async Task TranslatingHostBridge_BeforeMissesTheCmb_AfterTheControllerReadsItsCmb()
    {
        string[] before = { NvmeTests.MapCmbV49, NvmeTests.AllocSqCmds };
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw", before);

        byte[] wrong = ReadSubmissionQueue(before, out PciTopology t1);
        byte[] right = ReadSubmissionQueue(after, out PciTopology t2);
        Assert.NotEqual(ProofTopologies.Pattern(t1.Device("nvme0").Bar(0), 4096), wrong);
        Assert.Equal(ProofTopologies.Pattern(t2.Device("nvme0").Bar(0), 4096), right);
        Assert.Empty(t2.DmaDebug.Findings);
    }

    private static byte[] ReadSubmissionQueue(string[] files, out PciTopology topology)
    {
        topology = ProofTopologies.TranslatingHostBridge();
        PciDevice nvme = topology.Device("nvme0");
        Assembly driver = ScenarioRunner.Compile(UnitFixProofTests.OneFile(files));
        object dev = System.Activator.CreateInstance(driver.GetType("NvmeDev", throwOnError: true)!)!;
        dev.GetType().GetField("Pdev")!.SetValue(dev, nvme);
        driver.GetType("NvmeCmb", throwOnError: true)!.GetMethod("MapCmb")!.Invoke(null, new object[] { dev, 0UL, 4096UL });
        object queue = System.Activator.CreateInstance(driver.GetType("NvmeQueue", throwOnError: true)!)!;
        driver.GetType("NvmeQueues", throwOnError: true)!.GetMethod("AllocSqCmds")!.Invoke(null, new object[] { dev, queue, 0UL });
        var sq = (DmaAddr)queue.GetType().GetField("SqDmaAddr")!.GetValue(queue)!;
        var transfer = topology.Fabric.Read(nvme, sq, 4096);
        return transfer.Succeeded ? transfer.Data.ToArray() : System.Array.Empty<byte>();
    }
}
