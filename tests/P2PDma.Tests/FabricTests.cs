using System;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Fabric;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>
/// Where device DMA really lands. Bytes are written into BARs and RAM with the CPU's view (topology.Memory) and read
/// back, or written, through the fabric, so a misroute shows up as the wrong bytes or a fault.
/// </summary>
public sealed class FabricTests
{
    private const int Length = 0x1800; // crosses a page boundary

    private static readonly DmaBufImportOps P2PImporter = new() { AllowPeer2Peer = true };

    /// <summary>The amdgpu / xe habit: a distance check, then dma_map_resource of the CPU-physical BAR address.</summary>
    private static DmaAddr DistanceCheckThenMapResource(PciDevice client, PciBar bar, ulong size)
    {
        Assert.True(PciP2PDma.Distance(bar.Device, client) >= 0, "the buggy driver only proceeds when the distance check passes");
        DmaAddr address = Dma.MapResource(client, bar.CpuStart, size, DmaDirection.Bidirectional);
        Assert.False(Dma.MappingError(client, address));

        // ...and hands it out in a hand-built page-less table.
        SgTable table = SgTable.Alloc(1);
        table[0].SetPage(null, size, 0);
        table[0].DmaAddress = address;
        table[0].DmaLength = size;
        return table[0].DmaAddress;
    }

    [Fact]
    public void DistanceCheckThenMapResource_OnSwitchLocalIommu_FaultsAtRootComplex()
    {
        PciTopology t = Topologies.SwitchSiblings(Ids.PlainHost(iommu: true));
        PciDevice nic = t.Device("nic");
        PciBar bar = t.Device("gpu").Bar(0);
        t.Memory.Write(bar.CpuStart, Topologies.Pattern(Length, 0x40));
        Assert.Equal(P2PMapType.BusAddr, PciP2PDma.Describe(bar.Device, nic).MapType);

        DmaAddr iova = DistanceCheckThenMapResource(nic, bar, Length);
        DmaTransfer read = t.Fabric.Read(nic, iova, Length);

        // The IOVA is no bus address of the switch, so it goes up, the IOMMU turns it into the BAR's CPU address, and
        // this root complex does not send peer traffic back down.
        Assert.False(read.Succeeded);
        Assert.Equal(DmaFaultKind.PeerForwardingBlocked, read.Route.Fault!.Fault);
        Assert.Contains("IOMMU", read.Route.Fault.Hops, StringComparison.Ordinal);
        Assert.Empty(read.Data);
    }

    [Fact]
    public void MapP2P_OnSwitchLocalIommu_LandsOnTheIntendedBarBytes()
    {
        PciTopology t = Topologies.SwitchSiblings(Ids.PlainHost(iommu: true));
        PciDevice nic = t.Device("nic");
        PciBar bar = t.Device("gpu").Bar(0);
        byte[] data = Topologies.Pattern(Length, 0x40);
        t.Memory.Write(bar.CpuStart + 0x2000, data);
        P2PProvider provider = Topologies.GpuProvider(t);

        P2PDmaMapping m = Dma.MapP2P(nic, provider, bar.CpuStart + 0x2000, Length, DmaDirection.Bidirectional);
        Assert.False(m.Failed);
        DmaTransfer read = t.Fabric.Read(nic, m.Address, Length);

        Assert.True(read.Succeeded, read.Route.ToString());
        Assert.True(read.Route.LandsOn(bar, 0x2000));
        Assert.Equal(data, read.Data);
        Assert.Contains("never reached the IOMMU", read.Route.Segments[0].Landing.Hops, StringComparison.Ordinal);
    }

    [Fact]
    public void DistanceCheckThenMapResource_OnBusOffsetHostBridgeWithoutIommu_LandsOnTheWrongDevice()
    {
        PciTopology t = Topologies.BusOffsetSwitch();
        PciDevice nic = t.Device("nic");
        PciBar gpuBar = t.Device("gpu").Bar(0);
        PciBar victimBar = t.Device("victim").Bar(0);
        byte[] gpuData = Topologies.Pattern(Length, 0x10);
        byte[] victimData = Topologies.Pattern(Length, 0x90);
        t.Memory.Write(gpuBar.CpuStart, gpuData);
        t.Memory.Write(victimBar.CpuStart, victimData);

        DmaAddr address = DistanceCheckThenMapResource(nic, gpuBar, Length);
        DmaTransfer read = t.Fabric.Read(nic, address, Length);

        // dma-direct hands back the CPU address 0x9000_0000; the switch decodes it as a bus address, which is victim's.
        Assert.Equal(gpuBar.CpuStart.Raw, address.Raw);
        Assert.True(read.Succeeded, read.Route.ToString());
        Assert.True(read.Route.LandsOn(victimBar, 0));
        Assert.Equal(victimData, read.Data);
        Assert.NotEqual(gpuData, read.Data);
    }

