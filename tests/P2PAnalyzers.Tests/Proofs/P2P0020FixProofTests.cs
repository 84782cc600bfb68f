using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Debugging;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0020's fix, executed: a buffer mapped for nic0 behind an IOMMU, copied by the device, unmapped. Before, DMA debug
/// reports "device driver failed to check map error" at the unmap; after, nothing, and nothing stays mapped.
/// </summary>
public sealed class P2P0020FixProofTests
{
    [Fact]
    public void SoloP2mDma_BeforeDrawsUncheckedMapError_AfterNone()
    {
        PciTopology t1 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(0, Run(P2P0020ProofScenario.Before, t1, t1.Memory.Kmalloc(4096)));
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.MappingErrorNotChecked);

        PciTopology t2 = ProofTopologies.SwitchLocalIommu();
        Assert.Equal(0, Run(P2P0020ProofScenario.After, t2, t2.Memory.Kmalloc(4096)));
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(0, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
    }

    // 8139cp's RX refill when the new buffer cannot be mapped (above what nic0 addresses, no IOMMU). Before, the descriptor
    // gets DMA_MAPPING_ERROR and the device's next frame goes nowhere; after, the frame is dropped, the descriptor keeps the old
    // buffer, still mapped, and the device's frame lands in it.
    [Fact]
    public void RxRefillMapFails_BeforeTheDescriptorFaults_AfterItKeepsTheOldBuffer()
    {
        (PciTopology t1, object cp1, KernelBuffer old1) = RxRing(P2P0020RemapProofScenario.Before, out System.Reflection.Assembly a1);
        Assert.Equal(0, Poll(a1, cp1));
        Assert.True(P2PDma.Mapping.Dma.MappingError(t1.Device("nic0"), Descriptor(cp1)), "the descriptor should hold DMA_MAPPING_ERROR");
        Assert.Throws<System.ArgumentOutOfRangeException>(() => DeviceWrite(t1, cp1));

        (PciTopology t2, object cp2, KernelBuffer old2) = RxRing(P2P0020RemapProofScenario.After, out System.Reflection.Assembly a2);
        Assert.Equal(1, Poll(a2, cp2));
        Assert.True(DeviceWrite(t2, cp2).Route.Succeeded);
        Assert.Equal(0xA5, old2.Read(0, 1)[0]);
        Assert.Empty(t2.DmaDebug.Findings);
        Assert.Equal(1, t2.DmaDebug.LiveMappings(t2.Device("nic0")));
    }

    private static (PciTopology, object, KernelBuffer) RxRing(string source, out System.Reflection.Assembly assembly)
    {
        PciTopology topology = PciTopology.Parse("""
            ram start=0 size=2G
            host-bridge hb0
            root-port rp0 parent=hb0
            endpoint nic0 parent=rp0 dma-mask=24
            """);
        topology.DmaDebug.Enabled = true;
        PciDevice nic = topology.Device("nic0");
        KernelBuffer old = topology.Memory.Kmalloc(1536);
        P2PDma.Addresses.DmaAddr mapped = P2PDma.Mapping.Dma.MapSingle(nic, old, 0, 1536, P2PDma.Mapping.DmaDirection.FromDevice);
        Assert.False(P2PDma.Mapping.Dma.MappingError(nic, mapped));
        _ = topology.Memory.Kmalloc(32UL << 20); // the next buffer lies above 16 MiB

        assembly = ScenarioRunner.Compile(source);
        object cp = System.Activator.CreateInstance(assembly.GetType("Cp")!)!;
        cp.GetType().GetField("Pdev")!.SetValue(cp, nic);
        cp.GetType().GetField("Mem")!.SetValue(cp, topology.Memory);
        object desc = ((System.Array)cp.GetType().GetField("RxRing")!.GetValue(cp)!).GetValue(0)!;
        desc.GetType().GetField("Addr")!.SetValue(desc, mapped.Raw);
        return (topology, cp, old);
    }

    private static int Poll(System.Reflection.Assembly assembly, object cp) =>
        (int)assembly.GetType("Scenario")!.GetMethod("RxPoll")!.Invoke(null, new[] { cp })!;

    private static P2PDma.Addresses.DmaAddr Descriptor(object cp)
    {
        object desc = ((System.Array)cp.GetType().GetField("RxRing")!.GetValue(cp)!).GetValue(0)!;
        return P2PDma.Addresses.DmaAddr.FromRaw((ulong)desc.GetType().GetField("Addr")!.GetValue(desc)!);
    }

    // The device writes a frame where the descriptor points (the fabric refuses DMA_MAPPING_ERROR: it wraps past 2^64).
    private static P2PDma.Fabric.DmaTransfer DeviceWrite(PciTopology topology, object cp) =>
        topology.Fabric.Write(topology.Device("nic0"), Descriptor(cp), new byte[] { 0xA5, 0xA5 });

    private static int Run(string source, PciTopology topology, KernelBuffer buffer) =>
        ScenarioRunner.Invoke<int>(source, "Scenario", "SoloP2mDma", topology, topology.Device("nic0"), buffer, 4096u);
}
