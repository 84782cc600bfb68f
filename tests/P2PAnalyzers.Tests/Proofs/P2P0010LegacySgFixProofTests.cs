using System;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0010's fix of P2P memory given to the pre-6.2 scatterlist mapping, executed: nic0 reads a list of gpu0's P2P
/// memory (<c>pci_p2pmem_alloc_sgl</c>) through the mapping, before and after the fix turns <c>Dma.LegacyMapSg</c> into
/// the P2P-aware <c>Dma.MapSg</c> (and its unmap alike).
/// </summary>
public sealed class P2P0010LegacySgFixProofTests
{
    private const int Length = 4096;

    private const string Driver = """
        using P2PDma.Fabric;

        public static class Scenario
        {
            public static byte[] ReadP2PMemory(PciTopology t, PciDevice p2pDev, PciDevice client)
            {
                SgTable? sgl = PciP2PDma.AllocSgl(p2pDev, 4096, out int nents);
                if (sgl is null)
                {
                    return Array.Empty<byte>();
                }

                int count = {|P2P0010:Dma.LegacyMapSg(client, sgl, nents, DmaDirection.ToDevice)|};
                if (count == 0)
                {
                    PciP2PDma.FreeSgl(p2pDev, sgl);
                    return Array.Empty<byte>();
                }

                DmaTransfer transfer = t.Fabric.Read(client, sgl[0].DmaAddress, 4096);
                Dma.LegacyUnmapSg(client, sgl, nents, DmaDirection.ToDevice);
                PciP2PDma.FreeSgl(p2pDev, sgl);
                return transfer.Data;
            }
        }
        """;

    // Switch-local peer behind an IOMMU: the legacy mapping's IOVA goes up to the root complex, which does not forward
    // it to the peer; after the fix the entry holds the bus address, the switch routes it to gpu0, and the unmap skips it.
    [Fact]
    public async Task SwitchLocalIommu_BeforeFaults_AfterReadsTheP2PMemory()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0010PeerMemoryMappedWithoutMapTypeCodeFix(), "P2P0010", "LegacyMapSg", Driver);
        Assert.Contains("Dma.MapSg(client, sgl", after[0]);

        Assert.Empty(Read(Driver, ProofTopologies.SwitchLocalIommu(), out _));
        byte[] fixedData = Read(after[0], ProofTopologies.SwitchLocalIommu(), out PciTopology t);
        Assert.Equal(ProofTopologies.Pattern(t.Device("gpu0").Bar(0), Length), fixedData);
        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(t.Device("nic0")));
    }

    // A host bridge that translates, no IOMMU: the legacy mapping hands out the CPU address, which lands on nvme0.
    [Fact]
    public async Task TranslatingHostBridge_BeforeReadsTheWrongDevice_AfterReadsTheP2PMemory()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0010PeerMemoryMappedWithoutMapTypeCodeFix(), "P2P0010", "LegacyMapSg", Driver);

        byte[] before = Read(Driver, ProofTopologies.TranslatingHostBridge(), out PciTopology t1);
        byte[] fixedData = Read(after[0], ProofTopologies.TranslatingHostBridge(), out PciTopology t2);
        Assert.Equal(ProofTopologies.Pattern(t1.Device("nvme0").Bar(0), Length), before);
        Assert.Equal(ProofTopologies.Pattern(t2.Device("gpu0").Bar(0), Length), fixedData);
    }

    private static byte[] Read(string source, PciTopology topology, out PciTopology used)
    {
        used = topology;
        topology.DmaDebug.Enabled = true;
        Assert.Equal(P2PDma.Mapping.DmaError.None, PciP2PDma.AddResource(topology.Device("gpu0"), 0, 2 * Length));
        return ScenarioRunner.Invoke<byte[]>(P2PAnalyzers.Tests.Kernel.KernelVerify.Usings + source, "Scenario", "ReadP2PMemory",
            topology, topology.Device("gpu0"), topology.Device("nic0"));
    }
}
