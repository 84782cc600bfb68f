using System;
using System.IO;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using P2PAnalyzers.Rules;
using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Engine;

/// <summary>
/// The whole-program summary's own contract: what crosses method, class and file boundaries, where it stays silent
/// (stores or call sites that disagree), and that it ends on cycles. Each case is split the way drivers split it:
/// the device struct filled at probe in one file, the callback that uses it in another.
/// </summary>
public sealed class WholeProgramTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    // A device struct whose BAR base is cached at probe (amdgpu's adev->gmc.aper_base, habanalabs' dram_pci_bar_start).
    private const string Probe = Usings + """
        sealed class HlDevice
        {
            public PciDevice Pdev = null!;
            public ulong DramPciBarStart;
            public static PhysAddr LastBar;
            public PhysAddr AperBase { get; set; }
        }

        static class HlProbe
        {
            // hl_pci_init: hdev->dram_pci_bar_start = pci_resource_start(pdev, DRAM_BAR_ID)
            public static void PciInit(HlDevice hdev)
            {
                hdev.DramPciBarStart = hdev.Pdev.Bar(4).CpuStart.Raw;
                hdev.AperBase = hdev.Pdev.Bar(4).CpuStart;
                HlDevice.LastBar = hdev.Pdev.Bar(4).CpuStart;
            }
        }

        """;

    [Fact]
    public Task FieldCachedAtProbe_ReadInAnotherFile_Reports() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Probe,
        Usings + """
        sealed class HlDmaBuf
        {
            // the 2021 habanalabs P2P patch: sg_dma_address(sg) = bar_address, nothing mapped
            public void SetDmaSg(HlDevice hdev, Scatterlist sg, ulong offset) =>
                sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(hdev.DramPciBarStart + offset)|};
        }
        """);

    [Fact]
    public Task StaticFieldAndAutoProperty_Report() => Run<P2P0010PeerMemoryMappedWithoutMapTypeAnalyzer>(
        Probe,
        Usings + """
        sealed class Exporter
        {
            public DmaAddr MapOne(HlDevice hdev, PciDevice client) =>
                {|P2P0010:Dma.MapResource(client, hdev.AperBase, 4096, DmaDirection.Bidirectional)|};

            public DmaAddr MapLast(PciDevice client) =>
                {|P2P0010:Dma.MapResource(client, HlDevice.LastBar + 8192, 4096, DmaDirection.Bidirectional)|};
        }
        """);

    [Fact]
    public Task FieldWithMixedProvenance_NoDiagnostic() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Usings + """
        sealed class Ring
        {
            public ulong Base;

            // One path caches the raw BAR, another the mapped address: the analysis cannot tell which a read sees.
            public void Probe(PciDevice pdev) => Base = pdev.Bar(0).CpuStart.Raw;

            public void Remap(PciDevice pdev, PciDevice client) =>
                Base = Dma.MapResource(client, pdev.Bar(0).CpuStart, 4096, DmaDirection.ToDevice).Raw;
        }
        """,
        Usings + """
        sealed class Doorbell
        {
            public void Ring(Ring ring, Scatterlist sg) => sg.DmaAddress = DmaAddr.FromRaw(ring.Base);
        }
        """);

    [Fact]
    public Task FieldReassignedToMappedAddressBeforeUse_NoDiagnostic() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Probe,
        Usings + """
        sealed class HlDmaBuf
        {
            public void SetDmaSg(HlDevice hdev, PciDevice client, Scatterlist sg)
            {
                hdev.DramPciBarStart = Dma.MapResource(client, PhysAddr.FromRaw(hdev.DramPciBarStart), 4096, DmaDirection.ToDevice, DmaAttrs.Mmio).Raw;
                sg.DmaAddress = DmaAddr.FromRaw(hdev.DramPciBarStart);
            }
        }
        """);

    [Fact]
    public Task ParameterFromEveryCallSite_Reports() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Probe,
        Usings + """
        sealed class HlDmaBuf
        {
            public void AllocSgt(HlDevice hdev, SgTable sgt)
            {
                for (int i = 0; i < sgt.Count; i++)
                {
                    SetDmaSg(sgt[i], hdev.DramPciBarStart + (ulong)i * 4096);
                }
            }

            // set_dma_sg(sg, bar_address, chunk_size): the helper is handed the address
            private static void SetDmaSg(Scatterlist sg, ulong barAddress) => sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(barAddress)|};
        }
        """);

    [Fact]
    public Task ParameterWhoseCallSitesDisagree_NoDiagnostic() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Probe,
        Usings + """
        sealed class HlDmaBuf
        {
            public void Raw(HlDevice hdev, Scatterlist sg) => SetDmaSg(sg, hdev.DramPciBarStart);

            public void Mapped(HlDevice hdev, PciDevice client, Scatterlist sg) =>
                SetDmaSg(sg, Dma.MapResource(client, PhysAddr.FromRaw(hdev.DramPciBarStart), 4096, DmaDirection.ToDevice, DmaAttrs.Mmio).Raw);

            private static void SetDmaSg(Scatterlist sg, ulong address) => sg.DmaAddress = DmaAddr.FromRaw(address);
        }
        """);

    [Fact]
    public Task InterfaceImplementationParameter_Reports() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Probe,
        Usings + """
        interface ISgWriter { void Write(Scatterlist sg, ulong address); }

        sealed class RawWriter : ISgWriter
        {
            public void Write(Scatterlist sg, ulong address) => sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(address)|};
        }

        sealed class User
        {
            public void Fill(ISgWriter writer, HlDevice hdev, Scatterlist sg) => writer.Write(sg, hdev.DramPciBarStart);
        }
        """);

    // An ops table transliterated as delegate members (ath10k's wmi_ops->gen_mgmt_tx_send, set at attach): what a call
    // through the member passes reaches every method the compilation stores into it.
    private const string SgOps = """
        sealed class SgOps
        {
            public Action<Scatterlist, ulong>? WriteEntry;
            public Action<Scatterlist, ulong> Ignore { get; set; } = Skip;

            static void Skip(Scatterlist sg, ulong address) { }
        }

        """;

    [Fact]
    public Task MethodStoredIntoAnOpsTableDelegate_ParameterFromCallsThroughIt_Reports() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Probe,
        Usings + SgOps + """
        static class RawOps
        {
            public static void Attach(SgOps ops) => ops.WriteEntry = WriteRaw;

            static void WriteRaw(Scatterlist sg, ulong address) => sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(address)|};
        }
        """,
        Usings + """
        sealed class User
        {
            public void Fill(SgOps ops, HlDevice hdev, Scatterlist sg) => ops.WriteEntry!(sg, hdev.DramPciBarStart);
        }
        """);

    // The table filled where it is declared (a static ops table's initializer, a delegate field's own initializer).
    [Fact]
    public Task OpsTableFilledByInitializers_Reports() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Probe,
        Usings + """
        sealed class FillOps
        {
            public Action<Scatterlist, ulong> WriteEntry = RawOps.WriteRaw;
        }

        static class RawOps
        {
            public static readonly SgOps Table = new() { WriteEntry = WriteOther };

            public static void WriteRaw(Scatterlist sg, ulong address) => sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(address)|};

            static void WriteOther(Scatterlist sg, ulong address) => sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(address + 4096)|};
        }
        """,
        Usings + SgOps + """
        sealed class User
        {
            public void Fill(FillOps ops, HlDevice hdev, Scatterlist sg) => ops.WriteEntry(sg, hdev.DramPciBarStart);

            public void FillStatic(HlDevice hdev, Scatterlist sg) => RawOps.Table.WriteEntry!(sg, hdev.DramPciBarStart);
        }
        """);

    // Only the methods stored into the member called through: one stored into another member, or only called, gets nothing.
    [Fact]
    public Task MethodStoredIntoAnotherDelegateMember_NoDiagnostic() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Probe,
        Usings + SgOps + """
        static class RawOps
        {
            public static void Attach(SgOps ops) => ops.Ignore = WriteRaw;

            public static void WriteRaw(Scatterlist sg, ulong address) => sg.DmaAddress = DmaAddr.FromRaw(address);
        }

        sealed class User
        {
            public void Fill(SgOps ops, HlDevice hdev, Scatterlist sg) => ops.WriteEntry!(sg, hdev.DramPciBarStart);
        }
        """);

    [Fact]
    public Task CycleOfFields_Ends_Reports() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Usings + """
        sealed class Window
        {
            public ulong A;
            public ulong B;

            public void Swap() { ulong t = A; A = B; B = t; }

            public void Set(PciDevice pdev) => A = pdev.Bar(2).CpuStart.Raw;

            public void Use(Scatterlist sg) => sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(B)|};
        }
        """);

    [Fact]
    public Task RecursiveHelper_Ends_Reports() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Usings + """
        sealed class Walker
        {
            public ulong BarOf(PciDevice pdev, int depth) => depth == 0 ? pdev.Bar(0).CpuStart.Raw : BarOf(pdev, depth - 1) + 0x1000;

            public void Use(PciDevice pdev, Scatterlist sg) => sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(BarOf(pdev, 3))|};
        }
        """);

    [Fact]
    public Task OutParameterOfHelperInAnotherClass_Reports() => Run<P2P0002PhysicalAddressAsBusAddressAnalyzer>(
        Usings + """
        static class Windows
        {
            public static bool TryWindow(PciDevice pdev, out ulong cpu)
            {
                cpu = pdev.Bar(2).CpuStart.Raw;
                return true;
            }
        }
        """,
        Usings + """
        sealed class Doorbell
        {
            public PciBusAddr Peer(PciDevice pdev) => Windows.TryWindow(pdev, out ulong cpu) ? {|P2P0002:PciBusAddr.FromRaw(cpu)|} : default;
        }
        """);

    [Fact]
    public Task UnrelatedFieldWithSameName_NoDiagnostic() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Probe,
        Usings + """
        sealed class Other
        {
            public ulong DramPciBarStart;

            public void Use(Scatterlist sg) => sg.DmaAddress = DmaAddr.FromRaw(DramPciBarStart);
        }
        """);

    [Fact]
    public Task TableFilledByHelperHandedEachEntry_Reports() => Run<P2P0003HandBuiltDmaOnlyTableAnalyzer>(
        Probe,
        Usings + """
        sealed class HlDmaBuf : DmaBufOps
        {
            private readonly HlDevice _hdev = new();

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir) => {|P2P0003:AllocSgtFromDevicePages(2)|};

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir) { }

            // alloc_sgt_from_device_pages: each entry handed to set_dma_sg
            private SgTable AllocSgtFromDevicePages(int npages)
            {
                SgTable sgt = SgTable.Alloc(npages);
                for (int i = 0; i < npages; i++)
                {
                    SetDmaSg(sgt[i], _hdev.DramPciBarStart + (ulong)i * 4096, 4096);
                }

                return sgt;
            }

            private static void SetDmaSg(Scatterlist sg, ulong barAddress, ulong chunkSize)
            {
                sg.SetPage(null, chunkSize, 0);
                sg.DmaAddress = DmaAddr.FromRaw(barAddress);
                sg.DmaLength = chunkSize;
            }
        }
        """);

    [Fact]
    public Task TableFilledByHelperHandedTheTable_Reports() => Run<P2P0003HandBuiltDmaOnlyTableAnalyzer>(
        Usings + """
        static class VfioPciDmabuf
        {
            // the 2024 VFIO dma-buf RFC: a helper fills every entry of the table it is handed
            public static DmaError FillSgEntries(SgTable sgt, PciDevice pdev, PciDevice client, DmaDirection dir)
            {
                for (int i = 0; i < sgt.Count; i++)
                {
                    DmaAddr addr = Dma.MapResource(client, pdev.Bar(0).CpuStart + (ulong)i * 4096, 4096, dir);
                    if (Dma.MappingError(client, addr))
                    {
                        return DmaError.NoMemory;
                    }

                    sgt[i].DmaAddress = addr;
                    sgt[i].DmaLength = 4096;
                }

                return DmaError.None;
            }
        }
        """,
        Usings + """
        sealed class VfioExporter : DmaBufOps
        {
            private readonly PciDevice _pdev = null!;

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                SgTable sgt = SgTable.Alloc(4);
                DmaError err = VfioPciDmabuf.FillSgEntries(sgt, _pdev, attach.Device, dir);
                return {|P2P0003:err != DmaError.None ? err : sgt|};
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir) { }
        }
        """);

    [Fact]
    public Task TableHandedToHelperThatOnlyReadsIt_NoDiagnostic() => Run<P2P0003HandBuiltDmaOnlyTableAnalyzer>(
        Usings + """
        sealed class Exporter : DmaBufOps
        {
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                SgTable sgt = SgTable.Alloc(4);
                Dump(sgt);
                return sgt;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir) { }

            private static ulong Dump(SgTable sgt) => sgt[0].DmaLength;
        }
        """);

    [Fact]
    public Task NvmeUnmapDataOfBusAddressInCompletion_Reports() => Run<P2P0013BusAddressUnmappedAnalyzer>(
        Usings + """
        // struct nvme_iod: the per-request state the map path fills and the completion reads.
        sealed class NvmeIod
        {
            public DmaAddr DmaAddr;
            public ulong Len;
            public bool P2PBusAddr;
        }

        static class NvmeMap
        {
            // nvme_map_data: the P2P state machine of blk_dma_map_iter_start, one segment
            public static bool MapData(PciDevice dev, P2PMapState state, Page page, ulong len, NvmeIod iod, DmaDirection dir)
            {
                PhysAddr phys = page.Phys;
                switch (PciP2PDma.State(state, dev, page))
                {
                    case P2PMapType.BusAddr:
                        iod.DmaAddr = PciP2PDma.BusAddrMap(state.Provider!, phys);
                        iod.Len = len;
                        %FLAG%
                        return true;
                    case P2PMapType.ThruHostBridge:
                        iod.DmaAddr = Dma.MapPhys(dev, phys, len, dir, DmaAttrs.Mmio);
                        break;
                    case P2PMapType.None:
                        iod.DmaAddr = Dma.MapPhys(dev, phys, len, dir);
                        break;
                    default:
                        return false;
                }

                iod.Len = len;
                return !Dma.MappingError(dev, iod.DmaAddr);
            }
        }
        """.Replace("%FLAG%", ""),
        Usings + """
        static class NvmeCompletion
        {
            // nvme_unmap_data before IOD_P2P_BUS_ADDR: every segment unmapped
            public static void UnmapData(PciDevice dev, NvmeIod iod, DmaDirection dir) =>
                {|P2P0013:Dma.UnmapPhys(dev, iod.DmaAddr, iod.Len, dir)|};
        }
        """);

    [Fact]
    public Task NvmeUnmapDataGuardedByIodP2PBusAddr_NoDiagnostic() => Run<P2P0013BusAddressUnmappedAnalyzer>(
        Usings + """
        // struct nvme_iod: the per-request state the map path fills and the completion reads.
        sealed class NvmeIod
        {
            public DmaAddr DmaAddr;
            public ulong Len;
            public bool P2PBusAddr;
        }

        static class NvmeMap
        {
            // nvme_map_data: the P2P state machine of blk_dma_map_iter_start, one segment
            public static bool MapData(PciDevice dev, P2PMapState state, Page page, ulong len, NvmeIod iod, DmaDirection dir)
            {
                PhysAddr phys = page.Phys;
                switch (PciP2PDma.State(state, dev, page))
                {
                    case P2PMapType.BusAddr:
                        iod.DmaAddr = PciP2PDma.BusAddrMap(state.Provider!, phys);
                        iod.Len = len;
                        %FLAG%
                        return true;
                    case P2PMapType.ThruHostBridge:
                        iod.DmaAddr = Dma.MapPhys(dev, phys, len, dir, DmaAttrs.Mmio);
                        break;
                    case P2PMapType.None:
                        iod.DmaAddr = Dma.MapPhys(dev, phys, len, dir);
                        break;
                    default:
                        return false;
                }

                iod.Len = len;
                return !Dma.MappingError(dev, iod.DmaAddr);
            }
        }
        """.Replace("%FLAG%", "iod.P2PBusAddr = true;"),
        Usings + """
        static class NvmeCompletion
        {
            // nvme_unmap_data: if (!(iod->flags & IOD_P2P_BUS_ADDR)) dma_unmap_phys(...)
            public static void UnmapData(PciDevice dev, NvmeIod iod, DmaDirection dir)
            {
                if (!iod.P2PBusAddr)
                {
                    Dma.UnmapPhys(dev, iod.DmaAddr, iod.Len, dir);
                }
            }
        }
        """);

    [Fact]
    public Task DistanceVerdictInALocalBool_Reports() => Run<P2P0011DistanceAsMappingDecisionAnalyzer>(
        Usings + """
        static class Peer
        {
            public static DmaAddr Map(PciDevice client, PciDevice owner, PhysAddr phys)
            {
                bool p2p = PciP2PDma.Distance(owner, client) >= 0;
                if ({|P2P0011:p2p|})
                {
                    return Dma.MapResource(client, phys, 4096, DmaDirection.ToDevice, DmaAttrs.Mmio);
                }

                return DmaAddr.MappingError;
            }
        }
        """);

    [Fact]
    public Task DistanceVerdictInAFieldSetAtAttach_Reports() => Run<P2P0011DistanceAsMappingDecisionAnalyzer>(
        Usings + """
        sealed class VfioAttachment
        {
            public PciDevice Client = null!;
            public bool PeerToPeer;
        }

        static class VfioAttach
        {
            // attach: the distance is asked once, its verdict kept
            public static void Attach(PciDevice owner, VfioAttachment attach) =>
                attach.PeerToPeer = PciP2PDma.Distance(owner, attach.Client) >= 0;
        }
        """,
        Usings + """
        static class VfioMap
        {
            // map: the kept verdict decides how to map
            public static DmaAddr Map(VfioAttachment attach, PciDevice owner)
            {
                if (!{|P2P0011:attach.PeerToPeer|})
                {
                    return DmaAddr.MappingError;
                }

                return Dma.MapResource(attach.Client, owner.Bar(0).CpuStart, 4096, DmaDirection.ToDevice, DmaAttrs.Mmio);
            }
        }
        """);

    [Fact]
    public Task DistanceVerdictThenMapP2P_NoDiagnostic() => Run<P2P0011DistanceAsMappingDecisionAnalyzer>(
        Usings + """
        static class Peer
        {
            public static DmaAddr Map(PciDevice client, P2PProvider provider, PhysAddr phys)
            {
                bool p2p = PciP2PDma.Distance(provider.Owner, client) >= 0;
                if (!p2p)
                {
                    return DmaAddr.MappingError;
                }

                P2PDmaMapping mapping = Dma.MapP2P(client, provider, phys, 4096, DmaDirection.ToDevice);
                return mapping.Failed ? DmaAddr.MappingError : mapping.Address;
            }
        }
        """);

    [Fact]
    public Task BoolThatIsNotADistanceVerdict_NoDiagnostic() => Run<P2P0011DistanceAsMappingDecisionAnalyzer>(
        Usings + """
        static class Peer
        {
            public static DmaAddr Map(PciDevice client, PhysAddr phys, bool enabled)
            {
                int d = PciP2PDma.Distance(client, client);
                bool near = d < 4;
                if (near && enabled)
                {
                    return Dma.MapResource(client, phys, 4096, DmaDirection.ToDevice, DmaAttrs.Mmio);
                }

                return DmaAddr.MappingError;
            }
        }
        """);

    [Fact]
    public Task ArrayFieldFilledAtProbe_Reports() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Usings + """
        sealed class NtbDev
        {
            // ntb's per-window outbound physical addresses, one per memory window
            public readonly ulong[] OutPhysAddr = new ulong[4];

            public void Setup(PciDevice pdev)
            {
                for (int i = 0; i < OutPhysAddr.Length; i++)
                {
                    OutPhysAddr[i] = pdev.Bar(2).CpuStart.Raw + (ulong)i * 0x100000;
                }
            }
        }
        """,
        Usings + """
        static class NtbCopy
        {
            public static void Chunk(NtbDev ntb, Scatterlist sg, int window) => sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(ntb.OutPhysAddr[window])|};
        }
        """);

    [Fact]
    public Task ListFieldAddedToAtProbe_Reports() => Run<P2P0010PeerMemoryMappedWithoutMapTypeAnalyzer>(
        Usings + """
        sealed class Apertures
        {
            public readonly List<PhysAddr> Bars = new();

            public void Probe(PciDevice pdev) => Bars.Add(pdev.Bar(0).CpuStart);

            public DmaAddr Map(PciDevice client, int i) => {|P2P0010:Dma.MapResource(client, Bars[i], 4096, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
        }
        """);

    [Fact]
    public Task ListFieldOfMappedAddresses_NoDiagnostic() => Run<P2P0001PhysicalAddressAsDmaAddressAnalyzer>(
        Usings + """
        sealed class Ring
        {
            public readonly List<ulong> Slots = new();

            public void Fill(PciDevice pdev, PciDevice client) =>
                Slots.Add(Dma.MapResource(client, pdev.Bar(0).CpuStart, 4096, DmaDirection.ToDevice, DmaAttrs.Mmio).Raw);

            public void Use(Scatterlist sg) => sg.DmaAddress = DmaAddr.FromRaw(Slots[0]);
        }
        """);

    [Fact]
    public Task TableBuiltAtExportKeptInAField_Reports() => Run<P2P0003HandBuiltDmaOnlyTableAnalyzer>(
        Probe,
        Usings + """
        // The first habanalabs P2P exporter: the table is built when the buffer is exported and kept in the dma-buf
        // object; the map callback returns &hl_dmabuf->sgt.
        sealed class HlDmaBuf : DmaBufOps
        {
            private SgTable _sgt = null!;

            public void Export(HlDevice hdev, ulong size)
            {
                _sgt = SgTable.Alloc(1);
                _sgt[0].SetPage(null, size, 0);
                _sgt[0].DmaAddress = DmaAddr.FromRaw(hdev.DramPciBarStart);
                _sgt[0].DmaLength = size;
            }

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir) => {|P2P0003:_sgt|};

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir) { }
        }
        """);

    [Fact]
    public Task TableOfRealPagesKeptInAField_NoDiagnostic() => Run<P2P0003HandBuiltDmaOnlyTableAnalyzer>(
        Usings + """
        sealed class SysmemDmaBuf : DmaBufOps
        {
            private SgTable _sgt = null!;

            public void Export(SgTable pages) => _sgt = pages;

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                DmaError err = Dma.MapSgTable(attach.Device, _sgt, dir);
                return err != DmaError.None ? err : _sgt;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir) => Dma.UnmapSgTable(attach.Device, table, dir);
        }
        """);

    [Fact]
    public Task SkipCpuSyncKeptInAField_Reports() => Run<P2P0014SkipCpuSyncForMmioAnalyzer>(
        Usings + """
        sealed class KfdMem
        {
            // the attributes the SG BO is mapped and unmapped with, chosen once
            private readonly DmaAttrs _attrs = DmaAttrs.SkipCpuSync;

            public DmaAddr MapSgBo(PciDevice client, PhysAddr mmio) => Dma.MapResource(client, mmio, 4096, DmaDirection.Bidirectional, {|P2P0014:_attrs|});

            public void UnmapSgBo(PciDevice client, DmaAddr addr) => Dma.UnmapResource(client, addr, 4096, DmaDirection.Bidirectional, {|P2P0014:_attrs|});
        }
        """);

    [Fact]
    public async Task PermutedFiles_SameDiagnostics()
    {
        string[] files =
        {
            Probe,
            Usings + "sealed class A { public void M(HlDevice h, Scatterlist sg) => sg.DmaAddress = DmaAddr.FromRaw(h.DramPciBarStart); }",
            Usings + "sealed class B { public DmaAddr M(HlDevice h, PciDevice c) => Dma.MapResource(c, h.AperBase, 4096, DmaDirection.ToDevice, DmaAttrs.SkipCpuSync); }",
        };
        string Render(IEnumerable<Diagnostic> ds) => string.Join("\n", ds
            .Select(d => $"{Path.GetFileName(d.Location.SourceTree?.FilePath)}:{d.Location.SourceSpan} {d.Id} {d.GetMessage()} +{string.Join(",", d.AdditionalLocations.Select(l => Path.GetFileName(l.SourceTree?.FilePath) + l.SourceSpan))}")
            .OrderBy(s => s, StringComparer.Ordinal));

        string expected = Render(await AllAnalyzers.RunAsync(AllAnalyzers.Compile(files)));
        Assert.Contains("P2P0001", expected);
        Assert.Contains("P2P0010", expected);
        int[][] orders = { new[] { 2, 1, 0 }, new[] { 1, 2, 0 }, new[] { 0, 2, 1 } };
        foreach (int[] order in orders)
        {
            // Same paths, other order: the compilation's tree order must not matter.
            var trees = order.Select(i => Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(files[i], path: $"/0/Test{i}.cs"));
            var compilation = AllAnalyzers.Compile().AddSyntaxTrees(trees);
            Assert.Equal(expected, Render(await AllAnalyzers.RunAsync(compilation)));
        }
    }

    /// <summary>
    /// Compiles the files (markup removed) with the library, runs <typeparamref name="TAnalyzer"/>, and compares where
    /// it reports with the markup (<c>{|P2P0001:...|}</c>). Additional locations (the hops) are checked by each rule's
    /// message tests; here only where and whether.
    /// </summary>
    internal static async Task Run<TAnalyzer>(params string[] files)
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var expected = new List<string>();
        var sources = new List<string>();
        for (int i = 0; i < files.Length; i++)
        {
            TestFileMarkupParser.GetSpans(files[i], out string source, out System.Collections.Immutable.ImmutableDictionary<string, System.Collections.Immutable.ImmutableArray<Microsoft.CodeAnalysis.Text.TextSpan>> spans);
            sources.Add(source);
            expected.AddRange(spans.SelectMany(kv => kv.Value.Select(span => $"Test{i}.cs{span} {kv.Key}")));
        }

        var compilation = AllAnalyzers.Compile(sources.ToArray());
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(System.Collections.Immutable.ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: true, logAnalyzerExecutionTime: false);
        var diagnostics = await compilation.WithAnalyzers(System.Collections.Immutable.ImmutableArray.Create<DiagnosticAnalyzer>(new TAnalyzer()), options)
            .GetAnalyzerDiagnosticsAsync();
        var actual = diagnostics.Select(d => $"{Path.GetFileName(d.Location.SourceTree!.FilePath)}{d.Location.SourceSpan} {d.Id}");
        Assert.Equal(expected.OrderBy(x => x, StringComparer.Ordinal), actual.OrderBy(x => x, StringComparer.Ordinal));
    }
}
