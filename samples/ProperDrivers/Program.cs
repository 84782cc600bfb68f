using System;
using System.Collections.Generic;
using System.Linq;
using P2PDma.DmaBuf;
using P2PDma.P2P;
using P2PDma.Pci;
using Samples.ProperDrivers;

// Runs the proper drivers on two fabrics where the habits of the other samples misroute: a switch-local peer behind an
// IOMMU on a host bridge that forwards no P2P, and an ARM-style host bridge with a bus offset. Exit code 0 when every
// DMA lands on the intended bytes.
var failures = 0;
foreach ((string name, string description) in Topologies.All)
{
    PciTopology topology = PciTopology.Parse(description);
    topology.DmaDebug.Enabled = true;
    PciDevice gpu = topology.Device("gpu0");
    PciDevice nic = topology.Device("nic0");
    byte[] vram = Enumerable.Range(0, 8192).Select(i => (byte)(i * 7)).ToArray();
    topology.Memory.Write(gpu.Bar(0).CpuStart, vram);
    PciP2PDma.Init(gpu);
    P2PProvider provider = PciP2PDma.Provider(gpu, 0)!;
    Console.WriteLine($"== {name}: {PciP2PDma.Describe(gpu, nic).MapType} between gpu0 and nic0");

    var exporter = new ProperVramExporter(provider, new (ulong, ulong)[] { (0, 4096), (4096, 4096) });
    Check("proper VRAM exporter -> proper importer", ProperImporter.ReadAll(DmaBuffer.Export(exporter, exporter.Size), nic), vram);

    var driver = new ProperPeerDoorbellDriver(nic, provider);
    Check("proper doorbell driver, MapP2P read", driver.ReadPeer(4096), vram.Take(4096).ToArray());
    Console.WriteLine($"   doorbell at {driver.Doorbell(0x40)} (the BAR's bus address, bus offset applied)");

    if (topology.DmaDebug.Findings.Count > 0)
    {
        failures++;
        Console.WriteLine("   DMA debug: " + string.Join("; ", topology.DmaDebug.Findings));
    }
}

Console.WriteLine(failures == 0 ? "Every DMA landed on the intended bytes." : $"{failures} check(s) failed.");
return failures == 0 ? 0 : 1;

void Check(string what, byte[]? read, byte[] expected)
{
    bool ok = read is not null && read.SequenceEqual(expected);
    failures += ok ? 0 : 1;
    Console.WriteLine($"   {what}: {(ok ? "landed on gpu0 BAR0, bytes match" : "FAILED")}");
}

/// <summary>The two fabrics of the other samples' failures.</summary>
internal static class Topologies
{
    public static IEnumerable<(string Name, string Description)> All => new[]
    {
        ("switch-local peer, IOMMU, no P2P forwarding at the root complex", """
            ram start=0 size=2G
            host-bridge hb0 iommu=on
            root-port rp0 parent=hb0
            switch-up sw0 parent=rp0
            switch-down dp0 parent=sw0
            switch-down dp1 parent=sw0
            endpoint gpu0 parent=dp0
            bar gpu0 index=0 cpu=0xc000_0000 size=256M
            endpoint nic0 parent=dp1
            """),
        ("ARM-style host bridge with a bus offset, dma-direct", """
            ram start=0 size=2G
            host-bridge hb0
            window hb0 cpu=0x40_0000_0000 size=256G bus=0x8000_0000
            root-port rp0 parent=hb0
            switch-up sw0 parent=rp0
            switch-down dp0 parent=sw0
            switch-down dp1 parent=sw0
            endpoint gpu0 parent=dp0
            bar gpu0 index=0 cpu=0x40_0000_0000 size=256M
            endpoint nic0 parent=dp1 dma-mask=64
            """),
    };
}
