using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0013BusAddressUnmappedAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

public sealed class P2P0013CodeFixTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;
        using P2PDma.P2P;

        """;

    [Fact]
    public Task UnmapOfBusAddrMap_IsRemoved() => Verifier.CodeFix<P2P0013BusAddressUnmappedCodeFix>(Usings + """
        class C
        {
            void M(P2PProvider p, PciDevice dev)
            {
                DmaAddr bus = PciP2PDma.BusAddrMap(p, p.Bar.CpuStart);
                // done with the transfer
                {|P2P0013:Dma.UnmapPhys(dev, bus, 4096, DmaDirection.ToDevice)|};
                Done();
            }

            void Done() { }
        }
        """, Usings + """
        class C
        {
            void M(P2PProvider p, PciDevice dev)
            {
                DmaAddr bus = PciP2PDma.BusAddrMap(p, p.Bar.CpuStart);
                // done with the transfer
                Done();
            }

            void Done() { }
        }
        """);

    [Fact]
    public Task UnmapOfMappingAddress_BecomesMappingUnmap() => Verifier.CodeFix<P2P0013BusAddressUnmappedCodeFix>(Usings + """
        class C
        {
            void M(P2PProvider p, PciDevice dev)
            {
                P2PDmaMapping m = Dma.MapP2P(dev, p, p.Bar.CpuStart, 4096, DmaDirection.ToDevice);
                if (m.Failed) return;
                {|P2P0013:Dma.UnmapPhys(dev, m.Address, 4096, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
            }
        }
        """, Usings + """
        class C
        {
            void M(P2PProvider p, PciDevice dev)
            {
                P2PDmaMapping m = Dma.MapP2P(dev, p, p.Bar.CpuStart, 4096, DmaDirection.ToDevice);
                if (m.Failed) return;
                m.Unmap();
            }
        }
        """);

    [Fact]
    public Task NvmeStyleEntryUnmap_IsGuardedByBusAddressFlag() => Verifier.CodeFix<P2P0013BusAddressUnmappedCodeFix>(Usings + """
        class C
        {
            void M(PciDevice dev, SgTable t)
            {
                if (Dma.MapSgTable(dev, t, DmaDirection.ToDevice) != DmaError.None) return;
                foreach (Scatterlist sg in t.DmaSegments)
                {
                    // nvme_unmap_data
                    {|P2P0013:Dma.UnmapPhys(dev, sg.DmaAddress, sg.DmaLength, DmaDirection.ToDevice)|};
                }

                {|P2P0013:Dma.LegacyUnmapSg(dev, t, t.OrigNents, DmaDirection.ToDevice)|};
            }
        }
        """, Usings + """
        class C
        {
            void M(PciDevice dev, SgTable t)
            {
                if (Dma.MapSgTable(dev, t, DmaDirection.ToDevice) != DmaError.None) return;
                foreach (Scatterlist sg in t.DmaSegments)
                {
                    // nvme_unmap_data
                    if (!sg.IsDmaBusAddress)
                    {
                        Dma.UnmapPhys(dev, sg.DmaAddress, sg.DmaLength, DmaDirection.ToDevice);
                    }
                }

                Dma.UnmapSgTable(dev, t, DmaDirection.ToDevice);
            }
        }
        """);
}

public sealed class P2P0013ProofScenarioFixTests
{
    [Fact]
    public Task NvmeStyleScenario_BecomesMappingUnmap() =>
        Verify<P2PAnalyzers.Rules.P2P0013BusAddressUnmappedAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0013BusAddressUnmappedCodeFix>(
            P2P0013ProofScenario.Before, P2P0013ProofScenario.After);
}
