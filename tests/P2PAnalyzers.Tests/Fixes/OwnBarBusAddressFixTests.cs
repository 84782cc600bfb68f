using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Kernel;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// P2P0001 on a device's own BAR kept as the DMA address the device is given (nvme_map_cmb before "nvme-pci: Use PCI
/// bus address for data/queues in CMB"): the fix gives the BAR's bus address, and only where the device the address is
/// for can be nobody but the BAR's owner.
/// </summary>
public sealed class OwnBarBusAddressFixTests
{
    private const string Title = "Use the BAR's bus address (the device addresses its own BAR)";

    [Fact]
    public async Task NvmeMapCmbV49_P2P0001_BecomesTheBarsBusAddress()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw",
            NvmeTests.MapCmbV49, NvmeTests.AllocSqCmds);
        Assert.Contains("dev.CmbDmaAddr = DmaAddr.FromRaw(dev.Pdev.Bar(bir).BusAddressOf(PhysAddr.FromRaw(dmaAddr)).Raw);", after[0]);
        // The CPU address stays what it was for anything else that uses it (the kernel's ioremap_wc of the CMB).
        Assert.Contains("ulong dmaAddr = dev.Pdev.Bar(bir).CpuStart.Raw + offset;", after[0]);
        Assert.Contains("// nvme_map_cmb (v4.9)", after[0]);
    }

    [Fact]
    public async Task NvmeMapCmbV49_P2P0001_OffersTheBusAddress()
    {
        string[] titles = await UnitFixHarness.OfferedAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw",
            NvmeTests.MapCmbV49, NvmeTests.AllocSqCmds);
        Assert.Equal(new[] { Title }, titles);
    }

    // The struct holds a peer beside its own device: the address of the peer's BAR is for the own device, which reaches
    // it through a mapping, not at the peer's bus address in general.
    [Fact]
    public async Task PeerBarKeptInAStructWithTwoDevices_P2P0001_NoBusAddressFix()
    {
        string[] titles = await UnitFixHarness.OfferedAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw", """
            sealed class PairDev
            {
                public PciDevice Pdev = null!;
                public PciDevice Peer = null!;
                public DmaAddr PeerDmaAddr;
            }

            static class Pair
            {
                public static void Setup(PairDev dev) => dev.PeerDmaAddr = {|P2P0001:DmaAddr.FromRaw(dev.Peer.Bar(0).CpuStart.Raw)|};
            }
            """);
        Assert.DoesNotContain(Title, titles);
    }

    // Another device in scope may be the one given the address.
    [Fact]
    public async Task AnotherDeviceInScope_P2P0001_NoBusAddressFix()
    {
        string[] titles = await UnitFixHarness.OfferedAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw",
            NvmeTests.MapCmbV49.Replace("MapCmb(NvmeDev dev, ulong offset, ulong size)", "MapCmb(NvmeDev dev, PciDevice dmaChan, ulong offset, ulong size)"),
            NvmeTests.AllocSqCmds);
        Assert.DoesNotContain(Title, titles);
    }

    // A scatterlist entry goes to an importer, never back to the BAR's owner.
    [Fact]
    public async Task EntryOfATable_P2P0001_NoBusAddressFix()
    {
        string[] titles = await UnitFixHarness.OfferedAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw", """
            sealed class Exporter
            {
                public PciDevice Pdev = null!;

                public void Fill(Scatterlist sg) => sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(Pdev.Bar(2).CpuStart.Raw)|};
            }
            """);
        Assert.DoesNotContain(Title, titles);
    }
}
