namespace P2PAnalyzers.Corpus;

/// <summary>The types every generated driver file shares (one file of the corpus, referenced from the others).</summary>
internal static class DriverCommon
{
    public const string Path = "Drivers/Common/CommonTypes.cs";

    public const string Text = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;

        namespace Drivers.Common;

        public enum BlkStatus
        {
            Ok,
            Invalid,
            Resource,
        }

        /// <summary>phys_vec: a CPU physical range of a request.</summary>
        public struct PhysVec
        {
            public PhysAddr Paddr;
            public ulong Len;
        }

        /// <summary>blk_dma_iter</summary>
        public sealed class BlkDmaIter
        {
            public DmaAddr Addr;
            public ulong Len;
            public P2PMapState P2PDma = new P2PMapState();
            public BlkStatus Status;
        }

        /// <summary>A hardware descriptor as a queue keeps it.</summary>
        public struct HwDescriptor
        {
            public DmaAddr Addr;
            public uint Length;
            public ushort Flags;
            public ushort Opcode;
        }

        /// <summary>A device ring that takes DMA addresses.</summary>
        public sealed class HwRing
        {
            public void Post([DmaAddress] ulong address, ulong length)
            {
            }

            public void Doorbell(uint tail)
            {
            }
        }

        /// <summary>Registers of a DMA engine.</summary>
        public sealed class DescriptorRegs
        {
            [DmaAddress]
            public ulong CompletionBase { get; set; }

            public void WriteDescriptorBase([DmaAddress] ulong address)
            {
            }
        }

        /// <summary>A NIC register that takes the PCI bus address of a peer's doorbell.</summary>
        public sealed class PeerDoorbellRegs
        {
            public void SetPeerDoorbell([PciBusAddress] ulong doorbell)
            {
            }
        }

        public static class DriverLog
        {
            public static void Debug(string format, params object[] args)
            {
            }

            public static void Error(string what, int code)
            {
            }
        }
        """;
}
