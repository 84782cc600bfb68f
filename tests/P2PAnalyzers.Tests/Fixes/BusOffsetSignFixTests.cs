using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Kernel;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// The bus offset applied with the wrong sign (__pci_p2pdma_map_sg before v5.15): P2P0001's and P2P0002's fix adds it,
/// as "PCI/P2PDMA: Apply bus offset correctly in DMA address calculation" did; any other subtraction keeps the usual fix.
/// </summary>
public sealed class BusOffsetSignFixTests
{
    [Fact]
    public async Task MapSgBusV510_P2P0001_AddsTheBusOffset()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw",
            P2PDmaCoreTests.Pagemap, P2PDmaCoreTests.MapSgBusV510);
        Assert.Contains("s.DmaAddress = DmaAddr.FromRaw(paddr.Raw + (ulong)p2pPgmap.BusOffset);", after[1]);
        Assert.Contains("// __pci_p2pdma_map_sg (v5.10)", after[1]);
        Assert.Contains("s.DmaLength = s.Length;", after[1]);
    }

    [Fact]
    public async Task MapSgBusV510_P2P0001_OffersOnlyTheSignFix()
    {
        string[] titles = await UnitFixHarness.OfferedAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw",
            P2PDmaCoreTests.Pagemap, P2PDmaCoreTests.MapSgBusV510);
        Assert.Equal(new[] { "Add the bus offset instead of subtracting it" }, titles);
    }

    // The same error written as a bus address: PCI bus = CPU - offset.
    [Fact]
    public async Task BusAddressLessTheOffset_P2P0002_AddsTheBusOffset()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0002PhysicalAddressAsBusAddressCodeFix(), "P2P0002", "FromRaw",
            P2PDmaCoreTests.Pagemap, """
            static class Window
            {
                public static PciBusAddr BusOf(PciP2PDmaPagemap pgmap, PhysAddr paddr) =>
                    {|P2P0002:PciBusAddr.FromRaw((paddr.Raw - (ulong)pgmap.BusOffset))|};
            }
            """);
        Assert.Contains("PciBusAddr.FromRaw((paddr.Raw + (ulong)pgmap.BusOffset))", after[1]);
    }

    // A page offset subtracted is not a sign error: the usual fix (map the address) stands, or nothing.
    [Fact]
    public async Task PageOffsetSubtracted_P2P0001_IsNotTheSignFix()
    {
        string[] titles = await UnitFixHarness.OfferedAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw",
            P2PDmaCoreTests.Pagemap, """
            static class Entries
            {
                public static void Fill(PciP2PDmaPagemap pgmap, Scatterlist s, ulong pageOffset)
                {
                    PhysAddr paddr = s.Phys;
                    s.DmaAddress = {|P2P0001:DmaAddr.FromRaw(paddr.Raw - pageOffset)|};
                    s.DmaLength = s.Length;
                }
            }
            """);
        Assert.DoesNotContain("Add the bus offset instead of subtracting it", titles);
    }
}
