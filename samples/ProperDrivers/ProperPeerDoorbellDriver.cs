using System;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace Samples.ProperDrivers;

/// <summary>The ARM/POWER driver done properly: bus addresses from the BAR, and mappings that ask the map type.</summary>
public sealed class ProperPeerDoorbellDriver
{
    private readonly PciDevice _device;
    private readonly P2PProvider _peer;

    public ProperPeerDoorbellDriver(PciDevice device, P2PProvider peer)
    {
        _device = device;
        _peer = peer;
    }

    /// <summary>The peer's doorbell as a PCI bus address: the BAR applies the host bridge's bus offset.</summary>
    public PciBusAddr Doorbell(ulong offset) => _peer.Bar.BusAddressOf(_peer.Bar.CpuStart + offset);

    /// <summary>One call resolves the map type and bus offset; the mapping undoes itself.</summary>
    public byte[]? ReadPeer(int length)
    {
        P2PDmaMapping mapping = Dma.MapP2P(_device, _peer, _peer.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice);
        if (mapping.Failed)
        {
            return null;
        }

        var transfer = _device.Topology.Fabric.Read(_device, mapping.Address, length);
        mapping.Unmap();
        return transfer.Succeeded ? transfer.Data : null;
    }

    /// <summary>Every map type gets its own path, as blk_dma_map_iter_start does.</summary>
    public DmaAddr MapForDevice(ulong length)
    {
        switch (PciP2PDma.MapType(_peer, _device))
        {
            case P2PMapType.BusAddr:
                return PciP2PDma.BusAddrMap(_peer, _peer.Bar.CpuStart);
            case P2PMapType.ThruHostBridge:
                return Dma.MapPhys(_device, _peer.Bar.CpuStart, length, DmaDirection.ToDevice, DmaAttrs.Mmio);
            default:
                throw new DmaMappingException(DmaError.RemoteIo);
        }
    }
}
