using P2PAnalyzers.Tests.Kernel;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// The kernel writes nearly every address it gives a device through a byte-order or width helper
/// (<c>desc-&gt;addr = cpu_to_le32(mapping)</c>, <c>lower_32_bits(dma)</c>); a driver in C# keeps them as small methods
/// of its own, often in a file of their own. Such a helper hands the address back as a cast would: the rules follow the
/// address through it, and giving the address to it neither checks, nor unmaps, nor hands on the mapping. A trial on
/// ll_temac found every unchecked mapping missed through its cpu_to_be32 before.
/// </summary>
public sealed class ByteOrderHelperTests
{
    private const string ByteOrder = """
        static class ByteOrder
        {
            public static uint CpuToLe32(ulong v) => (uint)(v & 0xffffffff);
            public static ulong CpuToLe64(ulong v) => v;
            public static uint Lower32Bits(ulong n) => (uint)(n & 0xffffffff);
            public static uint Upper32Bits(ulong n) => (uint)((n >> 16) >> 16);
        }
        """;

    // A TX ring as a network driver keeps it: the hardware descriptor takes the address in device byte order, the
    // software ring keeps the DmaAddr for the completion's unmap.
    private const string Ring = """
        sealed class TxDesc { [DmaAddress] public uint AddrLo; public uint AddrHi; public uint Ctrl; }

        sealed class TxBuffer { public DmaAddr Mapping; public uint Len; }

        sealed class Nic
        {
            public PciDevice Dev = null!;
            public TxDesc[] TxRing = new TxDesc[64];
            public TxBuffer[] TxBuffers = new TxBuffer[64];
        }

        static partial class Driver
        {
            static void TxComplete(Nic nic, int entry)
            {
                TxBuffer tb = nic.TxBuffers[entry];
                Dma.UnmapSingle(nic.Dev, tb.Mapping, tb.Len, DmaDirection.ToDevice);
            }
        }
        """;

    [Fact]
    public Task UncheckedMappingWrittenThroughCpuToLe32_Reports() => KernelVerify.RunAsync(ByteOrder, Ring, """
        static partial class Driver
        {
            static int StartXmit(Nic nic, KernelBuffer skb, uint len, int entry)
            {
                DmaAddr mapping = {|P2P0020:Dma.MapSingle(nic.Dev, skb, 0, len, DmaDirection.ToDevice)|};
                nic.TxBuffers[entry].Mapping = mapping;
                nic.TxBuffers[entry].Len = len;
                nic.TxRing[entry].AddrLo = ByteOrder.CpuToLe32(ByteOrder.Lower32Bits(mapping.Raw));
                nic.TxRing[entry].AddrHi = ByteOrder.CpuToLe32(ByteOrder.Upper32Bits(mapping.Raw));
                return 0;
            }
        }
        """);

    // As 8139cp keeps it: the descriptor is the only record, and the completion unmaps what it reads back from it.
    [Fact]
    public Task UncheckedMappingKeptOnlyInTheDescriptor_Reports() => KernelVerify.RunAsync(ByteOrder, """
        sealed class TxDesc { [DmaAddress] public uint Addr; public uint Opts1; }

        sealed class Cp
        {
            public PciDevice Pdev = null!;
            public TxDesc[] TxRing = new TxDesc[64];
        }

        static class Rtl8139Cp
        {
            static uint Le32ToCpu(uint v) => v;

            static void Tx(Cp cp, int entry, uint len)
            {
                TxDesc txd = cp.TxRing[entry];
                Dma.UnmapSingle(cp.Pdev, DmaAddr.FromRaw(Le32ToCpu(txd.Addr)), len, DmaDirection.ToDevice);
            }

            static int StartXmit(Cp cp, KernelBuffer skb, uint len, int entry)
            {
                DmaAddr mapping = {|P2P0020:Dma.MapSingle(cp.Pdev, skb, 0, len, DmaDirection.ToDevice)|};
                TxDesc txd = cp.TxRing[entry];
                txd.Addr = ByteOrder.CpuToLe32(mapping.Raw);
                txd.Opts1 = ByteOrder.CpuToLe32(len);
                return 0;
            }
        }
        """);

