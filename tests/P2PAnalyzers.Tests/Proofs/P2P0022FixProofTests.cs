using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Debugging;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0022's fix, executed: a frame mapped for nic0 behind an IOMMU, the ring full, the error returned, the driver
/// unbound. Before, the mapping is still live and DMA debug reports it at unbind; after, nothing is left and nothing is
/// reported. The same for the guarded unmap on io_uring zcrx's area, whose error return is also its success return.
/// </summary>
public sealed class P2P0022FixProofTests
{
    [Fact]
    public void RingFull_BeforeLeaksTheMappingUntilUnbind_AfterNone()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-16, Run(P2P0022ProofScenario.Before, t1, t1.Memory.Kmalloc(4096)));
        Assert.Equal(1, t1.DmaDebug.LiveMappings(t1.Device("nic0")));
        t1.Device("nic0").Unbind();
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.LeakedAtUnbind);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-16, Run(P2P0022ProofScenario.After, t2, t2.Memory.Kmalloc(4096)));
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
        t2.Device("nic0").Unbind();
        Assert.Empty(t2.DmaDebug.Findings);
    }

    // sahara: the interrupt never comes, the process returns -ETIMEDOUT. Before, both lists the helper mapped stay mapped
    // until unbind; after, none.
    [Fact]
    public void HelperMappedListsThenTimeout_BeforeLeakUntilUnbind_AfterNone()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-110, RunAes(P2P0022HelperProofScenario.Before, t1));
        Assert.Equal(2, t1.DmaDebug.LiveMappings(t1.Device("nic0")));
        t1.Device("nic0").Unbind();
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.LeakedAtUnbind);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-110, RunAes(P2P0022HelperProofScenario.After, t2));
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
        t2.Device("nic0").Unbind();
        Assert.Empty(t2.DmaDebug.Findings);
    }

    // sahara_sha_process on a request after the first: before, the timeout leaves the list the links helper mapped
    // (two helpers deep) mapped until unbind; after, the unmap under the sg_in_idx mark runs before the return.
    [Fact]
    public void ShaTimeoutUnderTheMark_BeforeLeaksUntilUnbind_AfterNone()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-110, RunSha(P2P0022MarkProofScenario.Before, t1));
        Assert.Equal(1, t1.DmaDebug.LiveMappings(t1.Device("nic0")));
        t1.Device("nic0").Unbind();
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.LeakedAtUnbind);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-110, RunSha(P2P0022MarkProofScenario.After, t2));
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
        t2.Device("nic0").Unbind();
        Assert.Empty(t2.DmaDebug.Findings);
    }

    private static int RunSha(string source, PciTopology topology)
    {
        System.Reflection.Assembly assembly = ScenarioRunner.Compile(source);
        System.Type devType = assembly.GetType("ShaDev")!;
        System.Type rctxType = assembly.GetType("ShaReqctx")!;
        object dev = System.Activator.CreateInstance(devType)!;
        object rctx = System.Activator.CreateInstance(rctxType)!;
        devType.GetField("Device")!.SetValue(dev, topology.Device("nic0"));
        devType.GetField("NbInSg")!.SetValue(dev, 2);
        rctxType.GetField("InSg")!.SetValue(rctx, P2PDma.Mapping.SgTable.FromPages(topology.Memory.AllocPages(2)));
        return (int)assembly.GetType("Scenario")!.GetMethod("ShaProcess")!.Invoke(null, new[] { dev, rctx })!;
    }

    private static int RunAes(string source, PciTopology topology)
    {
        System.Reflection.Assembly assembly = ScenarioRunner.Compile(source);
        System.Type devType = assembly.GetType("SaharaDev")!;
        object dev = System.Activator.CreateInstance(devType)!;
        devType.GetField("Device")!.SetValue(dev, topology.Device("nic0"));
        devType.GetField("InSg")!.SetValue(dev, P2PDma.Mapping.SgTable.FromPages(topology.Memory.AllocPages(2)));
        devType.GetField("OutSg")!.SetValue(dev, P2PDma.Mapping.SgTable.FromPages(topology.Memory.AllocPages(2)));
        devType.GetField("NbInSg")!.SetValue(dev, 2);
        devType.GetField("NbOutSg")!.SetValue(dev, 2);
        return (int)assembly.GetType("Scenario")!.GetMethod("AesProcess")!.Invoke(null, new[] { dev })!;
    }

    private static int Run(string source, PciTopology topology, KernelBuffer buffer) =>
        ScenarioRunner.Invoke<int>(source, "Scenario", "Xmit", topology, topology.Device("nic0"), buffer, 4096u, true);

    [Fact]
    public void SharedErrorLabel_BeforeLeaksTheMappingUntilUnbind_AfterNone()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-16, RunSetup(P2P0022ProofScenario.BeforeAtLabel, t1, t1.Memory.Kmalloc(4096)));
        Assert.Equal(1, t1.DmaDebug.LiveMappings(t1.Device("nic0")));
        t1.Device("nic0").Unbind();
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.LeakedAtUnbind);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-16, RunSetup(P2P0022ProofScenario.AfterAtLabel, t2, t2.Memory.Kmalloc(4096)));
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
        t2.Device("nic0").Unbind();
        Assert.Empty(t2.DmaDebug.Findings);
    }

    private static int RunSetup(string source, PciTopology topology, KernelBuffer buffer) =>
        ScenarioRunner.Invoke<int>(source, "Scenario", "Setup", topology, topology.Device("nic0"), buffer, 4096u, true);

    // io_uring zcrx: eight pages and no net_iov to take them, so the population fails after the table was mapped.
    [Fact]
    public void ZcrxPopulationFails_BeforeLeaksTheTableUntilUnbind_AfterTheGuardedUnmapFreesIt()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-14, RunArea(P2P0022GuardProofScenario.Before, t1, niovs: 0));
        Assert.Equal(1, t1.DmaDebug.LiveMappings(t1.Device("nic0")));
        t1.Device("nic0").Unbind();
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.LeakedAtUnbind);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(-14, RunArea(P2P0022GuardProofScenario.After, t2, niovs: 0));
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
        t2.Device("nic0").Unbind();
        Assert.Empty(t2.DmaDebug.Findings);
    }

    // The guard leaves the success path alone: the table stays mapped for the ring and its release unmaps it once.
    [Fact]
    public void ZcrxPopulationSucceeds_AfterTheTableIsUnmappedOnceAtRelease()
    {
        PciTopology t = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(0, RunArea(P2P0022GuardProofScenario.After, t, niovs: 8));
        Assert.Equal(0, t.DmaDebug.LiveMappings(t.Device("nic0")));
        t.Device("nic0").Unbind();
        Assert.Empty(t.DmaDebug.Findings);
    }

    private static int RunArea(string source, PciTopology topology, int niovs)
    {
        topology.DmaDebug.Enabled = true;
        return ScenarioRunner.Invoke<int>(source, "Scenario", "MapAndRelease", topology, topology.Device("nic0"), 8, niovs);
    }
}
