using P2PAnalyzers.Rules;
using P2PAnalyzers.Tests.Infrastructure;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0001PhysicalAddressAsDmaAddressAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0001 on the driver habits it names (p2pdma-semantics.md section 4) and on the proper API, mapped values,
/// unrelated arithmetic and look-alike names it must leave alone. Flow cases are in <see cref="P2P0001FlowTests"/>.
/// </summary>
public sealed class P2P0001Tests
{
    // Five lines: the test code starts on line 6.
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;
        using P2PDma.P2P;
        using P2PDma.Memory;

        """;

    // ---- Positive: the habits ----

    [Fact]
    public Task HabanalabsRawBarAddressInTable_Reports() => Verifier.Analyzer(Usings + """
        class HabanaExporter
        {
            // habanalabs 2021: sg_dma_address(sg) = bar_address; page NULL, nothing mapped.
            void Fill(PciDevice pdev, Scatterlist sg, ulong offset, ulong size)
            {
                ulong barAddress = pdev.Bar(4).CpuStart.Raw + offset;
                sg.SetPage(null, 0, 0);
                sg.DmaAddress = {|#0:DmaAddr.FromRaw(barAddress)|};
                sg.DmaLength = size;
            }
        }
        """,
        Verifier.Diagnostic("P2P0001").WithLocation(0).WithArguments("barAddress", "PciBar.CpuStart", "stored as a scatterlist entry's DMA address"));

    [Fact]
    public Task HabanalabsAllocSgtFromDevicePages_Reports() => Verifier.Analyzer(Usings + """
        class HlDevice
        {
            // gaudi_early_init: hdev->dram_pci_bar_start = pci_resource_start(pdev, HBM_BAR_ID);
            [CpuPhysicalAddress] public ulong DramPciBarStart;
            public ulong DramBaseAddress;
        }

        class HabanaMemory
        {
            // alloc_sgt_from_device_pages (drivers/misc/habanalabs/common/memory.c, 2021 dma-buf exporter patch)
            SgTable AllocSgtFromDevicePages(HlDevice hdev, ulong[] pages, ulong pageSize)
            {
                SgTable sgt = SgTable.Alloc(pages.Length);
                int curPage = 0;
                foreach (Scatterlist sg in sgt)
                {
                    ulong barAddress = hdev.DramPciBarStart + (pages[curPage] - hdev.DramBaseAddress);
                    sg.SetPage(null, pageSize, 0);
                    sg.DmaAddress = {|#0:DmaAddr.FromRaw(barAddress)|};
                    sg.DmaLength = pageSize;
                    curPage++;
                }

                return sgt;
            }
        }
        """,
        Verifier.Diagnostic("P2P0001").WithLocation(0)
            .WithArguments("barAddress", "field 'DramPciBarStart' is [CpuPhysicalAddress]", "stored as a scatterlist entry's DMA address"));

    [Fact]
    public Task RegisterWrapperWritesDescriptorFromVirtToPhys_Reports() => Verifier.Analyzer(Usings + """
        sealed class DmaEngineRegs
        {
            public void WriteDescriptorBase([DmaAddress] ulong address) { }
        }