    [Fact]
    public void DistanceCheckThenMapResource_OnBusOffsetHostBridgeWithoutIommu_WriteCorruptsTheWrongDevice()
    {
        PciTopology t = Topologies.BusOffsetSwitch();
        PciDevice nic = t.Device("nic");
        PciBar gpuBar = t.Device("gpu").Bar(0);
        PciBar victimBar = t.Device("victim").Bar(0);
        byte[] payload = Topologies.Pattern(Length, 0x77);

        DmaAddr address = DistanceCheckThenMapResource(nic, gpuBar, Length);
        DmaTransfer write = t.Fabric.Write(nic, address, payload);

        Assert.True(write.Succeeded);
        Assert.Equal(payload, t.Memory.Read(victimBar.CpuStart, Length));
        Assert.Equal(new byte[Length], t.Memory.Read(gpuBar.CpuStart, Length));
    }

    [Fact]
    public void MapP2P_OnBusOffsetHostBridgeWithoutIommu_LandsOnTheIntendedBarBytes()
    {
        PciTopology t = Topologies.BusOffsetSwitch();
        PciDevice nic = t.Device("nic");
        PciBar gpuBar = t.Device("gpu").Bar(0);
        byte[] gpuData = Topologies.Pattern(Length, 0x10);
        t.Memory.Write(gpuBar.CpuStart, gpuData);
        t.Memory.Write(t.Device("victim").Bar(0).CpuStart, Topologies.Pattern(Length, 0x90));
        P2PProvider provider = Topologies.GpuProvider(t);

        P2PDmaMapping m = Dma.MapP2P(nic, provider, gpuBar.CpuStart, Length, DmaDirection.Bidirectional);
        DmaTransfer read = t.Fabric.Read(nic, m.Address, Length);

        Assert.False(m.Failed);
        Assert.Equal(gpuBar.BusStart.Raw, m.Address.Raw);
        Assert.True(read.Route.LandsOn(gpuBar, 0), read.Route.ToString());
        Assert.Equal(gpuData, read.Data);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PhysVecToSgtExporter_OnBusOffsetSwitch_LandsOnTheIntendedBarBytes(bool iommu)
    {
        PciTopology t = Topologies.BusOffsetSwitch(iommu);
        PciDevice nic = t.Device("nic");
        PciBar gpuBar = t.Device("gpu").Bar(0);
        byte[] gpuData = Topologies.Pattern(0x2000, 0x22);
        t.Memory.Write(gpuBar.CpuStart + 0x10_0000, gpuData);
        t.Memory.Write(t.Device("victim").Bar(0).CpuStart + 0x10_0000, Topologies.Pattern(0x2000, 0x99));
        DmaBuffer buf = PhysVecExporter.Export(Topologies.GpuProvider(t), new PhysRange(gpuBar.CpuStart + 0x10_0000, 0x2000));
        DmaBufAttachment attach = buf.DynamicAttach(nic, P2PImporter).Value;

        SgTable table = attach.Map(DmaDirection.Bidirectional).Value;
        DmaTransfer read = t.Fabric.Read(nic, table[0].DmaAddress, 0x2000);

        Assert.True(read.Route.LandsOn(gpuBar, 0x10_0000), read.Route.ToString());
        Assert.Equal(gpuData, read.Data);
        attach.Unmap(table, DmaDirection.Bidirectional);
    }

    [Fact]
    public void MapResourceExporter_OnSwitchLocalIommu_ImporterDmaFaults_WhileProperExporterWorks()
    {
        PciTopology t = Topologies.SwitchSiblings(Ids.PlainHost(iommu: true));
        PciDevice nic = t.Device("nic");
        PciBar gpuBar = t.Device("gpu").Bar(0);
        t.Memory.Write(gpuBar.CpuStart, Topologies.Pattern(0x1000, 3));
        var range = new PhysRange(gpuBar.CpuStart, 0x1000);
        DmaBufAttachment bad = DmaBuffer.Export(new MapResourceExporter(range), 0x1000).DynamicAttach(nic, P2PImporter).Value;
        DmaBufAttachment good = PhysVecExporter.Export(Topologies.GpuProvider(t), range).DynamicAttach(nic, P2PImporter).Value;

        SgTable badTable = bad.Map(DmaDirection.ToDevice).Value;
        SgTable goodTable = good.Map(DmaDirection.ToDevice).Value;

        Assert.Equal(DmaFaultKind.PeerForwardingBlocked, t.Fabric.Read(nic, badTable[0].DmaAddress, 0x1000).Route.Fault?.Fault);
        Assert.Equal(Topologies.Pattern(0x1000, 3), t.Fabric.Read(nic, goodTable[0].DmaAddress, 0x1000).Data);
    }

    [Fact]
    public void RawBarAddress_BehindIommu_ThroughTheHostBridge_FaultsInTheIommu()
    {
        // habanalabs: sg_dma_address(sg) = bar_address, nothing mapped.
        PciTopology t = Topologies.AcrossRootPorts(Ids.SkylakeHost(iommu: true));
        PciDevice nic = t.Device("nic");
        PciBar gpuBar = t.Device("gpu").Bar(0);
        t.Memory.Write(gpuBar.CpuStart, Topologies.Pattern(0x1000, 5));

        DmaTransfer raw = t.Fabric.Read(nic, DmaAddr.FromRaw(gpuBar.CpuStart.Raw), 0x1000);

        Assert.False(raw.Succeeded);
        Assert.Equal(DmaFaultKind.IommuFault, raw.Route.Fault!.Fault);
        Assert.Contains("not mapped", raw.Route.Fault.Hops, StringComparison.Ordinal);
    }

    [Fact]
    public void MapP2P_BehindIommu_ThroughAnAllowlistedHostBridge_LandsOnTheBar()
    {
        PciTopology t = Topologies.AcrossRootPorts(Ids.SkylakeHost(iommu: true));
        PciDevice nic = t.Device("nic");
        PciBar gpuBar = t.Device("gpu").Bar(0);
        byte[] data = Topologies.Pattern(0x1000, 5);
        t.Memory.Write(gpuBar.CpuStart, data);

        P2PDmaMapping m = Dma.MapP2P(nic, Topologies.GpuProvider(t), gpuBar.CpuStart, 0x1000, DmaDirection.ToDevice);
        DmaTransfer read = t.Fabric.Read(nic, m.Address, 0x1000);

        Assert.Equal(P2PMapType.ThruHostBridge, m.MapType);
        Assert.True(read.Route.LandsOn(gpuBar, 0), read.Route.ToString());
        Assert.Equal(data, read.Data);
        Assert.Contains("root complex forwarded", read.Route.Segments[0].Landing.Hops, StringComparison.Ordinal);
    }

    [Fact]
    public void AcsRedirect_SendsABusAddressUpToTheRootComplex_WhereTheIommuHasNoMapping()
    {
        PciTopology t = Topologies.SwitchSiblings(Ids.SkylakeHost(iommu: true), clientPortAcs: AcsControl.RequestRedirect);
        PciDevice nic = t.Device("nic");
        PciBar gpuBar = t.Device("gpu").Bar(0);

        DmaRoute route = t.Fabric.Route(nic, DmaAddr.FromRaw(gpuBar.BusStart.Raw), 0x1000);

        Assert.Equal(DmaFaultKind.IommuFault, route.Fault!.Fault);
        Assert.Contains("ACS redirect", route.Fault.Hops, StringComparison.Ordinal);
    }

    [Fact]
    public void AcsRedirect_WithoutIommu_BusAddressGoesUp_AndAnAllowlistedRootComplexForwardsIt()
    {
        PciTopology t = Topologies.SwitchSiblings(Ids.SkylakeHost(), clientPortAcs: AcsControl.RequestRedirect);
        PciDevice nic = t.Device("nic");
        PciBar gpuBar = t.Device("gpu").Bar(0);
        byte[] data = Topologies.Pattern(0x800, 9);
        t.Memory.Write(gpuBar.CpuStart, data);

        DmaTransfer read = t.Fabric.Read(nic, DmaAddr.FromRaw(gpuBar.BusStart.Raw), 0x800);

        Assert.True(read.Route.LandsOn(gpuBar, 0));
        Assert.Equal(data, read.Data);
        string hops = read.Route.Segments[0].Landing.Hops;
        Assert.Contains("ACS redirect", hops, StringComparison.Ordinal);
        Assert.Contains("root complex forwarded", hops, StringComparison.Ordinal);
    }

    [Fact]
    public void AcsRedirect_WithoutIommu_OnAnUnlistedRootComplex_IsBlocked()
    {
        PciTopology t = Topologies.SwitchSiblings(clientPortAcs: AcsControl.RequestRedirect);
        PciDevice nic = t.Device("nic");

        DmaRoute route = t.Fabric.Route(nic, DmaAddr.FromRaw(t.Device("gpu").Bar(0).BusStart.Raw), 0x1000);

        Assert.Equal(DmaFaultKind.PeerForwardingBlocked, route.Fault!.Fault);
    }

    [Fact]
    public void AcsRedirect_ProperMapP2P_ThruHostBridgeIova_LandsOnTheBar()
    {
        PciTopology t = Topologies.SwitchSiblings(Ids.SkylakeHost(iommu: true), clientPortAcs: AcsControl.RequestRedirect);
        PciDevice nic = t.Device("nic");
        PciBar gpuBar = t.Device("gpu").Bar(0);
        byte[] data = Topologies.Pattern(0x1000, 0x31);
        t.Memory.Write(gpuBar.CpuStart + 0x5000, data);

        P2PDmaMapping m = Dma.MapP2P(nic, Topologies.GpuProvider(t), gpuBar.CpuStart + 0x5000, 0x1000, DmaDirection.ToDevice);
        DmaTransfer read = t.Fabric.Read(nic, m.Address, 0x1000);

        Assert.Equal(P2PMapType.ThruHostBridge, m.MapType);
        Assert.True(read.Route.LandsOn(gpuBar, 0x5000), read.Route.ToString());
        Assert.Equal(data, read.Data);
    }

    [Fact]
    public void RamMapping_ThroughIommu_LandsInRam()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        KernelBuffer buffer = t.Memory.Kmalloc(0x3000);
        byte[] data = Topologies.Pattern(0x3000, 0x5A);
        buffer.Write(0, data);

        DmaAddr dma = Dma.MapSingle(nic, buffer, 0, 0x3000, DmaDirection.ToDevice);
        DmaTransfer read = t.Fabric.Read(nic, dma, 0x3000);

        Assert.True(read.Route.LandsInRam(buffer.Phys), read.Route.ToString());
        Assert.Equal(data, read.Data);
    }

