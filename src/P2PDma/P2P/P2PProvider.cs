using P2PDma.Addresses;
using P2PDma.Pci;

namespace P2PDma.P2P;

/// <summary>
/// Peer-to-peer memory a device exposes through one memory BAR (<c>struct p2pdma_provider</c>): its owner and the
/// bus offset every CPU physical address in the BAR needs to become a PCI bus address. Obtained from
/// <see cref="PciP2PDma.Provider"/> after <see cref="PciP2PDma.Init"/>.
/// </summary>
public sealed class P2PProvider
{
    internal P2PProvider(PciBar bar)
    {
        Bar = bar;
    }

    /// <summary>The device that owns the memory (<c>provider-&gt;owner</c>).</summary>
    public PciDevice Owner => Bar.Device;

    /// <summary>The BAR the memory lives in.</summary>
    public PciBar Bar { get; }

    /// <summary>bus - cpu for the BAR (<c>provider-&gt;bus_offset</c>).</summary>
    public long BusOffset => Bar.BusOffset;

    /// <summary>True when the <paramref name="length"/> bytes at <paramref name="address"/> belong to this provider.</summary>
    public bool Contains(PhysAddr address, ulong length = 1) => Bar.Contains(address, length);

    /// <summary>E.g. <c>p2p provider gpu0 BAR0 (bus offset 0x0)</c>.</summary>
    public override string ToString() => $"p2p provider {Bar.Device.Name} BAR{Bar.Index} (bus offset {(BusOffset < 0 ? "-" : "")}0x{System.Math.Abs(BusOffset):x})";
}
