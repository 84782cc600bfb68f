using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0014SkipCpuSyncForMmioAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

public sealed class P2P0014CodeFixTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;

        """;

    [Fact]
    public Task AmdgpuMapResourceWithSkipCpuSync_BecomesMmio() => Verifier.CodeFix<P2P0014SkipCpuSyncForMmioCodeFix>(Usings + """
        class C
        {
            DmaAddr M(PciDevice dev, PciBar bar, ulong size, DmaDirection dir)
            {
                // amdgpu_vram_mgr_alloc_sgt: dma_map_resource(..., DMA_ATTR_SKIP_CPU_SYNC)
                return Dma.MapResource(dev, bar.CpuStart, size, dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
            }
        }
        """, Usings + """
        class C
        {
            DmaAddr M(PciDevice dev, PciBar bar, ulong size, DmaDirection dir)
            {
                // amdgpu_vram_mgr_alloc_sgt: dma_map_resource(..., DMA_ATTR_SKIP_CPU_SYNC)
                return Dma.MapResource(dev, bar.CpuStart, size, dir, DmaAttrs.Mmio);
            }
        }
        """);

    [Fact]
    public Task SkipCpuSyncCombinedWithMmio_IsDropped() => Verifier.CodeFix<P2P0014SkipCpuSyncForMmioCodeFix>(Usings + """
        class C
        {
            DmaAddr M(PciDevice dev, PciBar bar, ulong size)
            {
                DmaAddr a = Dma.MapPhys(dev, bar.CpuStart, size, DmaDirection.ToDevice, {|P2P0014:DmaAttrs.Mmio | DmaAttrs.SkipCpuSync|});
                DmaAddr b = Dma.MapPhys(dev, bar.CpuStart + 4096, size, DmaDirection.ToDevice, {|P2P0014:DmaAttrs.SkipCpuSync | DmaAttrs.WeakOrdering|});
                return a;
            }
        }
        """, Usings + """
        class C
        {
            DmaAddr M(PciDevice dev, PciBar bar, ulong size)
            {
                DmaAddr a = Dma.MapPhys(dev, bar.CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                DmaAddr b = Dma.MapPhys(dev, bar.CpuStart + 4096, size, DmaDirection.ToDevice, DmaAttrs.Mmio | DmaAttrs.WeakOrdering);
                return a;
            }
        }
        """);
}