    [Fact]
    public void RamMapping_DmaDirectWithInboundOffset_LandsInRam()
    {
        PciTopology t = Topologies.SingleDevice(dmaOffset: 0x2000_0000);
        PciDevice nic = t.Device("nic");
        KernelBuffer buffer = t.Memory.Kmalloc(0x2000);

        DmaAddr dma = Dma.MapSingle(nic, buffer, 0, 0x2000, DmaDirection.FromDevice);
        byte[] payload = Topologies.Pattern(0x2000, 0x6B);
        DmaTransfer write = t.Fabric.Write(nic, dma, payload);

        Assert.True(write.Route.LandsInRam(buffer.Phys), write.Route.ToString());
        Assert.Equal(payload, buffer.Read(0, 0x2000));
    }

    [Fact]
    public void RamMapping_DeviceIgnoringTheInboundOffset_MissesTheBuffer()
    {
        PciTopology t = Topologies.SingleDevice(dmaOffset: 0x2000_0000);
        PciDevice nic = t.Device("nic");
        KernelBuffer buffer = t.Memory.Kmalloc(0x1000);
        buffer.Write(0, Topologies.Pattern(0x1000, 1));

        DmaRoute route = t.Fabric.Route(nic, DmaAddr.FromRaw(buffer.Phys.Raw), 0x1000);

        Assert.False(route.LandsInRam(buffer.Phys));
    }

