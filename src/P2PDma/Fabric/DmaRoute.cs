using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.Pci;

namespace P2PDma.Fabric;

/// <summary>One contiguous piece of a routed transaction and where it landed.</summary>
/// <param name="Start">The DMA address the piece starts at.</param>
/// <param name="Length">Bytes in the piece.</param>
/// <param name="Landing">Where the piece went.</param>
public sealed record DmaRouteSegment(DmaAddr Start, ulong Length, DmaLanding Landing);

/// <summary>
/// Where a device's DMA to <see cref="Address"/> goes, page by page: decoded as a bus address by a switch, translated
/// by the IOMMU at the root complex, or faulting.
/// </summary>
public sealed class DmaRoute
{
    internal DmaRoute(PciDevice initiator, DmaAddr address, ulong length, DmaAccess access, IReadOnlyList<DmaRouteSegment> segments)
    {
        Initiator = initiator;
        Address = address;
        Length = length;
        Access = access;
        Segments = segments;
    }

    /// <summary>The device that issued the transaction.</summary>
    public PciDevice Initiator { get; }

    /// <summary>The DMA address the device was programmed with.</summary>
    public DmaAddr Address { get; }

    /// <summary>Bytes in the transaction.</summary>
    public ulong Length { get; }

    /// <summary>Read or write.</summary>
    public DmaAccess Access { get; }

    /// <summary>The pieces, in address order.</summary>
    public IReadOnlyList<DmaRouteSegment> Segments { get; }

    /// <summary>True when every byte reached memory.</summary>
    public bool Succeeded => Segments.All(s => s.Landing.Reached);

    /// <summary>The first fault, or null.</summary>
    public DmaLanding? Fault => Segments.Select(s => s.Landing).FirstOrDefault(l => !l.Reached);

    /// <summary>True when the whole transaction reached <paramref name="bar"/> starting at <paramref name="offset"/>, contiguously.</summary>
    public bool LandsOn(PciBar bar, ulong offset) => LandsAt(bar.CpuStart + offset, bar);

    /// <summary>True when the whole transaction reached RAM starting at <paramref name="phys"/>, contiguously.</summary>
    public bool LandsInRam(PhysAddr phys) => LandsAt(phys, null);

    /// <summary>Each piece and where it landed, one per line.</summary>
    public override string ToString() =>
        $"{Initiator.Name} {Access} {Address} len 0x{Length:x}:\n" + string.Join("\n", Segments.Select(s => $"  {s.Start} +0x{s.Length:x} -> {s.Landing}"));

    private bool LandsAt(PhysAddr phys, PciBar? bar)
    {
        ulong done = 0;
        foreach (DmaRouteSegment s in Segments)
        {
            if (!s.Landing.Reached || s.Landing.Bar != bar || s.Landing.Phys != phys + done)
            {
                return false;
            }

            done += s.Length;
        }

        return done == Length;
    }
}

/// <summary>A transaction that was routed and, where it reached memory, moved its bytes.</summary>
/// <param name="Route">Where it went.</param>
/// <param name="Data">For a read that succeeded, the bytes read; otherwise empty.</param>
public sealed record DmaTransfer(DmaRoute Route, byte[] Data)
{
    /// <summary>True when every byte reached memory and moved.</summary>
    public bool Succeeded => Route.Succeeded;
}
