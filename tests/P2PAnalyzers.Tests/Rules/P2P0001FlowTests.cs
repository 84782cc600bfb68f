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
}
