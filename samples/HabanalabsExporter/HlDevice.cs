using P2PDma.Pci;

namespace Samples.HabanalabsExporter;

/// <summary>struct hl_device: the per-device state habanalabs fills at probe (habanalabs.h).</summary>
public sealed class HlDevice
{
    /// <summary>The DRAM BAR (DRAM_BAR_ID).</summary>
    public const int DramBarId = 4;

    public HlDevice(PciDevice pdev) => Pdev = pdev;

    public PciDevice Pdev { get; }

    /// <summary>hdev->dram_pci_bar_start: the DRAM BAR's CPU physical address.</summary>
    public ulong DramPciBarStart;
}

/// <summary>pci.c: PCI init at probe.</summary>
public static class HlPci
{
    /// <summary>hl_pci_init: caches the DRAM BAR's start, which the dma-buf code later uses as a DMA address.</summary>
    public static void Init(HlDevice hdev) => hdev.DramPciBarStart = hdev.Pdev.Bar(HlDevice.DramBarId).CpuStart.Raw;
}
