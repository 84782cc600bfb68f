using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>The P2P0003 fix, executed: the amdgpu-style exporter before and after, against the same importer.</summary>
public sealed class P2P0003FixProofTests
{
    [Fact]
    public void SwitchLocalIommu_BeforeFaults_AfterLandsAndUnmapsCleanly()
    {
        Assert.Empty(Import(P2P0003CodeFixTests.Before, ProofTopologies.SwitchLocalIommu(), out _));
        byte[] after = Import(P2P0003CodeFixTests.After, ProofTopologies.SwitchLocalIommu(), out PciTopology t);
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(0), 2 * 4096), after);
        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(t.Device("nic0")));
    }

    [Fact]
    public void TranslatingHostBridge_BeforeReadsTheWrongDevice_AfterReadsThePeerBar()
    {
        byte[] before = Import(P2P0003CodeFixTests.Before, ProofTopologies.TranslatingHostBridge(), out PciTopology t1);
        byte[] after = Import(P2P0003CodeFixTests.After, ProofTopologies.TranslatingHostBridge(), out PciTopology t2);
        Assert.Equal(ProofTopologies.Pattern(t1.Device("nvme0").Bar(0), 2 * 4096), before);
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), 2 * 4096), after);
    }

    /// <summary>Exports two 4 KiB blocks of gpu0's BAR; nic0 imports them, reads every segment, and gives the table back.</summary>
    private static byte[] Import(string exporterSource, PciTopology topology, out PciTopology used)
    {
        used = topology;
        PciBar bar = topology.Device("gpu0").Bar(0);
        var blocks = new List<PhysRange> { new(bar.CpuStart, 4096), new(bar.CpuStart + 4096, 4096) };
        var exporter = (DmaBufOps)ScenarioRunner.Create(exporterSource, "Exporter", ProofTopologies.Provider(topology, "gpu0"), blocks);
        PciDevice nic = topology.Device("nic0");
        DmaBufAttachment attach = DmaBuffer.Export(exporter, 2 * 4096).DynamicAttach(nic, new DmaBufImportOps { AllowPeer2Peer = true }).Value;
        DmaResult<SgTable> mapped = attach.Map(DmaDirection.ToDevice);
        if (mapped.Failed)
        {
            return System.Array.Empty<byte>();
        }

        byte[] data = DmaBufHarness.ReadSegments(topology, nic, mapped.Value);
        attach.Unmap(mapped.Value, DmaDirection.ToDevice);
        return data;
    }
}
