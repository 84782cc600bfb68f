using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Debugging;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0024's fix, executed: four pages of RAM mapped behind an IOMMU merge into fewer DMA segments, so the count
/// MapSg returns is not the nents; unmapping with it draws DMA debug's "different entry count" and leaves the rest
/// mapped, unmapping with the nents the fix passes draws nothing and leaves nothing mapped.
/// </summary>
public sealed class P2P0024FixProofTests
{
    [Fact]
    public void Bcm2835ErrorPath_BehindAnIommu_BeforeUnmapsTooFew_AfterUnmapsAll()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-5, Run(P2P0024ProofScenario.Before, t1));
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.UnmapNentsMismatch);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-5, Run(P2P0024ProofScenario.After, t2));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
    }

    private static int Run(string source, PciTopology topology)
    {
        SgTable sg = SgTable.FromPages(topology.Memory.AllocPages(4));
        return ScenarioRunner.Invoke<int>(source, "Scenario", "PrepareDma", topology.Device("nic0"), sg, 4);
    }

    // The loop fix, executed: the four pages merge into one segment behind nic0's IOMMU. Before, the descriptors past
    // the count carry DMA_MAPPING_ERROR, where the device's DMA faults in the IOMMU; after, every descriptor lands on the
    // list's bytes, all of them.
    [Fact]
    public void DescriptorLoop_BehindAnIommu_BeforeProgramsFaultingAddresses_AfterOnlyTheSegments()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        (int n1, bool[] landed1, _) = Program(P2P0024LoopProofScenario.Before, t1);
        Assert.Equal(4, n1);
        Assert.Contains(false, landed1);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        (int n2, bool[] landed2, ulong bytes2) = Program(P2P0024LoopProofScenario.After, t2);
        Assert.True(n2 < 4, "the pages should merge into fewer segments behind the IOMMU");
        Assert.DoesNotContain(false, landed2);
        Assert.Equal(4UL * 4096, bytes2);
    }

    // rk_hash_run's walk: before, it programs every entry, past the merged segments; after, only the segments.
    [Fact]
    public void CursorWalk_BehindAnIommu_BeforeProgramsFaultingAddresses_AfterOnlyTheSegments()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        (int n1, bool[] landed1, _) = Program(P2P0024WalkProofScenario.Before, t1);
        Assert.Equal(4, n1);
        Assert.Contains(false, landed1);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        (int n2, bool[] landed2, ulong bytes2) = Program(P2P0024WalkProofScenario.After, t2);
        Assert.True(n2 < 4, "the pages should merge into fewer segments behind the IOMMU");
        Assert.DoesNotContain(false, landed2);
        Assert.Equal(4UL * 4096, bytes2);
    }

    // isci's pair walk: before, both entries of each pair are programmed past the merged segments; after, every advance
    // stops at the count.
    [Fact]
    public void PairWalk_BehindAnIommu_BeforeProgramsFaultingAddresses_AfterOnlyTheSegments()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        (int n1, bool[] landed1, _) = Program(P2P0024PairWalkProofScenario.Before, t1);
        Assert.Equal(4, n1);
        Assert.Contains(false, landed1);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        (int n2, bool[] landed2, ulong bytes2) = Program(P2P0024PairWalkProofScenario.After, t2);
        Assert.True(n2 < 4, "the pages should merge into fewer segments behind the IOMMU");
        Assert.DoesNotContain(false, landed2);
        Assert.Equal(4UL * 4096, bytes2);
    }

    // sahara's link loop: before, links past the merged segments fault; bounded by the count but still sized by each
    // entry's CPU length, the one link would carry a page of four; after, the links carry every mapped byte.
    [Fact]
    public void LinkLoop_BehindAnIommu_BeforeProgramsFaultingAddresses_AfterEveryByteOnce()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        (int n1, bool[] landed1, _) = Program(P2P0024LinkLoopProofScenario.Before, t1);
        Assert.Equal(4, n1);
        Assert.Contains(false, landed1);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        (int n2, bool[] landed2, ulong bytes2) = Program(P2P0024LinkLoopProofScenario.After, t2);
        Assert.True(n2 < 4, "the pages should merge into fewer segments behind the IOMMU");
        Assert.DoesNotContain(false, landed2);
        Assert.Equal(4UL * 4096, bytes2);

        string boundOnly = P2P0024LinkLoopProofScenario.After.Replace("sg.DmaLength", "sg.Length", System.StringComparison.Ordinal);
        Assert.NotEqual(P2P0024LinkLoopProofScenario.After, boundOnly);
        (_, _, ulong bytes3) = Program(boundOnly, ProofTopologies.SwitchLocalIommu());
        Assert.True(bytes3 < 4UL * 4096, $"sized by CPU lengths, the merged segment's link carries {bytes3} bytes");
    }

    private static (int Descriptors, bool[] Landed, ulong Bytes) Program(string source, PciTopology topology)
    {
        SgTable sg = SgTable.FromPages(topology.Memory.AllocPages(4));
        PciDevice nic = topology.Device("nic0");
        var address = new P2PDma.Addresses.DmaAddr[4];
        var length = new ulong[4];
        int n = ScenarioRunner.Invoke<int>(source, "Scenario", "Program", nic, sg, 4, address, length);
        // The device fetches every descriptor it was given (an engine does not skip an empty one: it reads at least its
        // first byte); from its first byte only when the length would run past the top of the address space (the
        // DMA_MAPPING_ERROR an unmapped entry carries), where the first byte already faults.
        bool[] landed = Enumerable.Range(0, n).Select(i => topology.Fabric.Read(nic, address[i],
            address[i].Raw > ulong.MaxValue - length[i] ? 1 : (int)System.Math.Max(length[i], 1)).Route.Succeeded).ToArray();
        ulong bytes = Enumerable.Range(0, n).Where(i => landed[i]).Aggregate(0UL, (sum, i) => sum + length[i]);
        return (n, landed, bytes);
    }
}
