using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0001PhysicalAddressAsDmaAddressAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

public sealed class P2P0001CodeFixTests
{
    internal const string Before = """
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.P2P;

        public static class Scenario
        {
            // habanalabs P2P dma-buf (2021): sg_dma_address(sg) = bar_address; page NULL, nothing mapped.
            public static void Fill(DmaBufAttachment attach, P2PProvider provider, Scatterlist sg, ulong offset, ulong size, DmaDirection dir)
            {
                ulong barAddress = provider.Bar.CpuStart.Raw + offset;
                sg.SetPage(null, size, 0);
                sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(barAddress)|};
                sg.DmaLength = size;
            }
        }
        """;

    internal const string After = """
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.P2P;

        public static class Scenario
        {
            // habanalabs P2P dma-buf (2021): sg_dma_address(sg) = bar_address; page NULL, nothing mapped.
            public static void Fill(DmaBufAttachment attach, P2PProvider provider, Scatterlist sg, ulong offset, ulong size, DmaDirection dir)
            {
                ulong barAddress = provider.Bar.CpuStart.Raw + offset;
                sg.SetPage(null, size, 0);
                P2PDmaMapping mapping = Dma.MapP2P(attach.Device, provider, PhysAddr.FromRaw(barAddress), size, dir);
                if (mapping.Failed)
                {
                    return;
                }

                sg.DmaAddress = mapping.Address;
                sg.DmaLength = size;
            }
        }
        """;

    [Fact]
    public Task HabanalabsRawBarAddress_IsMappedWithMapP2P() => Verifier.CodeFix<P2P0001PhysicalAddressAsDmaAddressCodeFix>(Before, After);

    [Fact]
    public Task RamAddress_IsMappedWithMapPhys_AndTheErrorReturned() => Verifier.CodeFix<P2P0001PhysicalAddressAsDmaAddressCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        class C
        {
            DmaError Fill(PciDevice dev, KernelBuffer buffer, Scatterlist sg, DmaDirection dir)
            {
                sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(buffer.VirtToPhys(0).Raw)|};
                sg.DmaLength = buffer.Size;
                return DmaError.None;
            }
        }
        """, """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        class C
        {
            DmaError Fill(PciDevice dev, KernelBuffer buffer, Scatterlist sg, DmaDirection dir)
            {
                DmaAddr dmaAddress = Dma.MapPhys(dev, PhysAddr.FromRaw(buffer.VirtToPhys(0).Raw), buffer.Size, dir);
                if (Dma.MappingError(dev, dmaAddress))
                {
                    return DmaError.NoMemory;
                }

                sg.DmaAddress = dmaAddress;
                sg.DmaLength = buffer.Size;
                return DmaError.None;
            }
        }
        """);

    [Fact]
    public Task ClientDeviceAmbiguous_ReportsWithoutFix() => Verifier.NoCodeFix<P2P0001PhysicalAddressAsDmaAddressCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        class C
        {
            void Fill(PciDevice a, PciDevice b, P2PProvider provider, Scatterlist sg, ulong size, DmaDirection dir)
            {
                sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(provider.Bar.CpuStart.Raw)|};
                sg.DmaLength = size;
            }
        }
        """);
}
