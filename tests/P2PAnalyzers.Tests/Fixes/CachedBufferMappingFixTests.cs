using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Kernel;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// P2P0001 on a kernel buffer's CPU physical address kept as its DMA address (spi-rockchip-sfc's probe before "spi:
/// rockchip-sfc: Fix DMA-API usage"): the fix maps the whole buffer for the device its holder keeps, bidirectionally,
/// and checks the mapping; it declines where the device, the buffer or its extent is not certain.
/// </summary>
public sealed class CachedBufferMappingFixTests
{
    private const string Title = "Map the buffer with Dma.MapSingle and check it";

    [Fact]
    public async Task RockchipSfcProbe_P2P0001_MapsTheBufferAtProbeAndChecksIt()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw",
            RockchipSfcTests.Sfc, RockchipSfcTests.ProbeBeforeFix);
        Assert.Contains("sfc.DmaBuffer = Dma.MapSingle(sfc.Dev, sfc.Buffer, 0, sfc.Buffer.Size, DmaDirection.Bidirectional);", after[1]);
        Assert.Contains("if (Dma.MappingError(sfc.Dev, sfc.DmaBuffer))", after[1]);
        // The function's own comments and statements stay.
        Assert.Contains("// __get_free_pages(GFP_KERNEL | GFP_DMA32, get_order(max_iosize))", after[1]);
        Assert.Contains("goto errDma;", after[1]);
        Assert.DoesNotContain("VirtToPhys", after[1]);

        // The failed mapping leaves through err_dma, which frees the buffer, as the kernel's fix did (ret = -ENOMEM;
        // goto err_dma_map;), not past it.
        string check = after[1].Substring(after[1].IndexOf("if (Dma.MappingError(sfc.Dev, sfc.DmaBuffer))", System.StringComparison.Ordinal));
        Assert.Matches(@"^if \(Dma\.MappingError\(sfc\.Dev, sfc\.DmaBuffer\)\)\s*\{\s*ret = \(int\)DmaError\.NoMemory;\s*goto errDma;\s*\}", check);
    }

    [Fact]
    public async Task AnOffsetIntoTheBuffer_P2P0001_MapsFromTheOffsetToTheEnd()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw", """
            sealed class Ring
            {
                public PciDevice Pdev = null!;
                public KernelBuffer Desc = null!;
                public DmaAddr DescDma;
                public const ulong Header = 64;
            }

            static class Rings
            {
                public static bool Setup(Ring ring, SystemMemory mem)
                {
                    ring.Desc = mem.Kmalloc(4096);
                    ring.DescDma = {|P2P0001:DmaAddr.FromRaw(ring.Desc.VirtToPhys(Ring.Header).Raw)|};
                    return true;
                }
            }
            """);
        Assert.Contains("ring.DescDma = Dma.MapSingle(ring.Pdev, ring.Desc, Ring.Header, ring.Desc.Size - (Ring.Header), DmaDirection.Bidirectional);", after[0]);
        Assert.Contains("return false;", after[0]);
    }

    // The driver's struct as a class whose probe is its method: the buffer, the address and the device are its members.
    [Fact]
    public async Task MembersOfThisNamedAlone_P2P0001_MapsForTheClassesDevice()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw", """
            sealed class Sfc
            {
                public PciDevice Dev = null!;
                public KernelBuffer Buffer = null!;
                public DmaAddr DmaBuffer;

                public int Probe(SystemMemory mem)
                {
                    Buffer = mem.Kmalloc(4096);
                    DmaBuffer = {|P2P0001:DmaAddr.FromRaw(Buffer.VirtToPhys().Raw)|};
                    return 0;
                }
            }
            """);
        Assert.Contains("DmaBuffer = Dma.MapSingle(Dev, Buffer, 0, Buffer.Size, DmaDirection.Bidirectional);", after[0]);
        Assert.Contains("if (Dma.MappingError(Dev, DmaBuffer))", after[0]);
    }

    // The holder keeps two devices: which one is given the address is not known.
    [Fact]
    public async Task HolderWithTwoDevices_P2P0001_NoMapSingleFix()
    {
        string[] titles = await UnitFixHarness.OfferedAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw", """
            sealed class Pair
            {
                public PciDevice Dev = null!;
                public PciDevice DmaChan = null!;
                public KernelBuffer Buffer = null!;
                public DmaAddr BufferDma;
            }

            static class Pairs
            {
                public static void Setup(Pair p) => p.BufferDma = {|P2P0001:DmaAddr.FromRaw(p.Buffer.VirtToPhys().Raw)|};
            }
            """);
        Assert.DoesNotContain(Title, titles);
    }

    // A device in scope may be the one given the address, not the holder's.
    [Fact]
    public async Task AnotherDeviceInScope_P2P0001_NoMapSingleFix()
    {
        string[] titles = await UnitFixHarness.OfferedAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw",
            RockchipSfcTests.Sfc, RockchipSfcTests.ProbeBeforeFix.Replace("Probe(RockchipSfc sfc, SystemMemory mem)", "Probe(RockchipSfc sfc, SystemMemory mem, PciDevice dmaChan)"));
        Assert.DoesNotContain(Title, titles);
    }

    // The buffer is made by the expression itself: written twice by the fix, it would be allocated twice.
    [Fact]
    public async Task BufferAllocatedInTheExpression_P2P0001_NoMapSingleFix()
    {
        string[] titles = await UnitFixHarness.OfferedAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw", """
            sealed class Holder
            {
                public PciDevice Dev = null!;
                public DmaAddr BufferDma;
            }

            static class Holders
            {
                public static void Setup(Holder h, SystemMemory mem) => h.BufferDma = {|P2P0001:DmaAddr.FromRaw(mem.Kmalloc(4096).VirtToPhys().Raw)|};
            }
            """);
        Assert.DoesNotContain(Title, titles);
    }
}
