using System;
using System.Collections.Generic;
using System.Linq;
using KernelDriver.Habanalabs;
using KernelDriver.Nvme;
using KernelDriver.Rdma;
using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.Pci;

// Runs the stack on a switch whose host bridge has an IOMMU and forwards no peer-to-peer traffic: an RDMA NIC reads an
// accelerator's device memory through habanalabs' dma-buf, and an NVMe controller reads a page of another controller's
// CMB and completes. Exit code 0 only when every DMA lands on the intended bytes and the DMA debug checks find nothing.
PciTopology t = PciTopology.Parse("""
    cpu vendor=intel family=6
    ram start=0 size=2G
    host-bridge hb0 iommu=on
    root-port rp0 parent=hb0
    switch-up sw0 parent=rp0
    switch-down dp0 parent=sw0
    switch-down dp1 parent=sw0
    switch-down dp2 parent=sw0
    switch-down dp3 parent=sw0
    endpoint gaudi0 parent=dp0
    bar gaudi0 index=0 cpu=0xc000_0000 size=256M
    bar gaudi0 index=4 cpu=0xd000_0000 size=64M
    endpoint mlx0 parent=dp1
    bar mlx0 index=0 cpu=0xd800_0000 size=32M prefetch=no
    endpoint nvme0 parent=dp2
    bar nvme0 index=0 cpu=0xdc00_0000 size=16K prefetch=no
    endpoint nvme1 parent=dp3
    bar nvme1 index=0 cpu=0xdd00_0000 size=1M
    """);
t.DmaDebug.Enabled = true;
int failures = 0;

// habanalabs probe, export of 8 KiB of HBM, and an RDMA memory region on it.
PciDevice gaudi = t.Device("gaudi0");
byte[] hbm = Pattern(8192, 3);
t.Memory.Write(gaudi.Bar(4).CpuStart, hbm);
var hdev = new HlDevice { Pdev = gaudi };
Gaudi2.PciBarsMap(hdev);
DmaBuffer dmabuf = HlDmaBufExport.ExportFromAddr(hdev, hdev.AsicProp.DramBaseAddress, 8192);
PciDevice mlx = t.Device("mlx0");
IbUmemDmabuf? umem = IbUmemDmabuf.Get(mlx, dmabuf, 0, 8192);
byte[]? read = null;
if (umem is not null && umem.MapPages() == 0)
{
    read = umem.Sgt!.DmaSegments.Take(umem.Nmap).SelectMany(sg => t.Fabric.Read(mlx, sg.DmaAddress, (int)sg.DmaLength).Data).ToArray();
    umem.UnmapPages();
}

Check("mlx0 reads gaudi0's HBM through the dma-buf", read, hbm);

// nvme1's CMB published as P2P memory; nvme0 reads a page of it and completes the request.
PciDevice nvme0 = t.Device("nvme0"), nvme1 = t.Device("nvme1");
byte[] cmb = Pattern(4096, 11);
t.Memory.Write(nvme1.Bar(0).CpuStart, cmb);
byte[]? fetched = null;
if (NvmePci.MapCmb(nvme1, 1 << 20) == 0)
{
    var iod = new NvmeIod { Req = new Request { Bvecs = new[] { new BioVec { Page = t.Memory.PhysToPage(nvme1.Bar(0).CpuStart), Len = 4096 } }, Dir = DmaDirection.ToDevice } };
    if (NvmePci.MapData(nvme0, iod) == 0)
    {
        fetched = t.Fabric.Read(nvme0, iod.DmaVecs[0].Addr, 4096).Data.ToArray();
        NvmeCompletion.UnmapData(nvme0, iod);
    }
}

Check("nvme0 reads a page of nvme1's CMB", fetched, cmb);

foreach (var finding in t.DmaDebug.Findings)
{
    failures++;
    Console.WriteLine($"   DMA debug: {finding.Kind}: {finding.Message}");
}

Console.WriteLine(failures == 0 ? "all DMA landed, DMA debug clean" : $"{failures} failure(s)");
return failures == 0 ? 0 : 1;

void Check(string what, byte[]? data, byte[] expected)
{
    bool ok = data is not null && data.SequenceEqual(expected);
    failures += ok ? 0 : 1;
    Console.WriteLine($"   {what}: {(ok ? "landed" : "MISROUTED or faulted")}");
}

static byte[] Pattern(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + seed)).ToArray();
