using System;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace Samples.ArmHostBridgeDriver;

/// <summary>
/// A driver for an ARM or POWER system, whose host bridge translates CPU physical to PCI bus addresses. It tells its
/// device where a peer's doorbell and buffer are, with the habits that only work where bus equals CPU address.
/// </summary>
public sealed class PeerDoorbellDriver
{
    private readonly PciDevice _device;
    private readonly P2PProvider _peer;

    public PeerDoorbellDriver(PciDevice device, P2PProvider peer)
    {
        _device = device;
        _peer = peer;
    }

    /// <summary>The peer's doorbell, as a bus address the device can write: the bus offset is forgotten.</summary>
    public PciBusAddr Doorbell(ulong offset)
    {
        ulong cpu = _peer.Bar.CpuStart.Raw + offset;
        return PciBusAddr.FromRaw(cpu);
    }

    /// <summary>Maps the peer buffer after checking only that P2P is possible (the xe and 2022 VFIO habit).</summary>
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

    /// <summary>Asks the map type, but sends bus-address peers down the mapping path and forgets NotSupported.</summary>
    public DmaAddr MapForDevice(ulong length)
    {
        DmaAddr addr = DmaAddr.MappingError;
        switch (PciP2PDma.MapType(_peer, _device))
        {
            case P2PMapType.BusAddr:
            case P2PMapType.ThruHostBridge:
                addr = Dma.MapPhys(_device, _peer.Bar.CpuStart, length, DmaDirection.ToDevice, DmaAttrs.Mmio);
                break;
            case P2PMapType.None:
                break;
        }

        return addr;
    }

    /// <summary>Maps with the P2P call, then unmaps the address as if it were always an IOVA (pre-IOD_P2P_BUS_ADDR nvme).</summary>
    public byte[] ReadPeerOnce(int length)
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