    [Fact]
    public Task CheckedMappingWrittenThroughCpuToLe32_NoDiagnostic() => KernelVerify.RunAsync(ByteOrder, Ring, """
        static partial class Driver
        {
            static int StartXmit(Nic nic, KernelBuffer skb, uint len, int entry)
            {
                DmaAddr mapping = Dma.MapSingle(nic.Dev, skb, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(nic.Dev, mapping))
                {
                    return -12;
                }

                nic.TxBuffers[entry].Mapping = mapping;
                nic.TxBuffers[entry].Len = len;
                nic.TxRing[entry].AddrLo = ByteOrder.CpuToLe32(ByteOrder.Lower32Bits(mapping.Raw));
                nic.TxRing[entry].AddrHi = ByteOrder.CpuToLe32(ByteOrder.Upper32Bits(mapping.Raw));
                return 0;
            }
        }
        """);

    // The address given only to a width helper, then an error return: the helper kept nothing, the mapping leaks.
    [Fact]
    public Task MisalignedAddressRejectedAfterLower32Bits_Leaks() => KernelVerify.RunAsync(ByteOrder, Ring, """
        static partial class Driver
        {
            static int StartXmit(Nic nic, KernelBuffer skb, uint len, int entry)
            {
                DmaAddr mapping = {|P2P0022:Dma.MapSingle(nic.Dev, skb, 0, len, DmaDirection.ToDevice)|};
                if (Dma.MappingError(nic.Dev, mapping))
                {
                    return -12;
                }

                if ((ByteOrder.Lower32Bits(mapping.Raw) & 3) != 0)
                {
                    return -22;
                }

                nic.TxBuffers[entry].Mapping = mapping;
                nic.TxBuffers[entry].Len = len;
                nic.TxRing[entry].AddrLo = ByteOrder.CpuToLe32(mapping.Raw);
                return 0;
            }
        }
        """);

    // A CPU physical address written into the descriptor through the helper is not a DMA address any more than
    // without it.
    [Fact]
    public Task PhysicalAddressWrittenThroughCpuToLe32_Reports() => KernelVerify.RunAsync(ByteOrder, Ring, """
        static partial class Driver
        {
            static int StartXmit(Nic nic, KernelBuffer skb, uint len, int entry)
            {
                PhysAddr phys = skb.VirtToPhys();
                nic.TxRing[entry].AddrLo = {|P2P0001:ByteOrder.CpuToLe32(phys.Raw)|};
                return 0;
            }
        }
        """);

    // lower_32_bits written with the type's own mask, and cpu_to_le32 written endian-correct as .NET code writes it: both
    // are byte-order helpers, and the unchecked mapping written through them is reported.
    [Theory]
    [InlineData("public static uint Lower32Bits(ulong n) => (uint)(n & uint.MaxValue);", "ByteOrder.Lower32Bits(mapping.Raw)")]
    [InlineData("public static uint CpuToLe32(uint v) => System.BitConverter.IsLittleEndian ? v : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);", "ByteOrder.CpuToLe32((uint)mapping.Raw)")]
    public Task UncheckedMappingThroughAnotherFormOfTheHelper_Reports(string helper, string written) => KernelVerify.RunAsync(
        "static class ByteOrder\n{\n    " + helper + "\n}\n", """
        sealed class TxDesc { [DmaAddress] public uint AddrLo; }

        static class Driver
        {
            static int StartXmit(PciDevice dev, TxDesc desc, KernelBuffer skb, uint len)
            {
                DmaAddr mapping = {|P2P0020:Dma.MapSingle(dev, skb, 0, len, DmaDirection.ToDevice)|};
                desc.AddrLo = WRITTEN;
                return 0;
            }
        }
        """.Replace("WRITTEN", written));

    // A hook the base ring leaves as the identity and a derived ring overrides to keep the mapping for its completion:
    // the call may dispatch to the override, so the virtual identity is no byte-order helper and the mapping is handed on.
    [Fact]
    public Task VirtualIdentityOverriddenToKeepTheMapping_NoDiagnostic() => KernelVerify.RunAsync("""
        class TxRing
        {
            public virtual DmaAddr Track(DmaAddr addr) => addr;
        }

        sealed class TrackedRing : TxRing
        {
            public DmaAddr Last;

            public override DmaAddr Track(DmaAddr addr)
            {
                Last = addr;
                return addr;
            }
        }

        static class Driver
        {
            static int Xmit(PciDevice dev, TxRing ring, KernelBuffer skb, uint len)
            {
                DmaAddr mapping = Dma.MapSingle(dev, skb, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, mapping))
                {
                    return -12;
                }

                ring.Track(mapping);
                return 0;
            }
        }
        """);
}
