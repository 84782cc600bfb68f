using P2PDma.Addresses;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// Fabric topologies where the habits matter, for the executed before/after proofs of the fixes. Each BAR is filled
/// with bytes that name it, so a test can tell where a DMA landed from what it read.
/// </summary>
internal static class ProofTopologies
{
    /// <summary>
    /// gpu0 and nic0 below one switch (map type BusAddr), an IOMMU at a host bridge that is on no allowlist: an IOVA
    /// reaches the root complex, which refuses to forward it to the peer.
    /// </summary>
    public static PciTopology SwitchLocalIommu() => Filled(PciTopology.Parse("""
        cpu vendor=intel family=6
        ram start=0 size=2G
        host-bridge hb0 iommu=on
        root-port rp0 parent=hb0
        switch-up sw0 parent=rp0
        switch-down dp0 parent=sw0
        switch-down dp1 parent=sw0
        endpoint gpu0 parent=dp0
        bar gpu0 index=0 cpu=0xc000_0000 size=256M
        endpoint nic0 parent=dp1
        bar nic0 index=0 cpu=0xd200_0000 size=32M prefetch=no
        """));

    /// <summary>
    /// A host bridge that translates (CPU 0x40_0000_0000 is bus 0x8000_0000), no IOMMU; nvme0's BAR sits at the bus
    /// address equal to gpu0's CPU address, so a CPU address used on the bus lands on nvme0 (a 64-bit controller, for
    /// the proofs where it addresses its own CMB).
    /// </summary>
    public static PciTopology TranslatingHostBridge() => Filled(PciTopology.Parse("""
        ram start=0 size=2G
        host-bridge hb0
        window hb0 cpu=0x40_0000_0000 size=256G bus=0x8000_0000
        root-port rp0 parent=hb0
        switch-up sw0 parent=rp0
        switch-down dp0 parent=sw0
        switch-down dp1 parent=sw0
        switch-down dp2 parent=sw0
        endpoint gpu0 parent=dp0
        bar gpu0 index=0 cpu=0x40_0000_0000 size=256M
        endpoint nic0 parent=dp1 dma-mask=64
        endpoint nvme0 parent=dp2 dma-mask=64
        bar nvme0 index=0 cpu=0x7f_8000_0000 size=16K prefetch=no
        """));

    /// <summary>
    /// gpu0 and nic0 below different root ports of an allowlisted Skylake-E host bridge with an IOMMU (map type
    /// ThruHostBridge): only an IOVA mapped for the BAR reaches it; a raw CPU address faults in the IOMMU. gpu0's BAR 4
    /// is habanalabs' DRAM BAR.
    /// </summary>
    public static PciTopology CrossRootPortIommu() => Filled(PciTopology.Parse("""
        cpu vendor=intel family=6
        ram start=0 size=2G
        host-bridge hb0 vendor=0x8086 device=0x2030 iommu=on
        root-port rp0 parent=hb0
        root-port rp1 parent=hb0
        endpoint gpu0 parent=rp0
        bar gpu0 index=0 cpu=0xc000_0000 size=256M
        bar gpu0 index=4 cpu=0xd000_0000 size=16M
        endpoint nic0 parent=rp1
        """));

    /// <summary>
    /// gpu0 and nic0 below different root ports of an AMD Zen system without an IOMMU, whose host bridge reaches RAM
    /// at an inbound offset (dma-direct adds it for RAM, never for MMIO).
    /// </summary>
    public static PciTopology CrossRootPortDmaOffset() => Filled(PciTopology.Parse("""
        cpu vendor=amd family=0x19
        ram start=0 size=2G
        host-bridge hb0 dma-offset=0x10_0000_0000
        root-port rp0 parent=hb0
        root-port rp1 parent=hb0
        endpoint gpu0 parent=rp0
        bar gpu0 index=0 cpu=0xc000_0000 size=256M
        endpoint nic0 parent=rp1 dma-mask=64
        """));

    /// <summary>The first <paramref name="length"/> bytes that <paramref name="bar"/> was filled with.</summary>
    public static byte[] Pattern(PciBar bar, int length) =>
        Enumerable.Range(0, length).Select(i => (byte)($"{bar.Device.Name} BAR{bar.Index} "[i % (bar.Device.Name.Length + 6)])).ToArray();

    public static P2PProvider Provider(PciTopology topology, string device, int bar = 0)
    {
        PciP2PDma.Init(topology.Device(device));
        return PciP2PDma.Provider(topology.Device(device), bar)!;
    }

    private static PciTopology Filled(PciTopology topology)
    {
        foreach (PciBar bar in topology.Devices.SelectMany(d => d.Bars))
        {
            topology.Memory.Write(bar.CpuStart, Pattern(bar, (int)System.Math.Min(bar.Size, 64 * 1024)));
        }

        topology.DmaDebug.Enabled = true;
        return topology;
    }
}
