using System.Text.RegularExpressions;
using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Debugging;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// The "track the bus address" fix of P2P0013, executed: nvme reads one command's data from a peer's p2pmem
/// (nvme_queue_rq maps through blk_rq_dma_map_iter_start, the controller's DMA runs, nvme_pci_complete_rq unmaps),
/// with the driver of <see cref="P2P0013BusAddressFlagCodeFixTests"/> before and after the fix.
/// </summary>
public sealed class P2P0013FlagFixProofTests
{
    // The block layer and the nvme driver submitting one read whose buffer is the peer's BAR, then completing it.
    private const string Submit = """
        public static class Scenario
        {
            public static byte[] ReadPeer(PciTopology t, PciDevice nvme, P2PProvider provider, int length)
            {
                PciP2PDma.AddResource(provider.Bar.Device, provider.Bar.Index);
                var bvec = new BioVec { Page = t.Memory.PhysToPage(provider.Bar.CpuStart), Len = (ulong)length };
                var iod = new NvmeIod { Req = new Request { Bvecs = new[] { bvec }, Dir = DmaDirection.ToDevice } };
                if (NvmePci.MapData(nvme, iod) != 0)
                {
                    return Array.Empty<byte>();
                }

                byte[] data = t.Fabric.Read(nvme, iod.DmaVecs[0].Addr, length).Data;
                NvmeCompletion.UnmapData(nvme, iod);
                return data;
            }
        }
        """;

    [Fact]
    public void SwitchLocalIommu_BeforeUnmapsTheBusAddress_AfterSkipsItAndReadsThePeerBar()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(ProofTopologies.Pattern(t1.Device("gpu0").Bar(0), 4096), Run(Before, t1));
        // dma-debug: "device driver tries to free DMA memory it has not allocated" at the bus address
        Assert.Equal(t1.Device("gpu0").Bar(0).BusStart.Raw, Assert.Single(t1.DmaDebug.Findings).Address.Raw);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 4096), Run(After, t2));
        Assert.Empty(t2.DmaDebug.Findings);
    }

    // The other arm of the same code: a peer through the host bridge is mapped, and the fixed completion still unmaps it.
    [Fact]
    public void CrossRootPortIommu_AfterStillUnmapsTheMapping()
    {
        PciTopology t = ProofTopologies.CrossRootPortIommu();
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(0), 4096), Run(After, t));
        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(t.Device("nic0")));
    }

    private static string Before => OneFile(P2P0013BusAddressFlagCodeFixTests.BlkMqDma, P2P0013BusAddressFlagCodeFixTests.Iod,
        P2P0013BusAddressFlagCodeFixTests.MapData, P2P0013BusAddressFlagCodeFixTests.Completion);

    private static string After => OneFile(P2P0013BusAddressFlagCodeFixTests.BlkMqDmaFixed, P2P0013BusAddressFlagCodeFixTests.IodFixed,
        P2P0013BusAddressFlagCodeFixTests.MapDataFixed, P2P0013BusAddressFlagCodeFixTests.CompletionFixed);

    /// <summary>The driver's files as one compilation unit: their usings once, then each file's types.</summary>
    private static string OneFile(params string[] files) =>
        string.Join("\n", files[0].Split('\n').Where(l => l.StartsWith("using ", System.StringComparison.Ordinal)))
        + "\n" + string.Join("\n", files.Select(f => Regex.Replace(f, @"^using [^\n]*\n", "", RegexOptions.Multiline))) + "\n" + Submit;

    private static byte[] Run(string source, PciTopology topology) =>
        ScenarioRunner.Invoke<byte[]>(source, "Scenario", "ReadPeer", topology, topology.Device("nic0"), ProofTopologies.Provider(topology, "gpu0"), 4096);
}
