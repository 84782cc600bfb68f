using P2PDma.Addresses;
using P2PDma.Pci;

namespace Samples.AmdgpuExporter;

/// <summary>struct amdgpu_gmc: what the memory controller init learns about VRAM (amdgpu_gmc.h).</summary>
public sealed class AmdgpuGmc
{
    /// <summary>adev->gmc.aper_base: the CPU physical address of the VRAM BAR.</summary>
    public PhysAddr AperBase;

    /// <summary>adev->gmc.aper_size.</summary>
    public ulong AperSize;
}

/// <summary>struct amdgpu_device: the driver's per-device state, filled at probe.</summary>
public sealed class AmdgpuDevice
{
    public AmdgpuDevice(PciDevice pdev) => Pdev = pdev;

    /// <summary>adev->pdev.</summary>
    public PciDevice Pdev { get; }

    /// <summary>adev->gmc.</summary>
    public AmdgpuGmc Gmc { get; } = new();
}

/// <summary>gmc_v9_0.c: the memory controller init run at probe.</summary>
public static class GmcV9
{
    /// <summary>gmc_v9_0_mc_init: caches the VRAM aperture, which every later mapping reads.</summary>
    public static void McInit(AmdgpuDevice adev)
    {
        adev.Gmc.AperBase = adev.Pdev.Bar(0).CpuStart;
        adev.Gmc.AperSize = adev.Pdev.Bar(0).Size;
    }
}