        class OldStyleDriver
        {
            // writel(virt_to_phys(ring), regs + DESC_BASE): the device gets the CPU physical address of the ring.
            void Start(DmaEngineRegs regs, KernelBuffer ring)
            {
                regs.WriteDescriptorBase({|#0:ring.VirtToPhys(0).Raw|});
            }
        }
        """,
        Verifier.Diagnostic("P2P0001").WithLocation(0)
            .WithArguments("ring.VirtToPhys(0).Raw", "KernelBuffer.VirtToPhys", "parameter 'address' of WriteDescriptorBase is [DmaAddress]"));

    [Fact]
    public Task PageToPhysGivenToDevice_Reports() => Verifier.Analyzer(Usings + """
        class Driver
        {
            // page_to_phys(page) where dma_map_page() belongs.
            DmaAddr Program(Page page)
            {
                return {|#0:DmaAddr.FromRaw(page.Phys.Raw)|};
            }
        }
        """,
        Verifier.Diagnostic("P2P0001").WithLocation(0).WithArguments("page.Phys.Raw", "Page.Phys", "DmaAddr.FromRaw"));

    [Fact]
    public Task TypedPhysAddrParameterRaw_Reports() => Verifier.Analyzer(Usings + """
        class Driver
        {
            void Program(Scatterlist sg, PhysAddr phys)
            {
                sg.DmaAddress = {|#0:DmaAddr.FromRaw(phys.Raw)|};
            }
        }
        """,
        Verifier.Diagnostic("P2P0001").WithLocation(0).WithArguments("phys.Raw", "PhysAddr.Raw", "stored as a scatterlist entry's DMA address"));

    [Fact]
    public Task SgPhysInsteadOfSgDmaAddress_Reports() => Verifier.Analyzer(Usings + """
        sealed class Ring
        {
            public void Post([DmaAddress] ulong address, ulong length) { }
        }

        class BlockDriver
        {
            // sg_phys(sg) programmed where sg_dma_address(sg) belongs, after a correct dma_map_sgtable().
            void Submit(PciDevice dev, Ring ring, SgTable table)
            {
                if (Dma.MapSgTable(dev, table, DmaDirection.ToDevice) != DmaError.None) return;
                foreach (Scatterlist sg in table.DmaSegments)
                {
                    ring.Post({|P2P0001:sg.Phys.Raw|}, sg.DmaLength);
                }
            }
        }
        """);

    [Fact]
    public Task KernelBufferPhysIntoAnnotatedProperty_Reports() => Verifier.Analyzer(Usings + """
        sealed class Descriptor
        {
            [DmaAddress] public ulong Address { get; set; }
            public uint Length { get; set; }
        }

        class NicDriver
        {
            void Fill(Descriptor desc, KernelBuffer buf)
            {
                desc.Address = {|#0:buf.Phys.Raw|};
                desc.Length = 64;
            }
        }
        """,
        Verifier.Diagnostic("P2P0001").WithLocation(0).WithArguments("buf.Phys.Raw", "KernelBuffer.Phys", "property 'Address' is [DmaAddress]"));

    [Fact]
    public Task PeerBarRangeStartAsDmaAddress_Reports() => Verifier.Analyzer(Usings + """
        class Driver
        {
            void Program(PciDevice peer, Scatterlist sg, ulong offset)
            {
                PhysRange window = peer.Bar(2).CpuRange;
                sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(window.Start.Raw + offset)|};
            }
        }
        """);

    [Fact]
    public Task ProviderBarTypedArithmetic_Reports() => Verifier.Analyzer(Usings + """
        class Driver
        {
            void Program(P2PProvider provider, Scatterlist sg, ulong offset)
            {
                PhysAddr phys = provider.Bar.CpuStart + offset;
                sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(phys.Raw)|};
            }
        }
        """);

    [Fact]
    public Task ConstructorAndInitializerOfAnnotatedDescriptor_Report() => Verifier.Analyzer(Usings + """
        sealed class RingEntry
        {
            public RingEntry([DmaAddress] ulong address, uint length) { Address = address; }
            [DmaAddress] public ulong Address;
        }

        sealed class Doorbell
        {
            [DmaAddress] public ulong Target { get; init; }
        }

        class Driver
        {
            void Build(KernelBuffer buf, Page page)
            {
                var entry = new RingEntry({|P2P0001:buf.VirtToPhys(0x40).Raw|}, 64);
                var bell = new Doorbell { Target = {|P2P0001:page.Phys.Raw|} };
            }
        }
        """);

    [Fact]
    public Task AnnotatedReturnOfPhysicalAddress_Reports() => Verifier.Analyzer(Usings + """
        class Driver
        {
            // A helper a port "annotated" as returning a DMA address, but it computes the CPU address.
            [return: DmaAddress]
            static ulong QueueDmaBase(PciBar cmb, ulong offset) => {|#0:cmb.CpuStart.Raw + offset|};
        }
        """,
        Verifier.Diagnostic("P2P0001").WithLocation(0).WithArguments("cmb.CpuStart.Raw + offset", "PciBar.CpuStart", "QueueDmaBase returns [DmaAddress]"));

    // ---- Negative: the proper API and mapped values ----

    [Fact]
    public Task MappedAddress_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            DmaAddr Map(PciDevice dev, PciDevice peer, ulong size)
            {
                ulong addr = peer.Bar(0).CpuStart.Raw;
                addr = Dma.MapResource(dev, PhysAddr.FromRaw(addr), size, DmaDirection.ToDevice).Raw;
                return DmaAddr.FromRaw(addr);
            }
        }
        """);

    [Fact]
    public Task MappedThroughMapP2P_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaError Fill(PciDevice client, P2PProvider provider, Scatterlist sg, ulong offset, ulong size)
            {
                PhysAddr phys = provider.Bar.CpuStart + offset;
                P2PDmaMapping mapping = Dma.MapP2P(client, provider, phys, size, DmaDirection.ToDevice);
                if (mapping.Failed) return mapping.Error;
                sg.DmaAddress = mapping.Address;
                sg.DmaAddress = DmaAddr.FromRaw(mapping.Address.Raw);
                sg.DmaLength = size;
                return DmaError.None;
            }
        }
        """);

    [Fact]
    public Task RamMappedThroughMapPhysWithErrorCheck_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class DmaEngineRegs
        {
            public void WriteDescriptorBase([DmaAddress] ulong address) { }
        }

        class Driver
        {
            void Start(PciDevice dev, DmaEngineRegs regs, KernelBuffer ring)
            {
                DmaAddr addr = Dma.MapPhys(dev, ring.VirtToPhys(0), ring.Size, DmaDirection.Bidirectional);
                if (Dma.MappingError(dev, addr)) return;
                regs.WriteDescriptorBase(addr.Raw);
            }
        }
        """);

