using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>What the flow analysis knows a value to be (or, for tables and mappings, to carry).</summary>
internal enum FactKind : byte
{
    /// <summary>A CPU physical address (raw or typed).</summary>
    CpuPhys,

    /// <summary>A page frame number: shifting it left by PAGE_SHIFT gives a CPU physical address.</summary>
    Pfn,

    /// <summary>A PCI bus address.</summary>
    Bus,

    /// <summary>A DMA address that came out of a mapping call (or a DmaAddr of unknown origin).</summary>
    Dma,

    /// <summary>A DMA address that is, or may be, a PCI bus address (never to be unmapped); also carried by a P2P mapping object.</summary>
    BusDma,

    /// <summary>A scatterlist table obtained by mapping a dma-buf attachment (its pages are not valid), or an enumeration of it.</summary>
    ImportedTable,

    /// <summary>An entry of an imported table.</summary>
    ImportedEntry,

    /// <summary>A table mapped with the P2P-aware sg mapping: entries may hold bus addresses.</summary>
    P2PTable,

    /// <summary>An entry of a P2P-mapped table whose bus-address flag has not been checked.</summary>
    P2PEntry,

    /// <summary>The result of pci_p2pdma_distance or distance_many.</summary>
    Distance,

    /// <summary>
    /// A bool that holds a distance comparison (<c>bool p2p = distance &gt;= 0</c>); key <see cref="KeyKind.Possible"/>
    /// when true means "P2P possible", <see cref="KeyKind.Impossible"/> when true means "not possible".
    /// </summary>
    DistanceVerdict,

    /// <summary>A device, provider or BAR object with a known canonical path (for matching decisions to calls).</summary>
    Identity,

    /// <summary>A page of peer memory (from a BAR address).</summary>
    PeerPage,

    /// <summary>A table the code allocated itself (<c>sg_alloc_table</c>), or an enumeration of it.</summary>
    HandBuiltTable,

    /// <summary>An entry of a table the code allocated itself.</summary>
    HandBuiltEntry,

    /// <summary>
    /// A bool the code set to true where a bus address was handed out (nvme's <c>IOD_P2P_BUS_ADDR</c>): its origin is
    /// that bus address's, so that a branch on the flag being false can drop it.
    /// </summary>
    BusFlag,

    /// <summary>A BAR's or provider's bus offset: CPU physical + bus offset is a bus address (<c>pci_p2pdma_bus_addr_map</c>).</summary>
    BusOffset,

    /// <summary>DMA attributes that include <c>DmaAttrs.SkipCpuSync</c>.</summary>
    SkipCpuSyncAttrs,

    /// <summary>
    /// A map type (<c>pci_p2pdma_map_type</c>'s answer) for the provider its key names; no key: for a provider the
    /// analysis does not know. Reading one kept elsewhere (a field set at attach) counts as a decision for that provider.
    /// </summary>
    MapTypeOf,

    /// <summary>The device a map type was asked for (its key), beside <see cref="MapTypeOf"/>; none: any device.</summary>
    MapTypeClient,

    /// <summary>
    /// The number of DMA segments <c>dma_map_sg</c> returned: what the DMA side is iterated over, never the entry count
    /// an unmap or a sync of the same list takes (that is the nents given to the map call).
    /// </summary>
    SgMappedCount,

    /// <summary>Marks a parameter whose entries a helper fills with DMA addresses by hand (whole-program summary only).</summary>
    FillsEntries,
}

/// <summary>Which memory a CPU physical address points into, as far as the analysis can tell.</summary>
internal enum MemoryKind : byte
{
    Unknown,
    Bar,
    Ram,
}

/// <summary>
/// Where a fact came from: a short description and the source location, and, for a fact that crossed method
/// boundaries, the steps it took (stored into a field, passed as a parameter, returned by a method).
/// </summary>
internal sealed class Origin : IEquatable<Origin>
{
    /// <summary>A chain longer than this keeps its first steps: a message names where the value came from, not every hop.</summary>
    private const int MaxSteps = 4;

    public Origin(string what, Location location)
        : this(what, location, ImmutableArray<OriginStep>.Empty)
    {
    }

    private readonly int _hash;

    private Origin(string what, Location location, ImmutableArray<OriginStep> steps)
    {
        What = what;
        Location = location;
        Steps = steps;

        // Origins are compared often (every join, every reuse of a kept summary): the hash is computed once.
        int hash = (what.GetHashCode() * 397) ^ location.GetHashCode();
        foreach (OriginStep step in steps)
        {
            hash = (hash * 31) ^ step.GetHashCode();
        }

        _hash = hash;
    }

    public string What { get; }

