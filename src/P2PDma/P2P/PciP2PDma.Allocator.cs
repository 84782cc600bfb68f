using System;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PDma.P2P;

public static partial class PciP2PDma
{
    /// <summary>
    /// Allocates <paramref name="size"/> bytes of <paramref name="pdev"/>'s P2P memory (<c>pci_alloc_p2pmem</c>): whole
    /// pages of a range added with <see cref="AddResource"/>, as a buffer the CPU reaches through the BAR. Null when
    /// the device has no P2P memory or no room left, as the kernel returns NULL.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is zero.</exception>
    public static KernelBuffer? AllocMem(PciDevice pdev, ulong size)
    {
        ThrowIfNull(pdev, nameof(pdev));
        if (size == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "size must be positive.");
        }

        return pdev.P2P.Allocate(size) is PhysAddr start ? new KernelBuffer(pdev.Topology.Memory, start, size) : null;
    }

    /// <summary>Gives back memory <see cref="AllocMem"/> returned (<c>pci_free_p2pmem</c>).</summary>
    /// <exception cref="ArgumentException">The buffer is not P2P memory allocated from <paramref name="pdev"/>, or was freed already.</exception>
    public static void FreeMem(PciDevice pdev, KernelBuffer buffer)
    {
        ThrowIfNull(pdev, nameof(pdev));
        ThrowIfNull(buffer, nameof(buffer));
        if (!pdev.P2P.Free(buffer.Phys))
        {
            throw new ArgumentException($"{buffer.Phys} is not P2P memory allocated from {pdev.Name} (or was freed already).", nameof(buffer));
        }
    }

    /// <summary>
    /// The PCI bus address of P2P memory <see cref="AllocMem"/> returned (<c>pci_p2pmem_virt_to_bus</c>): what a peer
    /// behind the same switch puts on the bus to reach it (the CPU address plus the BAR's bus offset).
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is not P2P memory allocated from <paramref name="pdev"/>.</exception>
    public static PciBusAddr VirtToBus(PciDevice pdev, KernelBuffer buffer)
    {
        ThrowIfNull(pdev, nameof(pdev));
        ThrowIfNull(buffer, nameof(buffer));
        PciBar? bar = pdev.Topology.FindBar(buffer.Phys);
        if (bar is null || bar.Device != pdev || !pdev.P2P.IsPublished(buffer.Phys))
        {
            throw new ArgumentException($"{buffer.Phys} is not P2P memory of {pdev.Name}.", nameof(buffer));
        }

        return bar.BusAddressOf(buffer.Phys);
    }

    /// <summary>
    /// Allocates <paramref name="length"/> bytes of P2P memory as a one-entry scatterlist (<c>pci_p2pmem_alloc_sgl</c>);
    /// <paramref name="nents"/> is its entry count. Null (and <paramref name="nents"/> 0) when there is no room.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is zero.</exception>
    public static SgTable? AllocSgl(PciDevice pdev, ulong length, out int nents)
    {
        nents = 0;
        if (AllocMem(pdev, length) is not KernelBuffer buffer)
        {
            return null;
        }

        SgTable table = SgTable.Alloc(1);
        table[0].SetPage(buffer.Page, length, 0);
        nents = 1;
        return table;
    }

    /// <summary>Frees the P2P memory of every entry of a list <see cref="AllocSgl"/> returned (<c>pci_p2pmem_free_sgl</c>).</summary>
    /// <exception cref="ArgumentException">An entry holds no P2P memory allocated from <paramref name="pdev"/>.</exception>
    public static void FreeSgl(PciDevice pdev, SgTable sgl)
    {
        ThrowIfNull(pdev, nameof(pdev));
        ThrowIfNull(sgl, nameof(sgl));
        for (int i = 0; i < sgl.Count; i++)
        {
            if (sgl[i].Page is Page page && page.Phys is PhysAddr phys && pdev.P2P.Free(phys + sgl[i].Offset))
            {
                continue;
            }

            throw new ArgumentException($"entry {i} of the list holds no P2P memory allocated from {pdev.Name}.", nameof(sgl));
        }
    }
}