    [Fact]
    public void SgTableMapping_BehindIommu_EverySegmentLandsOnItsPage()
    {
        PciTopology t = Topologies.BusOffsetSwitch(iommu: true);
        PciDevice nic = t.Device("nic");
        Page ram = t.Memory.AllocPages(1)[0];
        Page p2p = Topologies.GpuP2PPage(t, 0x4000);
        t.Memory.Write(ram.Phys, Topologies.Pattern(0x1000, 0xA0));
        t.Memory.Write(p2p.Phys, Topologies.Pattern(0x1000, 0xB0));
        SgTable table = SgTable.FromPages(new[] { ram, p2p });
        Assert.Equal(DmaError.None, Dma.MapSgTable(nic, table, DmaDirection.ToDevice));

        Assert.Equal(Topologies.Pattern(0x1000, 0xA0), t.Fabric.Read(nic, table[0].DmaAddress, 0x1000).Data);
        DmaTransfer peer = t.Fabric.Read(nic, table[1].DmaAddress, 0x1000);
        Assert.True(peer.Route.LandsOn(t.Device("gpu").Bar(0), 0x4000), peer.Route.ToString());
        Assert.Equal(Topologies.Pattern(0x1000, 0xB0), peer.Data);
    }

    [Fact]
    public void WriteThroughAToDeviceMapping_IsAnIommuPermissionFault_AndMovesNoBytes()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        KernelBuffer buffer = t.Memory.Kmalloc(0x1000);
        DmaAddr dma = Dma.MapSingle(nic, buffer, 0, 0x1000, DmaDirection.ToDevice);

