using System;
using P2PDma.Addresses;
using P2PDma.P2P;

namespace P2PDma.Memory;

/// <summary>
/// A page frame (<c>struct page</c>): a RAM page, or a ZONE_DEVICE page of peer-to-peer memory whose
/// <see cref="Provider"/> is set (<c>is_pci_p2pdma_page</c>). Obtained from <see cref="SystemMemory"/>.
/// </summary>
public sealed class Page : IEquatable<Page>
{
    internal Page(ulong pfn, P2PProvider? provider)
    {
        Pfn = pfn;
        Provider = provider;
    }

    /// <summary>The page frame number.</summary>
    public ulong Pfn { get; }

    /// <summary>The CPU physical address of the page (<c>page_to_phys</c>). Not a DMA address.</summary>
    public PhysAddr Phys => PhysAddr.FromRaw(Pfn << Paging.PageShift);

    /// <summary>The P2P provider whose BAR this page belongs to (<c>page_pgmap</c>), or null for RAM.</summary>
    public P2PProvider? Provider { get; }

    /// <summary>True for peer-to-peer memory (<c>is_pci_p2pdma_page</c>).</summary>
    public bool IsP2P => Provider is not null;

    /// <inheritdoc/>
    public bool Equals(Page? other) => other is not null && other.Pfn == Pfn;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Page);

    /// <inheritdoc/>
    public override int GetHashCode() => Pfn.GetHashCode();

    /// <summary>E.g. <c>page pfn 0x100 (phys 0x100000)</c>.</summary>
    public override string ToString() => $"page pfn 0x{Pfn:x} ({Phys}){(IsP2P ? " p2p " + Provider!.Bar.Device.Name : "")}";
}
