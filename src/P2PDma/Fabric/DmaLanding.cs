using P2PDma.Addresses;
using P2PDma.Pci;

namespace P2PDma.Fabric;

/// <summary>Whether a device reads or writes memory.</summary>
public enum DmaAccess
{
    /// <summary>The device reads (a memory read request).</summary>
    Read,

    /// <summary>The device writes (a posted memory write).</summary>
    Write,
}

/// <summary>Why a transaction reached no memory.</summary>
public enum DmaFaultKind
{
    /// <summary>The IOMMU has no mapping for the IOVA (or not yet synced).</summary>
    IommuFault,

    /// <summary>The IOMMU mapping does not allow this access (e.g. a device write to a read-only mapping).</summary>
    IommuPermission,

    /// <summary>The root complex does not forward peer-to-peer traffic to that BAR (host bridge not allowlisted).</summary>
    PeerForwardingBlocked,

    /// <summary>Nothing claims the address: an unsupported request / master abort.</summary>
    Unclaimed,

    /// <summary>The address lies above the device's DMA mask: the device cannot emit it.</summary>
    BeyondDmaMask,
}

/// <summary>Where part of a transaction went: a RAM location, a BAR, or a fault.</summary>
/// <param name="Phys">The CPU physical address reached (for a BAR, its CPU view).</param>
/// <param name="Bar">The BAR reached, or null for RAM and faults.</param>
/// <param name="Fault">The fault, or null when memory was reached.</param>
/// <param name="Hops">How the transaction travelled, hop by hop, in words.</param>
public sealed record DmaLanding(PhysAddr Phys, PciBar? Bar, DmaFaultKind? Fault, string Hops)
{
    /// <summary>True when memory (RAM or a BAR) was reached.</summary>
    public bool Reached => Fault is null;

    /// <summary>The offset within <see cref="Bar"/> reached.</summary>
    public ulong BarOffset => Bar is null ? 0 : Phys - Bar.CpuStart;

    /// <summary>E.g. <c>gpu0 BAR0 +0x1000 via ...</c>, <c>RAM phys 0x.. via ...</c> or <c>IommuFault: ...</c>.</summary>
    public override string ToString() =>
        Fault is DmaFaultKind f ? $"{f}: {Hops}" : Bar is not null ? $"{Bar.Device.Name} BAR{Bar.Index} +0x{BarOffset:x} ({Hops})" : $"RAM {Phys} ({Hops})";
}
