using System;
using System.Collections.Generic;
using System.Linq;
using Consumer;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

// Runs the drivers on two fabrics where the habits misroute; exit code 0 only when every DMA lands on gpu0's bytes
// and the DMA debug checks found nothing.
int failures = 0;
foreach ((string name, PciTopology topology) in Fabrics())
{
    PciDevice gpu = topology.Device("gpu0");
    PciDevice nic = topology.Device("nic0");
    byte[] vram = Enumerable.Range(0, 8192).Select(i => (byte)(i * 7 + 1)).ToArray();
    topology.Memory.Write(gpu.Bar(0).CpuStart, vram);
    topology.DmaDebug.Enabled = true;
    PciP2PDma.Init(gpu);
    P2PProvider provider = PciP2PDma.Provider(gpu, 0)!;
    Console.WriteLine($"== {name}");

    Check("vram exporter", Import(new VramExporter(gpu, provider, new (ulong, ulong)[] { (0, 4096), (4096, 4096) }), nic), vram);
    Check("device-memory exporter", Import(new DeviceMemoryExporter(provider, 8192), nic), vram);
    var driver = new PeerDriver(nic, provider);
    Check("distance-gated read", driver.ReadPeer(4096), vram.Take(4096));
    Check("map-type read", driver.ReadWithMapType(4096), vram.Take(4096));
    Check("one-shot read", driver.ReadOnce(4096), vram.Take(4096));
    Check("doorbell", topology.Fabric.Read(nic, P2PDma.Addresses.DmaAddr.FromRaw(driver.Doorbell(0).Raw), 4096).Data, vram.Take(4096));
    foreach (var finding in topology.DmaDebug.Findings)
    {
        failures++;
        Console.WriteLine($"   DMA debug: {finding.Kind}");
    }
}

Console.WriteLine(failures == 0 ? "all DMA landed" : $"{failures} failure(s)");
return failures == 0 ? 0 : 1;

void Check(string what, byte[]? read, IEnumerable<byte> expected)
{
    bool ok = read is not null && read.SequenceEqual(expected);
    failures += ok ? 0 : 1;
    Console.WriteLine($"   {what}: {(ok ? "landed" : "MISROUTED or faulted")}");
}

static byte[]? Import(DmaBufOps exporter, PciDevice importer)
{
    DmaBufAttachment attach = DmaBuffer.Export(exporter, 8192).DynamicAttach(importer, new DmaBufImportOps { AllowPeer2Peer = true }).Value;
    DmaResult<SgTable> mapped = attach.Map(DmaDirection.ToDevice);
    if (mapped.Failed)
    {
        return null;
    }

    var data = new List<byte>();
    foreach (Scatterlist sg in mapped.Value.DmaSegments)
    {
        data.AddRange(importer.Topology.Fabric.Read(importer, sg.DmaAddress, (int)sg.DmaLength).Data);
    }

    attach.Unmap(mapped.Value, DmaDirection.ToDevice);
    return data.ToArray();
}

static IEnumerable<(string, PciTopology)> Fabrics()
{
    yield return ("switch-local peer behind an IOMMU", new PciTopologyBuilder()
        .Ram(0, 2UL << 30)
        .HostBridge("hb0", hb => hb.Iommu())
        .RootPort("rp0", "hb0")
        .SwitchUpstreamPort("sw0", "rp0")
        .SwitchDownstreamPort("dp0", "sw0")
        .SwitchDownstreamPort("dp1", "sw0")
        .Endpoint("gpu0", "dp0", f => f.Bar(0, cpu: 0xc000_0000, size: 256 << 20))
        .Endpoint("nic0", "dp1")
        .Build());
    yield return ("translating host bridge (bus = cpu - 0x3f_8000_0000)", new PciTopologyBuilder()
        .Ram(0, 2UL << 30)
        .HostBridge("hb0", hb => hb.Window(cpu: 0x40_0000_0000, size: 256UL << 30, bus: 0x8000_0000))
        .RootPort("rp0", "hb0")
        .SwitchUpstreamPort("sw0", "rp0")
        .SwitchDownstreamPort("dp0", "sw0")
        .SwitchDownstreamPort("dp1", "sw0")
        .Endpoint("gpu0", "dp0", f => f.Bar(0, cpu: 0x40_0000_0000, size: 256 << 20))
        .Endpoint("nic0", "dp1", f => f.DmaMaskBits(64))
        .Build());
}
