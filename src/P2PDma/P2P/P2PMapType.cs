namespace P2PDma.P2P;

/// <summary>
/// How a client device must reach a provider's memory (<c>enum pci_p2pdma_map_type</c>, values as in the kernel).
/// A non-negative distance covers both <see cref="BusAddr"/> and <see cref="ThruHostBridge"/>: only the map type
/// says how to map.
/// </summary>
public enum P2PMapType
{
    /// <summary>Not peer-to-peer memory at all (ordinary RAM): map normally (<c>PCI_P2PDMA_MAP_NONE</c>).</summary>
    None = 1,

    /// <summary>The path crosses a host bridge not known to forward P2P: mapping must fail (<c>PCI_P2PDMA_MAP_NOT_SUPPORTED</c>).</summary>
    NotSupported = 2,

    /// <summary>
    /// Both sit below one bridge with no ACS redirect: the transaction never reaches the host bridge or IOMMU, so the
    /// device gets the PCI bus address (<c>cpu + bus_offset</c>) and nothing is mapped (<c>PCI_P2PDMA_MAP_BUS_ADDR</c>).
    /// </summary>
    BusAddr = 3,

    /// <summary>The path goes through a host bridge that forwards P2P: map normally, as MMIO (<c>PCI_P2PDMA_MAP_THRU_HOST_BRIDGE</c>).</summary>
    ThruHostBridge = 4,
}