    /// <summary>What an origin made by a call of <paramref name="method"/> is called (<c>Dma.MapSingle</c>).</summary>
    public static string OfCall(IMethodSymbol method) => method.ContainingType.Name + "." + method.Name;

    public Location Location { get; }

    /// <summary>Where the fact was made, whatever hops it took since: what a flag set beside it can be matched on.</summary>
    public OriginSource Source => new(What, Location);

    /// <summary>The hops across methods, oldest first; empty for a fact made in the method analysed.</summary>
    public ImmutableArray<OriginStep> Steps { get; }

    /// <summary>
    /// This origin one hop further. A hop through a node the chain already went through adds nothing, so that values
    /// that go round a cycle of fields or calls come back equal and the whole-program fixpoint ends.
    /// </summary>
    public Origin Through(OriginStep step)
    {
        foreach (OriginStep s in Steps)
        {
            if (s.Node.Equals(step.Node))
            {
                return this;
            }
        }

        return Steps.Length >= MaxSteps ? this : new Origin(What, Location, Steps.Add(step));
    }

    /// <summary>
    /// E.g. <c>PciBar.CpuStart</c>, or <c>PciBar.CpuStart, stored into AmdgpuGmc.AperBase in GmcMcInit</c>. No line
    /// numbers: a message must not change when unrelated lines move (baselines, SARIF diffs and the ruling depend on it).
    /// </summary>
    public string Describe()
    {
        if (Steps.IsEmpty)
        {
            return What;
        }

        var text = new System.Text.StringBuilder(What);
        foreach (OriginStep step in Steps)
        {
            text.Append(", ").Append(step.Text);
        }

        return text.ToString();
    }

    /// <summary>The source location and the location of every hop: a diagnostic's additional locations.</summary>
    public IEnumerable<Location> Locations()
    {
        yield return Location;
        foreach (OriginStep step in Steps)
        {
            yield return step.Location;
        }
    }

    public bool Equals(Origin? other) =>
        ReferenceEquals(this, other)
        || (other is not null && other._hash == _hash && other.What == What && other.Location == Location && other.Steps.SequenceEqual(Steps));

    public override bool Equals(object? obj) => Equals(obj as Origin);

    public override int GetHashCode() => _hash;
}

/// <summary>The place a fact was made: its description and location, without the hops it took.</summary>
internal readonly record struct OriginSource(string What, Location Location);

/// <summary>One hop of a value across a method boundary: through which node, in words, and where.</summary>
internal sealed class OriginStep : IEquatable<OriginStep>
{
    public OriginStep(SummaryNode node, string text, Location location)
    {
        Node = node;
        Text = text;
        Location = location;
    }

    public SummaryNode Node { get; }

    /// <summary>E.g. <c>stored into AmdgpuGmc.AperBase in GmcMcInit</c>.</summary>
    public string Text { get; }

    public Location Location { get; }

    public bool Equals(OriginStep? other) =>
        ReferenceEquals(this, other) || (other is not null && other.Location == Location && other.Node.Equals(Node) && other.Text == Text);

    public override bool Equals(object? obj) => Equals(obj as OriginStep);

    public override int GetHashCode() => Node.GetHashCode() ^ Location.GetHashCode();
}

/// <summary>
/// One fact about a value. <see cref="Key"/> identifies, for a CPU physical address in a BAR, which BAR or provider it
/// belongs to; for an identity, the canonical path of the object; for some kinds, their variety.
/// </summary>
internal readonly struct Fact : IEquatable<Fact>
{
    public Fact(FactKind kind, Origin origin, MemoryKind memory = MemoryKind.Unknown, FactKey key = default)
    {
        Kind = kind;
        Origin = origin;
        Memory = memory;
        Key = key;
    }

    public FactKind Kind { get; }

    public Origin Origin { get; }

    public MemoryKind Memory { get; }

    public FactKey Key { get; }

    public Fact With(FactKind kind) => new(kind, Origin, Memory, Key);

    /// <summary>
    /// This fact as it arrives in another method through <paramref name="step"/>. An object key whose path starts at a
    /// local or a parameter means nothing in another method: it is dropped (a decision elsewhere then counts for any
    /// provider: silence, not a guess). Paths from <c>this</c> or a static member, and the other keys, travel.
    /// </summary>
    public Fact Through(OriginStep step) =>
        new(Kind, Origin.Through(step), Memory, Key.Travels ? Key.Travelled() : default);

    public bool Equals(Fact other) => Kind == other.Kind && Memory == other.Memory && Key.Equals(other.Key) && Origin.Equals(other.Origin);

    public override bool Equals(object? obj) => obj is Fact other && Equals(other);

    public override int GetHashCode() => ((int)Kind * 31 + (int)Memory) ^ Origin.GetHashCode() ^ Key.GetHashCode();
}
