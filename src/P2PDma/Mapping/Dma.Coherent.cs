using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PDma.Mapping;

public static partial class Dma
{
    /// <summary>
    /// Allocates a buffer both the CPU and the device can use (<c>dma_alloc_coherent</c>); null, and
    /// <paramref name="handle"/> set to the error value, when it cannot be mapped.
    /// </summary>
    public static KernelBuffer? AllocCoherent(PciDevice dev, ulong size, out DmaAddr handle)
    {
        Check.Mapping(dev, size, DmaDirection.Bidirectional);
        KernelBuffer buffer = dev.Topology.Memory.Kmalloc(size);
        handle = MapRange(dev, buffer.Phys, size, DmaDirection.Bidirectional, DmaAttrs.None, mmio: false);
        if (handle == DmaAddr.MappingError)
        {
            return null;
        }

        Track(dev, handle, size, DmaDirection.Bidirectional, DmaMapFamily.Coherent, errorChecked: true);
        return buffer;
    }

    /// <summary>Frees a <see cref="AllocCoherent"/> buffer (<c>dma_free_coherent</c>).</summary>
    public static void FreeCoherent(PciDevice dev, ulong size, KernelBuffer buffer, DmaAddr handle)
    {
        Check.NotNull(dev, nameof(dev));
        Check.NotNull(buffer, nameof(buffer));
        dev.Topology.DmaDebug.OnUnmap(dev, handle, size, DmaDirection.Bidirectional, DmaMapFamily.Coherent);
        UnmapRange(dev, handle, size);
    }
}
