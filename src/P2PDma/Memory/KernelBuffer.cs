using System;
using P2PDma.Addresses;

namespace P2PDma.Memory;

/// <summary>
/// A physically contiguous buffer in RAM, as <c>kmalloc</c> or <c>dma_alloc_coherent</c> return it, with the CPU's
/// view of its bytes.
/// </summary>
public sealed class KernelBuffer
{
    private readonly SystemMemory _memory;

    internal KernelBuffer(SystemMemory memory, PhysAddr phys, ulong size)
    {
        _memory = memory;
        Phys = phys;
        Size = size;
    }

    /// <summary>The CPU physical address of the first byte.</summary>
    public PhysAddr Phys { get; }

    /// <summary>Bytes in the buffer.</summary>
    public ulong Size { get; }

    /// <summary>The page holding the first byte (<c>virt_to_page</c>).</summary>
    public Page Page => _memory.PhysToPage(Phys);

    /// <summary>The CPU physical address of byte <paramref name="offset"/> (<c>virt_to_phys</c>). Not a DMA address.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is outside the buffer.</exception>
    public PhysAddr VirtToPhys(ulong offset = 0) =>
        offset < Size ? Phys + offset : throw new ArgumentOutOfRangeException(nameof(offset), $"offset 0x{offset:x} is outside a buffer of 0x{Size:x} bytes.");

    /// <summary>Reads <paramref name="length"/> bytes from <paramref name="offset"/>, as the CPU would.</summary>
    public byte[] Read(ulong offset, int length)
    {
        CheckRange(offset, (ulong)length);
        return _memory.Read(Phys + offset, length);
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>, as the CPU would.</summary>
    public void Write(ulong offset, byte[] data)
    {
        if (data is null)
        {
            throw new ArgumentNullException(nameof(data));
        }

        CheckRange(offset, (ulong)data.Length);
        _memory.Write(Phys + offset, data);
    }

    private void CheckRange(ulong offset, ulong length)
    {
        if (offset > Size || length > Size - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"0x{length:x} bytes at offset 0x{offset:x} do not fit a buffer of 0x{Size:x} bytes.");
        }
    }
}
