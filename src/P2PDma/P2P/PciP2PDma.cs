using System;
using System.Collections.Generic;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PDma.P2P;

/// <summary>
/// The PCI peer-to-peer DMA API (drivers/pci/p2pdma.c, include/linux/pci-p2pdma.h): providers, map types, distances
/// and the bus-address map. Map types are computed as <c>calc_map_type_and_dist</c> does and cached per pair.
/// </summary>
public static partial class PciP2PDma
{
    /// <summary>
    /// Creates one provider per memory BAR of <paramref name="pdev"/> (<c>pcim_p2pdma_init</c>). Idempotent.
    /// </summary>
    public static DmaError Init(PciDevice pdev)
    {
        ThrowIfNull(pdev, nameof(pdev));
        pdev.P2P.Initialize();
        return DmaError.None;
    }

    /// <summary>
    /// The provider for BAR <paramref name="bar"/> (<c>pcim_p2pdma_provider</c>); null before <see cref="Init"/> or
    /// when the device has no such memory BAR.
    /// </summary>
    public static P2PProvider? Provider(PciDevice pdev, int bar)
    {
        ThrowIfNull(pdev, nameof(pdev));
        return pdev.P2P.Provider(bar);
    }

    /// <summary>
    /// Publishes <paramref name="size"/> bytes of BAR <paramref name="bar"/> from <paramref name="offset"/> with struct
    /// pages (<c>pci_p2pdma_add_resource</c>; size 0 means the rest of the BAR), so that
    /// <see cref="SystemMemory.PhysToPage"/> returns P2P pages for it.
    /// </summary>
    public static DmaError AddResource(PciDevice pdev, int bar, ulong size = 0, ulong offset = 0)
    {
        ThrowIfNull(pdev, nameof(pdev));
        PciBar? resource = null;
        foreach (PciBar b in pdev.Bars)
        {
            resource = b.Index == bar ? b : resource;
        }

        if (resource is null || offset >= resource.Size)
        {
            return DmaError.Invalid;
        }

        size = size == 0 ? resource.Size - offset : size;
        if (size > resource.Size - offset)
        {
            return DmaError.Invalid;
        }

        pdev.P2P.Initialize();
        return pdev.P2P.Publish(new PhysRange(resource.CpuStart + offset, size)) ? DmaError.None : DmaError.Invalid;
    }

    /// <summary>
    /// How <paramref name="client"/> must reach <paramref name="provider"/>'s memory (<c>pci_p2pdma_map_type</c>);
    /// <see cref="P2PMapType.NotSupported"/> for a null provider and for a client that is not a PCI function
    /// (<c>!dev_is_pci(dev)</c>: unlike the distance, the map type does not look at the client's PCI parent).
    /// </summary>
    public static P2PMapType MapType(P2PProvider? provider, Device client)
    {
        ThrowIfNull(client, nameof(client));
        return provider is null || client is not PciDevice pci ? P2PMapType.NotSupported : Describe(provider.Owner, pci).MapType;
    }

    /// <summary>
    /// The distance between <paramref name="provider"/> and <paramref name="client"/>, or -1 when P2P is not supported
    /// (<c>pci_p2pdma_distance</c>). A non-negative distance says P2P is possible, not how to map: ask <see cref="MapType"/>.
    /// </summary>
    public static int Distance(PciDevice provider, Device client) => DistanceMany(provider, new[] { client });

    /// <summary>
    /// The summed distance to every client, or -1 when any is unsupported or the list is empty
    /// (<c>pci_p2pdma_distance_many</c>). A client that is not a PCI function is measured from its nearest PCI parent
    /// (<c>find_parent_pci_dev</c>); one without any is unsupported.
    /// </summary>
    public static int DistanceMany(PciDevice provider, IReadOnlyList<Device> clients)
    {
        ThrowIfNull(provider, nameof(provider));
        ThrowIfNull(clients, nameof(clients));
        if (clients.Count == 0)
        {
            return -1;
        }

        int total = 0;
        foreach (Device client in clients)
        {
            ThrowIfNull(client, nameof(clients));
            if (client.NearestPciDevice() is not PciDevice pci)
            {
                return -1; // "cannot be used for peer-to-peer DMA as it is not a PCI device"
            }

            P2PPath path = Describe(provider, pci);
            if (path.MapType == P2PMapType.NotSupported)
            {
                return -1;
            }

            total += path.Distance;
        }

        return total;
    }

    /// <summary>The full result of the map-type calculation for the pair, with the kernel's explanation. Cached.</summary>
    public static P2PPath Describe(PciDevice provider, PciDevice client)
    {
        ThrowIfNull(provider, nameof(provider));
        ThrowIfNull(client, nameof(client));
        if (provider.Topology != client.Topology)
        {
            throw new ArgumentException($"{provider} and {client} belong to different topologies.", nameof(client));
        }

        return provider.P2P.PathTo(client);
    }

    /// <summary>
    /// Classifies <paramref name="page"/> for <paramref name="dev"/> (<c>pci_p2pdma_state</c>): <see cref="P2PMapType.None"/>
    /// for RAM; for a P2P page, the provider's map type, remembered in <paramref name="state"/> with its bus offset.
    /// </summary>
    public static P2PMapType State(P2PMapState state, PciDevice dev, Page page)
    {
        ThrowIfNull(state, nameof(state));
        ThrowIfNull(dev, nameof(dev));
        ThrowIfNull(page, nameof(page));
        if (page.Provider is not P2PProvider provider)
        {
            return P2PMapType.None;
        }

        if (state.Provider != provider)
        {
            state.Provider = provider;
            state.Map = MapType(provider, dev);
            state.BusOffset = provider.BusOffset;
        }

        return state.Map;
    }

    /// <summary>
    /// The DMA address of provider memory for a client that reaches it by bus address: <c>paddr + bus_offset</c>
    /// (<c>pci_p2pdma_bus_addr_map</c>). Only for <see cref="P2PMapType.BusAddr"/>; never unmapped. Like the kernel it
    /// only adds the offset (wrapping at 2^64): it does not check that <paramref name="paddr"/> is the provider's
    /// memory, so an address outside the BAR gives an address outside the BAR's bus range.
    /// </summary>
    public static DmaAddr BusAddrMap(P2PProvider provider, PhysAddr paddr)
    {
        ThrowIfNull(provider, nameof(provider));
        return DmaAddr.FromRaw(unchecked(paddr.Raw + (ulong)provider.BusOffset));
    }

    private static void ThrowIfNull(object? value, string name)
    {
        if (value is null)
        {
            throw new ArgumentNullException(name);
        }
    }
}
