using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace P2PAnalyzers.Analysis;

/// <summary>A decision on the map type for a (provider, device) pair: a <c>pci_p2pdma_map_type</c>-style query.</summary>
internal readonly record struct MapTypeDecision(FactKey Provider, FactKey Device);

/// <summary>
/// The analysis state at one program point: the facts of every tracked location (may: joined by union) and the
/// map-type decisions made on every path here (must: joined by intersection; null stands for "not reached yet").
/// </summary>
internal sealed class FlowState
{
    public static readonly FlowState Entry = new(ImmutableDictionary<AccessPath, FlowValue>.Empty, ImmutableHashSet<MapTypeDecision>.Empty);

    public FlowState(ImmutableDictionary<AccessPath, FlowValue> values, ImmutableHashSet<MapTypeDecision>? decisions)
        : this(values, decisions, ImmutableHashSet<OriginSource>.Empty)
    {
    }

    private FlowState(ImmutableDictionary<AccessPath, FlowValue> values, ImmutableHashSet<MapTypeDecision>? decisions, ImmutableHashSet<OriginSource> notBus)
    {
        Values = values;
        Decisions = decisions;
        NotBus = notBus;
    }

    /// <summary>
    /// The bus addresses (by where they were made) known not to be here on every path: a flag set beside them tested
    /// false (nvme's <c>IOD_P2P_BUS_ADDR</c>). Must: joined by intersection. What keeps a bus address kept in a field
    /// and the flag kept beside it, both read in a completion callback, apart from an unmap.
    /// </summary>
    public ImmutableHashSet<OriginSource> NotBus { get; }

    public FlowState WithoutBus(System.Collections.Generic.IEnumerable<OriginSource> sources) => new(Values, Decisions, NotBus.Union(sources));

    public ImmutableDictionary<AccessPath, FlowValue> Values { get; }

    public ImmutableHashSet<MapTypeDecision>? Decisions { get; }

    public FlowValue Get(AccessPath path) => Values.TryGetValue(path, out FlowValue v) ? v : FlowValue.Empty;

    public FlowState Set(AccessPath path, FlowValue value)
    {
        // A strong update of a location also forgets what was known below it (a struct overwritten as a whole).
        // Walked without LINQ: this runs on every store of every analysis.
        ImmutableDictionary<AccessPath, FlowValue> values = Values;
        foreach (KeyValuePair<AccessPath, FlowValue> entry in Values)
        {
            if (entry.Key.Members.Length > path.Members.Length && path.IsPrefixOf(entry.Key))
            {
                values = values.Remove(entry.Key);
            }
        }

        values = value.IsEmpty ? values.Remove(path) : values.SetItem(path, value);
        return new FlowState(values, Decisions, NotBus);
    }

    public FlowState AddDecision(MapTypeDecision decision) =>
        new(Values, (Decisions ?? ImmutableHashSet<MapTypeDecision>.Empty).Add(decision), NotBus);

    public IEnumerable<KeyValuePair<AccessPath, FlowValue>> Below(AccessPath path) =>
        Values.Where(kv => !kv.Key.Equals(path) && path.IsPrefixOf(kv.Key));

    public static FlowState Join(FlowState? a, FlowState b)
    {
        if (a is null)
        {
            return b;
        }

        if (ReferenceEquals(a, b))
        {
            return a;
        }

        // Only what b adds is written: a join that changes nothing allocates nothing and returns a itself.
        ImmutableDictionary<AccessPath, FlowValue> values = a.Values;
        foreach (KeyValuePair<AccessPath, FlowValue> kv in b.Values)
        {
            FlowValue known = a.Get(kv.Key);
            FlowValue joined = known.Union(kv.Value);
            if (!joined.Equals(known))
            {
                values = values.SetItem(kv.Key, joined);
            }
        }

        ImmutableHashSet<MapTypeDecision>? decisions =
            a.Decisions is null ? b.Decisions
            : b.Decisions is null || ReferenceEquals(a.Decisions, b.Decisions) ? a.Decisions
            : a.Decisions.IsSubsetOf(b.Decisions) ? a.Decisions
            : a.Decisions.Intersect(b.Decisions);
        ImmutableHashSet<OriginSource> notBus = a.NotBus.IsEmpty || ReferenceEquals(a.NotBus, b.NotBus) ? a.NotBus
            : b.NotBus.IsEmpty ? b.NotBus : a.NotBus.Intersect(b.NotBus);
        return ReferenceEquals(values, a.Values) && ReferenceEquals(decisions, a.Decisions) && ReferenceEquals(notBus, a.NotBus)
            ? a : new FlowState(values, decisions, notBus);
    }

    public bool SameAs(FlowState other)
    {
        if (Values.Count != other.Values.Count || !SameDecisions(other) || !NotBus.SetEquals(other.NotBus))
        {
            return false;
        }

        foreach (KeyValuePair<AccessPath, FlowValue> kv in Values)
        {
            if (!other.Values.TryGetValue(kv.Key, out FlowValue v) || !v.Equals(kv.Value))
            {
                return false;
            }
        }

        return true;
    }

    private bool SameDecisions(FlowState other) =>
        Decisions is null ? other.Decisions is null : other.Decisions is not null && Decisions.SetEquals(other.Decisions);
}