        DmaTransfer write = t.Fabric.Write(nic, dma, Topologies.Pattern(0x1000, 0xEE));

        Assert.False(write.Succeeded);
        Assert.Equal(DmaFaultKind.IommuPermission, write.Route.Fault!.Fault);
        Assert.Equal(new byte[0x1000], buffer.Read(0, 0x1000));
        Assert.True(t.Fabric.Read(nic, dma, 0x1000).Succeeded); // reading is what ToDevice allows
    }

    [Fact]
    public void TransactionPartlyUnmapped_FaultsWhole_AndMovesNoBytes()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        KernelBuffer spacer = t.Memory.Kmalloc(0x1000);
        KernelBuffer buffer = t.Memory.Kmalloc(0x1000);
        DmaAddr above = Dma.MapSingle(nic, spacer, 0, 0x1000, DmaDirection.FromDevice);
        DmaAddr dma = Dma.MapSingle(nic, buffer, 0, 0x1000, DmaDirection.FromDevice);
        Assert.Equal(dma + 0x1000, above); // top-down IOVA allocation: the next page up was the spacer's
        Dma.UnmapSingle(nic, above, 0x1000, DmaDirection.FromDevice);

        DmaTransfer write = t.Fabric.Write(nic, dma, Topologies.Pattern(0x2000, 1)); // one page too many

        Assert.False(write.Succeeded);
        Assert.True(write.Route.Segments[0].Landing.Reached);
        Assert.Equal(DmaFaultKind.IommuFault, write.Route.Segments[1].Landing.Fault);
        Assert.Equal(new byte[0x1000], buffer.Read(0, 0x1000));
    }

    [Fact]
    public void DmaAboveTheDeviceMask_CannotBeEmitted_EvenWhereRamIs()
    {
        PciTopology t = new PciTopologyBuilder()
            .Ram(0, 0x2_0000_0000) // RAM on both sides of 4 GiB
            .HostBridge("hb0")
            .RootPort("rp0", "hb0")
            .Endpoint("nic", "rp0")
            .Build();
        PciDevice nic = t.Device("nic");

        DmaRoute above = t.Fabric.Route(nic, DmaAddr.FromRaw(0x1_0000_0000), 0x1000);
        DmaRoute straddling = t.Fabric.Route(nic, DmaAddr.FromRaw(0xFFFF_FF00), 0x200);

        Assert.Equal(DmaFaultKind.BeyondDmaMask, above.Fault!.Fault);
        Assert.False(straddling.Succeeded);
        Assert.True(straddling.Segments[0].Landing.Reached); // the part below 4 GiB is fine
        Assert.Equal(DmaFaultKind.BeyondDmaMask, straddling.Fault!.Fault);

        Assert.Equal(DmaError.None, Dma.SetMaskAndCoherent(nic, Dma.BitMask(64)));
        Assert.True(t.Fabric.Route(nic, DmaAddr.FromRaw(0x1_0000_0000), 0x1000).LandsInRam(PhysAddr.FromRaw(0x1_0000_0000)));
    }

    [Fact]
    public void DmaToNothing_IsUnclaimed()
    {
        PciTopology t = Topologies.SingleDevice();
        DmaRoute route = t.Fabric.Route(t.Device("nic"), DmaAddr.FromRaw(0xC000_0000), 0x1000);
        Assert.Equal(DmaFaultKind.Unclaimed, route.Fault!.Fault);
    }

    [Fact]
    public void Route_InvalidArguments_Throw()
    {
        PciTopology t = Topologies.SingleDevice();
        PciTopology other = Topologies.SingleDevice();

        Assert.Throws<ArgumentNullException>(() => t.Fabric.Route(null!, DmaAddr.FromRaw(0x10_0000), 1));
        Assert.Throws<ArgumentException>(() => t.Fabric.Route(other.Device("nic"), DmaAddr.FromRaw(0x10_0000), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Fabric.Route(t.Device("nic"), DmaAddr.FromRaw(0x10_0000), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Fabric.Read(t.Device("nic"), DmaAddr.FromRaw(0x10_0000), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Fabric.Write(t.Device("nic"), DmaAddr.FromRaw(0x10_0000), Array.Empty<byte>()));
    }

    [Fact]
    public void Route_SplitsAtPageBoundaries_ButMergesContiguousLandings()
    {
        PciTopology t = Topologies.SingleDevice();
        DmaRoute route = t.Fabric.Route(t.Device("nic"), DmaAddr.FromRaw(0x10_0800), 0x3000);

        Assert.Single(route.Segments);
        Assert.Equal(0x3000UL, route.Segments[0].Length);
        Assert.True(route.LandsInRam(PhysAddr.FromRaw(0x10_0800)));
    }

    [Fact]
    public void MapP2P_ThruHostBridge_DmaDirectWithInboundOffsetAndTranslatingWindow_LandsOnTheIntendedBar()
    {
        // Under dma-direct an MMIO mapping is the CPU physical address, without the inbound RAM offset
        // (dma_direct_map_resource): the root complex must take it as MMIO, not subtract the offset.
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Identity(Ids.Intel, Ids.SkylakeE).DmaOffset(0x1000_0000)
                .Window(Topologies.OffsetWindowCpu, Topologies.OffsetWindowSize, Topologies.OffsetWindowBus))
            .RootPort("rp0", "hb0")
            .RootPort("rp1", "hb0")
            .Endpoint("gpu", "rp0", f => f.Bar(0, Topologies.OffsetGpuBarCpu, Topologies.OffsetBarSize))
            .Endpoint("nic", "rp1", f => f.Bar(0, Topologies.OffsetNicBarCpu, 0x10_0000))
            .Build();
        PciDevice nic = t.Device("nic");
        PciBar gpuBar = t.Device("gpu").Bar(0);
        byte[] data = Topologies.Pattern(Length, 0x3C);
        t.Memory.Write(gpuBar.CpuStart + 0x1000, data);

        P2PDmaMapping m = Dma.MapP2P(nic, Topologies.GpuProvider(t), gpuBar.CpuStart + 0x1000, Length, DmaDirection.ToDevice);
        Assert.False(m.Failed);
        DmaTransfer read = t.Fabric.Read(nic, m.Address, Length);

        Assert.Equal(P2PMapType.ThruHostBridge, m.MapType);
        Assert.Equal(gpuBar.CpuStart.Raw + 0x1000, m.Address.Raw);
        Assert.True(read.Route.LandsOn(gpuBar, 0x1000), read.Route.ToString());
        Assert.Equal(data, read.Data);
        Assert.Contains("root complex forwarded", read.Route.Segments[0].Landing.Hops, StringComparison.Ordinal);
    }

    [Fact]
    public void DmaDirectWithInboundOffset_RamStillWins_OverABarAtTheSameInboundAddress()
    {
        // An inbound address that is RAM once the offset is removed goes to RAM, even if a BAR sits at that number.
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Identity(Ids.Intel, Ids.SkylakeE).DmaOffset(0x9000_0000))
            .RootPort("rp0", "hb0")
            .RootPort("rp1", "hb0")
            .Endpoint("gpu", "rp0", f => f.Bar(0, 0x9000_0000, 0x1000_0000))
            .Endpoint("nic", "rp1")
            .Build();
        PciDevice nic = t.Device("nic");
        KernelBuffer buffer = t.Memory.Kmalloc(0x1000);
        DmaAddr dma = Dma.MapSingle(nic, buffer, 0, 0x1000, DmaDirection.ToDevice);
        Assert.NotNull(t.FindBar(PhysAddr.FromRaw(dma.Raw)));

        Assert.True(t.Fabric.Route(nic, dma, 0x1000).LandsInRam(buffer.Phys));
    }
}
