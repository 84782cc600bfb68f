namespace P2PDma.P2P;

/// <summary>
/// Caches the map type of the last provider seen while walking a list of pages (<c>struct pci_p2pdma_map_state</c>),
/// filled by <see cref="PciP2PDma.State"/>.
/// </summary>
public sealed class P2PMapState
{
    /// <summary>The provider of the last P2P page classified, or null.</summary>
    public P2PProvider? Provider { get; internal set; }

    /// <summary>The map type of <see cref="Provider"/> for the client device.</summary>
    public P2PMapType Map { get; internal set; } = P2PMapType.None;

    /// <summary>The bus offset of <see cref="Provider"/>.</summary>
    public long BusOffset { get; internal set; }
}
