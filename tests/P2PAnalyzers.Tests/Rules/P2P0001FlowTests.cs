using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0001PhysicalAddressAsDmaAddressAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>P2P0001 follows values the way a reviewer would: through locals, arithmetic, branches, loops, fields, lambdas and local functions.</summary>
public sealed class P2P0001FlowTests
{
    private const string Usings = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;
        using P2PDma.Memory;
        using P2PDma.P2P;

        """;

    [Fact]
    public Task ArithmeticAndBitOperations_KeepTheAddress() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, ulong offset, int i)
            {
                ulong a = bar.CpuStart.Raw;
                ulong b = (a + offset) & ~0xFFFUL;
                b |= 1;
                b += (ulong)i * 4096;
                var d = {|P2P0001:DmaAddr.FromRaw(b)|};
            }
        }
        """);

    [Fact]
    public Task OffsetMaskAndDifference_AreNotAddresses() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, PhysAddr p)
            {
                ulong pageOffset = bar.CpuStart.Raw & 0xFFF;
                ulong distance = p.Raw - bar.CpuStart.Raw;
                ulong typedDistance = p - bar.CpuStart;
                var a = DmaAddr.FromRaw(pageOffset);
                var b = DmaAddr.FromRaw(distance);
                var c = DmaAddr.FromRaw(typedDistance);
            }
        }
        """);

    [Fact]
    public Task PageFrameNumberShiftedBack_IsAnAddress() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(Page page)
            {
                ulong pfn = page.Pfn;
                var d = {|P2P0001:DmaAddr.FromRaw(pfn << Paging.PageShift)|};
                var e = DmaAddr.FromRaw(pfn);
            }
        }
        """);

    [Fact]
    public Task OneBranchAssignsPhysical_Reports() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciDevice dev, PciBar bar, bool p2p, ulong size)
            {
                ulong addr;
                if (p2p)
                    addr = bar.CpuStart.Raw;
                else
                    addr = Dma.MapPhys(dev, bar.CpuStart, size, DmaDirection.ToDevice).Raw;
                var d = {|P2P0001:DmaAddr.FromRaw(addr)|};
            }
        }
        """);

    [Fact]
    public Task TernaryAndLoop_Report() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, Scatterlist[] entries, bool flag)
            {
                ulong addr = flag ? bar.CpuStart.Raw : 0UL;
                for (int i = 0; i < entries.Length; i++)
                {
                    entries[i].DmaAddress = {|P2P0001:DmaAddr.FromRaw(addr)|};
                    addr += 4096;
                }
            }
        }
        """);

    [Fact]
    public Task ReassignedAfterMapping_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciDevice dev, PciBar bar, ulong size)
            {
                ulong addr = bar.CpuStart.Raw;
                while (true)
                {
                    addr = Dma.MapResource(dev, PhysAddr.FromRaw(addr), size, DmaDirection.ToDevice).Raw;
                    var d = DmaAddr.FromRaw(addr);
                    break;
                }
            }
        }
        """);

    [Fact]
    public Task StructAndTupleFields_Report() => Verifier.Analyzer(Usings + """
        struct Descriptor { public ulong Addr; public ulong Len; }

        class C
        {
            void M(PciBar bar, KernelBuffer buf)
            {
                Descriptor desc;
                desc.Addr = bar.CpuStart.Raw;
                desc.Len = 64;
                var copy = desc;
                var a = {|P2P0001:DmaAddr.FromRaw(copy.Addr)|};
                var b = DmaAddr.FromRaw(copy.Len);

                var pair = (addr: buf.VirtToPhys(0).Raw, len: 64UL);
                var c = {|P2P0001:DmaAddr.FromRaw(pair.addr)|};
                var (x, y) = pair;
                var e = {|P2P0001:DmaAddr.FromRaw(x)|};
                var f = DmaAddr.FromRaw(y);
            }
        }
        """);

    [Fact]
    public Task LambdaAndLocalFunction_Report() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, Scatterlist sg)
            {
                ulong addr = bar.CpuStart.Raw;
                Action fill = () => sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(addr)|};
                fill();
                Store(addr);
                var viaReturn = {|P2P0001:DmaAddr.FromRaw(Start())|};

                void Store(ulong value) => sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(value)|};
                ulong Start() => bar.CpuStart.Raw;
            }
        }
        """);

    [Fact]
    public Task AcrossMethodsThroughAttributes_Report() => Verifier.Analyzer(Usings + """
        class Hw
        {
            [CpuPhysicalAddress] ulong _doorbell;

            [return: CpuPhysicalAddress]
            static ulong BarBase(PciBar bar) => bar.CpuStart.Raw;

            static void WriteDescriptor([DmaAddress] ulong address, uint length) { }

            [return: DmaAddress]
            ulong Dma([CpuPhysicalAddress] ulong phys) => {|P2P0001:phys|};

            void M(PciBar bar)
            {
                WriteDescriptor({|P2P0001:BarBase(bar) + 0x100|}, 64);
                WriteDescriptor({|P2P0001:_doorbell|}, 4);
            }
        }
        """);

    [Fact]
    public Task AnnotatedDmaValues_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Hw
        {
            static void WriteDescriptor([DmaAddress] ulong address, uint length) { }

            void M(PciDevice dev, KernelBuffer buf, [DmaAddress] ulong already)
            {
                DmaAddr mapped = Dma.MapSingle(dev, buf, 0, 64, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, mapped)) return;
                WriteDescriptor(mapped.Raw, 64);
                WriteDescriptor(already, 64);
                WriteDescriptor(0x1000, 64);
            }
        }
        """);

    [Fact]
    public Task CompoundAssignments_KeepOrDropTheAddress() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, PhysAddr other, Page page, ulong size)
            {
                ulong a = bar.CpuStart.Raw;
                a += size;
                var d1 = {|P2P0001:DmaAddr.FromRaw(a)|};

                ulong b = bar.CpuStart.Raw;
                b -= other.Raw; // the distance between two addresses
                var d2 = DmaAddr.FromRaw(b);

                ulong c = bar.CpuStart.Raw;
                c &= 0xFFF; // the offset within the page
                var d3 = DmaAddr.FromRaw(c);

                ulong pfn = page.Pfn;
                pfn <<= Paging.PageShift;
                var d4 = {|P2P0001:DmaAddr.FromRaw(pfn)|};

                ulong e = bar.CpuStart.Raw;
                e |= 0x8000_0000_0000_0000;
                var d5 = {|P2P0001:DmaAddr.FromRaw(e)|};
            }
        }
        """);

    [Fact]
    public Task MasksBelowOneMebibyteAreOffsets_LargerMasksKeepTheAddress() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, ulong dmaMask)
            {
                ulong a = bar.CpuStart.Raw;
                var offset = DmaAddr.FromRaw(a & 0xF_FFFF);
                var aligned = {|P2P0001:DmaAddr.FromRaw(a & ~0xF_FFFFUL)|};
                var truncated = {|P2P0001:DmaAddr.FromRaw(a & 0xFFFF_FFFF)|};
                var masked = {|P2P0001:DmaAddr.FromRaw(a & dmaMask)|};
            }
        }
        """);

    [Fact]
    public Task SwitchOnMapTypeWithPhysicalDefault_Reports() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciDevice client, P2PProvider provider, PhysAddr phys, ulong size, Scatterlist sg)
            {
                ulong addr;
                switch (PciP2PDma.MapType(provider, client))
                {
                    case P2PMapType.BusAddr:
                        addr = PciP2PDma.BusAddrMap(provider, phys).Raw;
                        sg.MarkBusAddress();
                        break;
                    case P2PMapType.ThruHostBridge:
                        addr = Dma.MapPhys(client, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio).Raw;
                        break;
                    default:
                        addr = phys.Raw; // "no IOMMU here: use it as is"
                        break;
                }

                sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(addr)|};
            }
        }
        """);

    [Fact]
    public Task SwitchOnMapTypeEveryArmMaps_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciDevice client, P2PProvider provider, PhysAddr phys, ulong size, Scatterlist sg)
            {
                ulong addr = phys.Raw;
                switch (PciP2PDma.MapType(provider, client))
                {
                    case P2PMapType.BusAddr:
                        addr = PciP2PDma.BusAddrMap(provider, phys).Raw;
                        sg.MarkBusAddress();
                        break;
                    case P2PMapType.ThruHostBridge:
                        addr = Dma.MapPhys(client, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio).Raw;
                        break;
                    default:
                        return;
                }

                sg.DmaAddress = DmaAddr.FromRaw(addr);
            }
        }
        """);

    [Fact]
    public Task SwitchExpressionAndNullCoalescing_Report() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(P2PMapType type, P2PProvider provider, PciBar bar, PhysAddr phys, ulong? cached)
            {
                ulong addr = type switch
                {
                    P2PMapType.BusAddr => PciP2PDma.BusAddrMap(provider, phys).Raw,
                    _ => phys.Raw,
                };
                var a = {|P2P0001:DmaAddr.FromRaw(addr)|};

                ulong b = cached ?? bar.CpuStart.Raw;
                var c = {|P2P0001:DmaAddr.FromRaw(b)|};
            }
        }
        """);

    [Fact]
    public Task BothBranchesMapped_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciDevice dev, PciBar bar, KernelBuffer buf, bool useBar, Scatterlist sg)
            {
                ulong addr = useBar ? bar.CpuStart.Raw : buf.Phys.Raw;
                if (useBar)
                    addr = Dma.MapResource(dev, bar.CpuStart, 4096, DmaDirection.ToDevice).Raw;
                else
                    addr = Dma.MapSingle(dev, buf, 0, 4096, DmaDirection.ToDevice).Raw;
                sg.DmaAddress = DmaAddr.FromRaw(addr);
            }
        }
        """);

    [Fact]
    public Task AddressAccumulatedInLoop_Reports() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, Scatterlist[] entries)
            {
                ulong cursor = bar.CpuStart.Raw;
                int i = 0;
                do
                {
                    cursor += entries[i].DmaLength;
                    i++;
                }
                while (i < entries.Length);
                var end = {|P2P0001:DmaAddr.FromRaw(cursor)|};
            }
        }
        """);

    [Fact]
    public Task EachIterationMapsBeforeStoring_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciDevice dev, PciBar bar, Scatterlist[] entries)
            {
                for (int i = 0; i < entries.Length; i++)
                {
                    ulong phys = bar.CpuStart.Raw + (ulong)i * Paging.PageSize;
                    DmaAddr mapped = Dma.MapResource(dev, PhysAddr.FromRaw(phys), Paging.PageSize, DmaDirection.ToDevice);
                    if (Dma.MappingError(dev, mapped)) return;
                    entries[i].DmaAddress = DmaAddr.FromRaw(mapped.Raw);
                }
            }
        }
        """);

    [Fact]
    public Task NestedStructFields_FollowedAndOverwritten() => Verifier.Analyzer(Usings + """
        struct Addr { public ulong Value; }
        struct Desc { public Addr Src; public Addr Dst; public uint Len; }

        class C
        {
            void M(PciDevice dev, PciBar bar, KernelBuffer buf)
            {
                DmaAddr mapped = Dma.MapSingle(dev, buf, 0, 64, DmaDirection.ToDevice);
                Desc d = default;
                d.Src.Value = bar.CpuStart.Raw;
                d.Dst.Value = mapped.Raw;
                var a = {|P2P0001:DmaAddr.FromRaw(d.Src.Value)|};
                var b = DmaAddr.FromRaw(d.Dst.Value);

                Desc copy = d;
                copy.Src.Value = mapped.Raw;
                var c = DmaAddr.FromRaw(copy.Src.Value);
                var e = {|P2P0001:DmaAddr.FromRaw(d.Src.Value)|};

                d = default;
                var f = DmaAddr.FromRaw(d.Src.Value);
            }
        }
        """);

    [Fact]
    public Task ArrayElementsAndObjectFieldsInOneMethod_Report() => Verifier.Analyzer(Usings + """
        sealed class Ctx { public ulong Addr; public ulong Len { get; set; } }

        class C
        {
            ulong _pending;

            void M(PciBar bar, Ctx ctx, int n, int k)
            {
                ulong[] addrs = new ulong[n];
                for (int i = 0; i < n; i++)
                    addrs[i] = bar.CpuStart.Raw + (ulong)i * Paging.PageSize;
                var a = {|P2P0001:DmaAddr.FromRaw(addrs[k])|};

                ctx.Addr = bar.CpuStart.Raw;
                ctx.Len = 64;
                var b = {|P2P0001:DmaAddr.FromRaw(ctx.Addr)|};
                var c = DmaAddr.FromRaw(ctx.Len);

                _pending = bar.CpuStart.Raw;
                var d = {|P2P0001:DmaAddr.FromRaw(this._pending)|};
            }
        }
        """);

    [Fact]
    public Task LambdaPassedToForEach_Reports() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, System.Collections.Generic.List<Scatterlist> entries)
            {
                ulong addr = bar.CpuStart.Raw;
                entries.ForEach(sg => sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(addr)|});
            }
        }
        """);

    [Fact]
    public Task LocalFunctionCalledOnlyWithMappedValues_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciDevice dev, KernelBuffer buf, Scatterlist sg)
            {
                DmaAddr mapped = Dma.MapSingle(dev, buf, 0, 64, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, mapped)) return;
                Store(mapped.Raw);
                Store(mapped.Raw + 0x40);

                void Store(ulong value) => sg.DmaAddress = DmaAddr.FromRaw(value);
            }
        }
        """);

    [Fact]
    public Task AnnotatedLocalFunctionParameter_Reports() => Verifier.Analyzer(Usings + """
        class C
        {
            void M()
            {
                static DmaAddr ToDma([CpuPhysicalAddress] ulong phys) => {|P2P0001:DmaAddr.FromRaw(phys)|};
            }
        }
        """);

    [Fact]
    public Task AcrossMethodsThroughConstructorsInterfacesAndProperties_Report() => Verifier.Analyzer(Usings + """
        interface IRing { void Post([DmaAddress] ulong address, uint length); }

        record struct QueueEntry([DmaAddress] ulong Address, uint Length);

        sealed class Aperture { [CpuPhysicalAddress] public ulong Base { get; init; } }

        class C
        {
            [return: CpuPhysicalAddress]
            static ulong DoorbellPhys(PciBar bar) => bar.CpuStart.Raw + 0x1000;

            void M(IRing ring, Aperture aperture, PciBar bar)
            {
                ring.Post({|P2P0001:aperture.Base + 0x10|}, 4);
                ulong bell = DoorbellPhys(bar);
                var entry = new QueueEntry({|P2P0001:bell|}, 4);
            }
        }
        """);

    [Fact]
    public Task ProjectsOwnAttributeCopyWithoutLibrary_Reports() => Verifier.Analyzer("""
        namespace P2PDma.Addresses
        {
            [System.AttributeUsage(System.AttributeTargets.Parameter | System.AttributeTargets.Field | System.AttributeTargets.Property | System.AttributeTargets.ReturnValue)]
            sealed class CpuPhysicalAddressAttribute : System.Attribute { }

            [System.AttributeUsage(System.AttributeTargets.Parameter | System.AttributeTargets.Field | System.AttributeTargets.Property | System.AttributeTargets.ReturnValue)]
            sealed class DmaAddressAttribute : System.Attribute { }
        }

        namespace MyDriver
        {
            using P2PDma.Addresses;

            sealed class Regs { public void WriteBase([DmaAddress] ulong address) { } }

            sealed class Hw
            {
                [CpuPhysicalAddress] ulong _barBase;

                [return: CpuPhysicalAddress]
                static ulong ReadBarBase() => 0xE000_0000;

                [return: DmaAddress]
                static ulong Translate([CpuPhysicalAddress] ulong phys) => {|P2P0001:phys|};

                void Start(Regs regs, ulong offset)
                {
                    regs.WriteBase({|#0:_barBase + offset|});
                    ulong bar = ReadBarBase();
                    bar &= ~0xFFFUL;
                    regs.WriteBase({|P2P0001:bar|});
                    regs.WriteBase(offset);
                }
            }
        }
        """,
        withLibrary: false,
        Verifier.Diagnostic("P2P0001").WithLocation(0)
            .WithArguments("_barBase + offset", "field '_barBase' is [CpuPhysicalAddress]", "parameter 'address' of WriteBase is [DmaAddress]"));

    [Fact]
    public Task AttributesOfTheSameNameInAnotherNamespaceWithoutLibrary_NoDiagnostic() => Verifier.Analyzer("""
        namespace MyDriver.Annotations
        {
            [System.AttributeUsage(System.AttributeTargets.Parameter | System.AttributeTargets.Field | System.AttributeTargets.Property | System.AttributeTargets.ReturnValue)]
            sealed class CpuPhysicalAddressAttribute : System.Attribute { }

            [System.AttributeUsage(System.AttributeTargets.Parameter | System.AttributeTargets.Field | System.AttributeTargets.Property | System.AttributeTargets.ReturnValue)]
            sealed class DmaAddressAttribute : System.Attribute { }
        }

        namespace MyDriver
        {
            using MyDriver.Annotations;

            sealed class Regs { public void WriteBase([DmaAddress] ulong address) { } }

            sealed class Hw
            {
                [CpuPhysicalAddress] ulong _barBase;

                [return: DmaAddress]
                static ulong Translate([CpuPhysicalAddress] ulong phys) => phys;

                void Start(Regs regs, ulong offset) => regs.WriteBase(_barBase + offset);
            }
        }
        """,
        withLibrary: false);

    [Fact]
    public Task DeconstructionFromATupleLiteral_Reports() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(PciBar bar, ulong offset)
            {
                var (addr, len) = (bar.CpuStart.Raw, 64UL);
                var a = {|P2P0001:DmaAddr.FromRaw(addr)|};
                var b = DmaAddr.FromRaw(len);

                ulong start, size;
                (start, size) = (bar.CpuStart.Raw + offset, bar.Size);
                var c = {|P2P0001:DmaAddr.FromRaw(start)|};
                var d = DmaAddr.FromRaw(size);
            }
        }
        """);

    // ---- Across methods without attributes: the whole-program summary; origins and hops are additional locations ----

    [Fact]
    public Task UnannotatedHelperReturn_IsFollowed_Reports() => Verifier.Analyzer(Usings + """
        class C
        {
            static ulong BarBase(PciBar bar) => {|#2:{|#1:bar.CpuStart|}.Raw|};

            void M(PciBar bar, Scatterlist sg) => sg.DmaAddress = {|#0:DmaAddr.FromRaw(BarBase(bar))|};
        }
        """,
        Verifier.Diagnostic("P2P0001").WithLocation(0).WithLocation(1).WithLocation(2)
            .WithArguments("BarBase(bar)", "PciBar.CpuStart, returned by C.BarBase", "stored as a scatterlist entry's DMA address"));

    [Fact]
    public Task UnannotatedFieldSetInAnotherMethod_IsFollowed_Reports() => Verifier.Analyzer(Usings + """
        class C
        {
            ulong _barBase;

            void Probe(PciBar bar) => {|#2:_barBase = {|#1:bar.CpuStart|}.Raw|};

            void Map(Scatterlist sg) => sg.DmaAddress = {|#0:DmaAddr.FromRaw(_barBase)|};
        }
        """,
        Verifier.Diagnostic("P2P0001").WithLocation(0).WithLocation(1).WithLocation(2)
            .WithArguments("_barBase", "PciBar.CpuStart, stored into C._barBase in Probe", "stored as a scatterlist entry's DMA address"));
}
