using System;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Mapping;

public static partial class Dma
{
    /// <summary>
    /// Maps peer memory for a client in one call (what the 2022 discussion asked for as <c>dma_map_p2p()</c> /
    /// <c>dma_map_resource_pci()</c>): asks the map type, then gives the PCI bus address (<c>cpu + bus_offset</c>,
    /// nothing mapped) for <see cref="P2PMapType.BusAddr"/>, maps as MMIO for <see cref="P2PMapType.ThruHostBridge"/>,
    /// and fails with <see cref="DmaError.RemoteIo"/> when P2P is not supported. Check <see cref="P2PDmaMapping.Failed"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not the provider's memory.</exception>
    public static P2PDmaMapping MapP2P(PciDevice dev, P2PProvider provider, PhysAddr phys, ulong size, DmaDirection dir, DmaAttrs attrs = DmaAttrs.None)
    {
        Check.Mapping(dev, size, dir);
        Check.NotNull(provider, nameof(provider));
        if (!provider.Contains(phys, size))
        {
            throw new ArgumentOutOfRangeException(nameof(phys), $"0x{size:x} bytes at {phys} are not all inside {provider.Bar}.");
        }

        P2PMapType type = PciP2PDma.MapType(provider, dev);
        DmaAddr address = DmaAddr.MappingError;
        DmaError error = DmaError.None;
        switch (type)
        {
            case P2PMapType.BusAddr:
                address = PciP2PDma.BusAddrMap(provider, phys);
                Track(dev, address, size, dir, DmaMapFamily.P2P, busAddress: true);
                break;
            case P2PMapType.ThruHostBridge:
                address = MapRange(dev, phys, size, dir, attrs | DmaAttrs.Mmio, mmio: true);
                if (address == DmaAddr.MappingError)
                {
                    error = DmaError.Io;
                    break;
                }

                Track(dev, address, size, dir, DmaMapFamily.P2P);
                break;
            default:
                error = DmaError.RemoteIo;
                break;
        }

        return new P2PDmaMapping(dev, provider, phys, size, dir, type, address, error);
    }
}