    [Fact]
    public Task MapPageAndMapSingleResults_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            void Map(PciDevice dev, Page page, KernelBuffer buf, Scatterlist sg)
            {
                DmaAddr a = Dma.MapPage(dev, page, 0, 4096, DmaDirection.FromDevice);
                if (Dma.MappingError(dev, a)) return;
                DmaAddr b = Dma.MapSingle(dev, buf, 0, 64, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, b)) return;
                sg.DmaAddress = DmaAddr.FromRaw(a.Raw + 0x80);
                sg.DmaAddress = DmaAddr.FromRaw(b.Raw | 1);
            }
        }
        """);

    [Fact]
    public Task AmdgpuMapResourceResultStored_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class AmdgpuVramMgr
        {
            // amdgpu_vram_mgr_alloc_sgt: the address is mapped (wrongly for P2P, which P2P0010 reports), not raw.
            void Fill(PciDevice importer, PhysAddr phys, Scatterlist sg, ulong size)
            {
                DmaAddr addr = Dma.MapResource(importer, phys, size, DmaDirection.Bidirectional, DmaAttrs.SkipCpuSync);
                if (Dma.MappingError(importer, addr)) return;
                sg.SetPage(null, size, 0);
                sg.DmaAddress = DmaAddr.FromRaw(addr.Raw);
                sg.DmaLength = size;
            }
        }
        """);

