using Microsoft.CodeAnalysis.CodeActions;
using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0014SkipCpuSyncForMmioAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// The swap to Mmio silences P2P0014; where the mapping's function never asks the map type, the light bulb must say
/// that the map-type bug is still there (P2P0010 may not see it), instead of presenting the swap as the answer.
/// </summary>
public sealed class P2P0014TitleTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    // amdgpu_vram_mgr_alloc_sgt: dma_map_resource(..., DMA_ATTR_SKIP_CPU_SYNC) of VRAM, no pci_p2pdma_map_type anywhere.
    [Fact]
    public Task MapWithoutMapType_TitleSaysTheMapTypeIsStillNotAsked() => Titled(Usings + """
        class AmdgpuVramMgr
        {
            DmaAddr AllocSgtEntry(PciDevice dev, PciBar vram, ulong offset, ulong size, DmaDirection dir)
            {
                return Dma.MapResource(dev, vram.CpuStart + offset, size, dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
            }
        }
        """, Usings + """
        class AmdgpuVramMgr
        {
            DmaAddr AllocSgtEntry(PciDevice dev, PciBar vram, ulong offset, ulong size, DmaDirection dir)
            {
                return Dma.MapResource(dev, vram.CpuStart + offset, size, dir, DmaAttrs.Mmio);
            }
        }
        """, "Use DmaAttrs.Mmio (the map type is still not asked here: see P2P0010)");

    // amdgpu_vram_mgr_free_sgt: the unmap only has to match the mapping's attributes.
    [Fact]
    public Task Unmap_PlainTitle() => Titled(Usings + """
        class AmdgpuVramMgr
        {
            void FreeSgtEntry(PciDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
            {
                Dma.UnmapResource(dev, addr, size, dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
            }
        }
        """, Usings + """
        class AmdgpuVramMgr
        {
            void FreeSgtEntry(PciDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
            {
                Dma.UnmapResource(dev, addr, size, dir, DmaAttrs.Mmio);
            }
        }
        """, "Use DmaAttrs.Mmio");

    [Fact]
    public Task MapAfterTheMapTypeWasAsked_PlainTitle() => Titled(P2P0014ProofScenario.Before, P2P0014ProofScenario.After, "Use DmaAttrs.Mmio");

    private static Task Titled(string before, string after, string title)
    {
        var test = new Verifier.CodeFixTest<P2P0014SkipCpuSyncForMmioCodeFix> { TestCode = before, FixedCode = after };
        test.Configure(withLibrary: true);
        test.CodeActionVerifier = (action, verifier) => verifier.Equal(title, action.Title);
        return test.RunAsync();
    }
}
