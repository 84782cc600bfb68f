using System.Collections.Generic;
using System.Text;
using P2PDma.Addresses;
using P2PDma.Pci;

namespace FabricDemo;

/// <summary>
/// The buffer the GPU exports: the first <see cref="Size"/> bytes of its VRAM BAR, stamped with recognisable text so
/// that whoever reads it can tell whether it got the right memory.
/// </summary>
internal sealed class VramBuffer
{
    public VramBuffer(PciBar bar, ulong size)
    {
        Bar = bar;
        Size = size;
        Contents = Stamp(bar, $"{bar.Device.Name} VRAM ", size);
    }

    /// <summary>The exporting GPU.</summary>
    public PciDevice Gpu => Bar.Device;

    /// <summary>The VRAM BAR the buffer lives in.</summary>
    public PciBar Bar { get; }

    /// <summary>Bytes in the buffer.</summary>
    public ulong Size { get; }

    /// <summary>What the CPU wrote into the buffer: what an importer must read back.</summary>
    public byte[] Contents { get; }

    /// <summary>
    /// The CPU physical ranges backing the buffer: amdgpu's drm_buddy blocks, VFIO's phys_vec. One range here, at the
    /// start of the BAR.
    /// </summary>
    public IReadOnlyList<PhysRange> Blocks => new[] { new PhysRange(Bar.CpuStart, Size) };

    /// <summary>
    /// Writes <paramref name="label"/> over and over into the first <paramref name="length"/> bytes of
    /// <paramref name="bar"/>, as the CPU would through the BAR (<c>memcpy_toio</c>), and returns the bytes written.
    /// </summary>
    public static byte[] Stamp(PciBar bar, string label, ulong length)
    {
        var text = new StringBuilder();
        while ((ulong)text.Length < length)
        {
            text.Append(label);
        }

        byte[] bytes = Encoding.ASCII.GetBytes(text.ToString(0, (int)length));
        bar.Device.Topology.Memory.Write(bar.CpuStart, bytes);
        return bytes;
    }
}
