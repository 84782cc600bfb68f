using System;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace Consumer;

// A driver that programs its device with a peer's memory, with the distance, map-type and bus-offset habits.
public sealed class PeerDriver
{
    private readonly PciDevice _device;
    private readonly P2PProvider _peer;

    public PeerDriver(PciDevice device, P2PProvider peer)
    {
        _device = device;
        _peer = peer;
    }

    public PciBusAddr Doorbell(ulong offset)
    {
        ulong cpu = _peer.Bar.CpuStart.Raw + offset;
        return PciBusAddr.FromRaw(cpu);
    }

    public byte[] ReadPeer(int length)
    {
        if (PciP2PDma.Distance(_peer.Owner, _device) < 0)
        {
            return Array.Empty<byte>();
        }

        DmaAddr addr = Dma.MapResource(_device, _peer.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice);
        if (Dma.MappingError(_device, addr))
        {
            return Array.Empty<byte>();
        }

        byte[] data = _device.Topology.Fabric.Read(_device, addr, length).Data;
        Dma.UnmapResource(_device, addr, (ulong)length, DmaDirection.ToDevice);
        return data;
    }

    public byte[] ReadWithMapType(int length)
    {
        DmaAddr addr = DmaAddr.MappingError;
        switch (PciP2PDma.MapType(_peer, _device))
        {
            case P2PMapType.BusAddr:
            case P2PMapType.ThruHostBridge:
                addr = Dma.MapPhys(_device, _peer.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice, DmaAttrs.Mmio);
                break;
            case P2PMapType.None:
                break;
        }

        return Dma.MappingError(_device, addr) ? Array.Empty<byte>() : _device.Topology.Fabric.Read(_device, addr, length).Data;
    }

    public byte[] ReadOnce(int length)
    {
        P2PDmaMapping mapping = Dma.MapP2P(_device, _peer, _peer.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice);
        if (mapping.Failed)
        {
            return Array.Empty<byte>();
        }

        byte[] data = _device.Topology.Fabric.Read(_device, mapping.Address, length).Data;
        Dma.UnmapPhys(_device, mapping.Address, (ulong)length, DmaDirection.ToDevice, DmaAttrs.Mmio);
        return data;
    }
}
