using System;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.Pci;

namespace P2PDma.Mapping;

public static partial class Dma
{
    /// <summary>
    /// Reserves an IOVA range for <paramref name="size"/> bytes starting like <paramref name="phys"/> within its page
    /// (<c>dma_iova_try_alloc</c>). False under dma-direct: then map each range with <see cref="MapPhys"/>.
    /// </summary>
    public static bool IovaTryAlloc(PciDevice dev, DmaIovaState state, PhysAddr phys, ulong size)
    {
        Check.Mapping(dev, size, DmaDirection.Bidirectional);
        Check.NotNull(state, nameof(state));
        state.Size = 0;
        if (dev.IommuDomain is not IommuDomain domain)
        {
            return false;
        }

        ulong? iova = domain.AllocIova(phys.PageOffset + size, dev.DmaMask);
        if (iova is null)
        {
            return false;
        }

        state.IovaBase = iova.Value;
        state.Addr = DmaAddr.FromRaw(iova.Value + phys.PageOffset);
        state.Size = size;
        return true;
    }

    /// <summary>True when <paramref name="state"/> holds an IOVA range (<c>dma_use_iova</c>).</summary>
    public static bool UseIova(DmaIovaState state)
    {
        Check.NotNull(state, nameof(state));
        return state.Size != 0;
    }

    /// <summary>
    /// Maps <paramref name="size"/> bytes at <paramref name="phys"/> at <paramref name="offset"/> into the range
    /// (<c>dma_iova_link</c>). Not visible to the device until <see cref="IovaSync"/>.
    /// </summary>
    public static DmaError IovaLink(PciDevice dev, DmaIovaState state, PhysAddr phys, ulong offset, ulong size, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        Check.Mapping(dev, size, dir);
        Check.NotNull(state, nameof(state));
        if (!UseIova(state) || offset > state.Size || size > state.Size - offset)
        {
            return DmaError.Invalid;
        }

        ulong at = state.Addr.Raw + offset;
        if ((at & (Paging.PageSize - 1)) != phys.PageOffset)
        {
            return DmaError.Invalid;
        }

        dev.IommuDomain!.Map(at & ~(Paging.PageSize - 1), phys.PageAlignDown(), phys.PageOffset + size, IommuDomain.ProtFor(dir, attrs), synced: false);
        Track(dev, DmaAddr.FromRaw(at), size, dir, DmaMapFamily.Iova, errorChecked: true);
        return DmaError.None;
    }

    /// <summary>Makes linked mappings visible to the device (<c>dma_iova_sync</c>: flushes the IOTLB).</summary>
    public static DmaError IovaSync(PciDevice dev, DmaIovaState state, ulong offset, ulong size)
    {
        Check.NotNull(dev, nameof(dev));
        Check.NotNull(state, nameof(state));
        if (!UseIova(state) || offset > state.Size || size > state.Size - offset)
        {
            return DmaError.Invalid;
        }

        dev.IommuDomain!.Sync(state.Addr.Raw + offset, size);
        return DmaError.None;
    }

    /// <summary>Unmaps part of the range, keeping the IOVA space (<c>dma_iova_unlink</c>).</summary>
    public static void IovaUnlink(PciDevice dev, DmaIovaState state, ulong offset, ulong size, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        Check.Mapping(dev, size, dir);
        Check.NotNull(state, nameof(state));
        if (!UseIova(state) || offset > state.Size || size > state.Size - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"0x{size:x} bytes at offset 0x{offset:x} lie outside the IOVA range of 0x{state.Size:x} bytes.");
        }

        var at = DmaAddr.FromRaw(state.Addr.Raw + offset);
        dev.Topology.DmaDebug.OnUnmapRange(dev, at, size, DmaMapFamily.Iova);
        dev.IommuDomain!.Unmap(at.PageAlignDown().Raw, at.PageOffset + size);
    }

    /// <summary>Unlinks the first <paramref name="mappedLength"/> bytes and frees the range (<c>dma_iova_destroy</c>).</summary>
    public static void IovaDestroy(PciDevice dev, DmaIovaState state, ulong mappedLength, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        if (mappedLength > 0)
        {
            IovaUnlink(dev, state, 0, mappedLength, dir, attrs);
        }

        IovaFree(dev, state);
    }

    /// <summary>Frees the IOVA range without unlinking (<c>dma_iova_free</c>).</summary>
    public static void IovaFree(PciDevice dev, DmaIovaState state)
    {
        Check.NotNull(dev, nameof(dev));
        Check.NotNull(state, nameof(state));
        if (UseIova(state))
        {
            dev.IommuDomain!.FreeIova(state.IovaBase);
            state.Size = 0;
        }
    }
}