    [Fact]
    public Task BusAddrMapForSwitchLocalPeer_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            void Fill(P2PProvider provider, PhysAddr phys, Scatterlist sg)
            {
                DmaAddr bus = PciP2PDma.BusAddrMap(provider, phys);
                sg.DmaAddress = DmaAddr.FromRaw(bus.Raw);
                sg.MarkBusAddress();
            }
        }
        """);

    [Fact]
    public Task MappedPagePlusOffsetInPage_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            // dma_map_page() of the page, plus offset_in_page(phys): a DMA address.
            void Fill(PciDevice dev, SystemMemory memory, PhysAddr phys, Scatterlist sg)
            {
                Page page = memory.PhysToPage(phys);
                DmaAddr pageDma = Dma.MapPage(dev, page, 0, 4096, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, pageDma)) return;
                sg.DmaAddress = DmaAddr.FromRaw(pageDma.Raw + (phys.Raw & 0xFFF));
                sg.DmaAddress = DmaAddr.FromRaw(pageDma.Raw + phys.PageOffset);
            }
        }
        """);

    [Fact]
    public Task UnrelatedUlongArithmetic_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class DmaEngineRegs
        {
            public void WriteDescriptorBase([DmaAddress] ulong address) { }
        }

        class Driver
        {
            void M(PciBar bar, KernelBuffer buf, Scatterlist sg, DmaEngineRegs regs, int index, ulong hash, ulong seed)
            {
                var a = DmaAddr.FromRaw(0);
                var b = DmaAddr.FromRaw(0xFEE0_0000);
                var c = DmaAddr.FromRaw(bar.Size);
                var d = DmaAddr.FromRaw((ulong)index * Paging.PageSize);
                var e = DmaAddr.FromRaw(Paging.AlignUp(buf.Size));
                var f = DmaAddr.FromRaw(hash ^ seed);
                var g = DmaAddr.FromRaw((ulong)sg.Index << Paging.PageShift);
                regs.WriteDescriptorBase(buf.Size);
                regs.WriteDescriptorBase(sg.DmaLength);
            }
        }
        """);

    [Fact]
    public Task BusAddressesAreNotThisRule_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            // Bus addresses used as DMA addresses without a map-type decision are other rules' business.
            void M(PciBar bar, PhysAddr phys, Scatterlist sg, ulong offset)
            {
                sg.DmaAddress = DmaAddr.FromRaw(bar.BusAddressOf(phys).Raw);
                sg.DmaAddress = DmaAddr.FromRaw(bar.BusStart.Raw + offset);
            }
        }
        """);

    [Fact]
    public Task PhysicalAddressUsedAsPhysical_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Hw
        {
            [CpuPhysicalAddress] ulong _aperture;
            ulong _lastSeen;

            static void ReserveRange([CpuPhysicalAddress] ulong start, ulong size) { }

            void M(PciBar bar, Page page, SystemMemory memory, ulong offset)
            {
                PhysAddr phys = PhysAddr.FromRaw(bar.CpuStart.Raw + offset);
                Page p = memory.PhysToPage(page.Phys);
                _aperture = bar.CpuStart.Raw;
                _lastSeen = page.Phys.Raw;
                ReserveRange(page.Phys.Raw, 4096);
                System.Console.WriteLine(phys.Raw);
            }
        }
        """);

    [Fact]
    public Task PhysicalAsBusAddressIsNotThisRule_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            PciBusAddr M(PciBar bar) => PciBusAddr.FromRaw(bar.CpuStart.Raw);
        }
        """);

    [Fact]
    public Task IovaLinkedRangeAddress_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            // The two-step IOVA API (blk_dma_map_iter_start's THRU_HOST_BRIDGE path): the device gets state.Addr + offset.
            void Map(PciDevice dev, PhysAddr phys, ulong size, Scatterlist sg)
            {
                var state = new DmaIovaState();
                if (!Dma.IovaTryAlloc(dev, state, phys, size)) return;
                if (Dma.IovaLink(dev, state, phys, 0, size, DmaDirection.ToDevice, DmaAttrs.Mmio) != DmaError.None) return;
                if (Dma.IovaSync(dev, state, 0, size) != DmaError.None) return;
                sg.DmaAddress = DmaAddr.FromRaw(state.Addr.Raw + (phys.Raw & 0xFFF));
            }
        }
        """);

    [Fact]
    public Task ImporterProgramsSegmentDmaAddresses_NoDiagnostic() => Verifier.Analyzer(Usings + """
        using P2PDma.DmaBuf;

        sealed class Ring
        {
            public void Post([DmaAddress] ulong address, ulong length) { }
        }

        class Importer
        {
            void Import(DmaBufAttachment attach, Ring ring)
            {
                DmaResult<SgTable> mapped = attach.Map(DmaDirection.ToDevice);
                if (mapped.Failed) return;
                foreach (Scatterlist sg in mapped.Value.DmaSegments)
                    ring.Post(sg.DmaAddress.Raw, sg.DmaLength);
                ring.Post(mapped.Value[0].DmaAddress.Raw + 0x200, 0x200);
            }
        }
        """);

    [Fact]
    public Task MappingErrorSentinel_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            [DmaAddress] ulong _lastMapped;

            void Fail(Scatterlist sg)
            {
                sg.DmaAddress = DmaAddr.MappingError;
                sg.DmaAddress = DmaAddr.FromRaw(DmaAddr.MappingError.Raw);
                _lastMapped = DmaAddr.MappingError.Raw;
            }
        }
        """);

    // ---- Negative: look-alikes from other namespaces ----

    [Fact]
    public Task LookAlikeDmaAddrInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Fake
        {
            struct DmaAddr { public static DmaAddr FromRaw(ulong x) => default; }
            sealed class Scatterlist { public DmaAddr DmaAddress { get; set; } }
        }

        class Driver
        {
            void M(PciBar bar, Fake.Scatterlist sg, KernelBuffer buf)
            {
                sg.DmaAddress = Fake.DmaAddr.FromRaw(bar.CpuStart.Raw);
                var d = Fake.DmaAddr.FromRaw(buf.VirtToPhys(0).Raw);
            }
        }
        """);

    [Fact]
    public Task LookAlikeSourcesInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Fake
        {
            sealed class PciBar { public ulong CpuStart => 0; public ulong BusStart => 0; }
            sealed class Page { public ulong Phys => 0; public ulong Pfn => 0; }
            sealed class KernelBuffer { public ulong Phys => 0; public ulong VirtToPhys(ulong offset) => offset; }
            sealed class Scatterlist { public ulong Phys => 0; }
        }

        class Driver
        {
            void M(Fake.PciBar bar, Fake.Page page, Fake.KernelBuffer buf, Fake.Scatterlist entry, Scatterlist sg)
            {
                sg.DmaAddress = DmaAddr.FromRaw(bar.CpuStart + 0x1000);
                sg.DmaAddress = DmaAddr.FromRaw(page.Phys);
                sg.DmaAddress = DmaAddr.FromRaw(page.Pfn << Paging.PageShift);
                sg.DmaAddress = DmaAddr.FromRaw(buf.Phys);
                sg.DmaAddress = DmaAddr.FromRaw(buf.VirtToPhys(0));
                sg.DmaAddress = DmaAddr.FromRaw(entry.Phys);
            }
        }
        """);

    [Fact]
    public Task LookAlikeAttributesInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Fake.Addresses
        {
            [System.AttributeUsage(System.AttributeTargets.All)] sealed class CpuPhysicalAddressAttribute : System.Attribute { }
            [System.AttributeUsage(System.AttributeTargets.All)] sealed class DmaAddressAttribute : System.Attribute { }
        }

        class Hw
        {
            [Fake.Addresses.CpuPhysicalAddress] ulong _base;

            static void WriteFake([Fake.Addresses.DmaAddress] ulong address) { }

            [return: Fake.Addresses.DmaAddress]
            static ulong Translate(ulong x) => x;

            void M(PciBar bar, [Fake.Addresses.CpuPhysicalAddress] ulong phys)
            {
                var a = DmaAddr.FromRaw(phys);
                var b = DmaAddr.FromRaw(_base + 0x100);
                WriteFake(bar.CpuStart.Raw);
            }

            [return: Fake.Addresses.DmaAddress]
            ulong Back(PciBar bar) => bar.CpuStart.Raw;
        }
        """);
}
