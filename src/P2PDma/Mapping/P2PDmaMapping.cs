using System;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Mapping;

/// <summary>
/// The result of <see cref="Dma.MapP2P"/>: the DMA address to program the device with, how it was obtained, and how to
/// undo it. Check <see cref="Failed"/> before using <see cref="Address"/>, as the kernel requires for every mapping.
/// </summary>
public sealed class P2PDmaMapping
{
    private readonly DmaError _error;
    private bool _unmapped;

    internal P2PDmaMapping(PciDevice device, P2PProvider provider, PhysAddr phys, ulong size, DmaDirection direction,
        P2PMapType mapType, DmaAddr address, DmaError error)
    {
        Device = device;
        Provider = provider;
        Phys = phys;
        Size = size;
        Direction = direction;
        MapType = mapType;
        Address = address;
        _error = error;
    }

    /// <summary>The client device the address is for.</summary>
    public PciDevice Device { get; }

    /// <summary>The provider whose memory is mapped.</summary>
    public P2PProvider Provider { get; }

    /// <summary>The CPU physical address that was mapped.</summary>
    public PhysAddr Phys { get; }

    /// <summary>Bytes mapped.</summary>
    public ulong Size { get; }

    /// <summary>The direction of the mapping.</summary>
    public DmaDirection Direction { get; }

    /// <summary>How the device reaches the memory: bus address, through the host bridge, or not at all.</summary>
    public P2PMapType MapType { get; }

    /// <summary>
    /// The DMA address: the PCI bus address for <see cref="P2PMapType.BusAddr"/>, an MMIO mapping through the host bridge
    /// for <see cref="P2PMapType.ThruHostBridge"/>, <see cref="DmaAddr.MappingError"/> on failure.
    /// </summary>
    public DmaAddr Address { get; }

    /// <summary>Why the mapping failed (<see cref="DmaError.RemoteIo"/> for an unsupported peer); reading it counts as the error check.</summary>
    public DmaError Error
    {
        get
        {
            Device.Topology.DmaDebug.OnMappingErrorCheck(Device, Address);
            return _error;
        }
    }

    /// <summary>True when the mapping failed; reading it counts as the error check (<c>dma_mapping_error</c>).</summary>
    public bool Failed => Error != DmaError.None;

    /// <summary>True when <see cref="Address"/> is a PCI bus address: nothing was mapped, so nothing will be unmapped.</summary>
    public bool IsBusAddress => MapType == P2PMapType.BusAddr && _error == DmaError.None;

    /// <summary>
    /// Undoes the mapping: unmaps an MMIO mapping, and only forgets a bus address (bus addresses are never unmapped).
    /// </summary>
    /// <exception cref="InvalidOperationException">The mapping failed, so there is nothing to undo.</exception>
    public void Unmap()
    {
        if (_error != DmaError.None)
        {
            throw new InvalidOperationException($"The P2P mapping of {Phys} failed ({_error}); there is nothing to unmap.");
        }

        if (_unmapped)
        {
            Device.Topology.DmaDebug.OnUnmap(Device, Address, Size, Direction, DmaMapFamily.P2P, knowsBusAddress: true);
            return;
        }

        _unmapped = true;
        Device.Topology.DmaDebug.OnUnmap(Device, Address, Size, Direction, DmaMapFamily.P2P, knowsBusAddress: true);
        if (!IsBusAddress)
        {
            Dma.UnmapRange(Device, Address, Size);
        }
    }

    /// <summary>E.g. <c>BusAddr mapping of phys 0x.. for nic0 at dma 0x..</c>.</summary>
    public override string ToString() =>
        _error == DmaError.None ? $"{MapType} mapping of {Phys} for {Device.Name} at {Address}" : $"failed mapping of {Phys} for {Device.Name}: {_error}";
}
