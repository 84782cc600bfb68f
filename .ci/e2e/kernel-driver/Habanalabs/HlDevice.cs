using P2PDma.Pci;

namespace KernelDriver.Habanalabs;

// habanalabs.h: struct asic_fixed_properties (the part the dma-buf code reads).
public sealed class AsicFixedProperties
{
    public ulong DramBaseAddress;
    public ulong DramPageSize;
}

// habanalabs.h: struct hl_device.
public sealed class HlDevice
{
    public PciDevice Pdev = null!;
    public ulong DramPciBarStart;
    public AsicFixedProperties AsicProp = new();
}

public static class Gaudi2
{
    private const int DramBarId = 4;

    // gaudi2_pci_bars_map, at probe: hdev->dram_pci_bar_start = pci_resource_start(pdev, DRAM_BAR_ID)
    public static int PciBarsMap(HlDevice hdev)
    {
        hdev.DramPciBarStart = hdev.Pdev.Bar(DramBarId).CpuStart.Raw;
        return 0;
    }
}
