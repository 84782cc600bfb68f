using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace P2PAnalyzers.Analysis;

/// <summary>A decision on the map type for a (provider, device) pair: a <c>pci_p2pdma_map_type</c>-style query.</summary>
internal readonly record struct MapTypeDecision(FactKey Provider, FactKey Device);

/// <summary>
/// The analysis state at one program point: the facts of every tracked location (may: joined by union), the
/// map-type decisions made on every path here (must: joined by intersection; null stands for "not reached yet"), and
/// the mappings made here whose error was not checked on some path (may).
/// </summary>
internal sealed class FlowState
{
    public static readonly FlowState Entry = new(ImmutableDictionary<AccessPath, FlowValue>.Empty, ImmutableHashSet<MapTypeDecision>.Empty);

    public FlowState(ImmutableDictionary<AccessPath, FlowValue> values, ImmutableHashSet<MapTypeDecision>? decisions)
        : this(values, decisions, ImmutableHashSet<OriginSource>.Empty, ImmutableHashSet<OriginSource>.Empty)
    {
    }

    private FlowState(ImmutableDictionary<AccessPath, FlowValue> values, ImmutableHashSet<MapTypeDecision>? decisions, ImmutableHashSet<OriginSource> ruledOut,
        ImmutableHashSet<OriginSource> uncheckedMaps)
    {
        Values = values;
        Decisions = decisions;
        RuledOut = ruledOut;
        Unchecked = uncheckedMaps;
    }

    /// <summary>
    /// The mappings (by the map call that made them) made on some path here whose error was not checked since with
    /// <c>Dma.MappingError</c> (<c>dma_mapping_error</c>) nor handed to a helper that may check it. May: joined by
    /// union. What P2P0020 asks at a use; the state of one body only (a mapping from elsewhere is not in it).
    /// </summary>
    public ImmutableHashSet<OriginSource> Unchecked { get; }

    public FlowState WithUnchecked(OriginSource source) => new(Values, Decisions, RuledOut, Unchecked.Add(source));

    public FlowState WithChecked(System.Collections.Generic.IEnumerable<OriginSource> sources)
    {
        ImmutableHashSet<OriginSource> left = Unchecked.Except(sources);
        return left.Count == Unchecked.Count ? this : new(Values, Decisions, RuledOut, left);
    }

    /// <summary>
    /// The facts (by where they were made) a branch ruled out on every path: bus addresses whose flag tested false
    /// (nvme's <c>IOD_P2P_BUS_ADDR</c>), which keeps a bus address kept in a field and the flag kept beside it, both
    /// read in a completion callback, apart from an unmap; and P2P memory whose page tested not P2P (rw.c's
    /// <c>is_pci_p2pdma_page</c> arm), which keeps the callers' P2P memory out of the legacy arm. Must: joined by
    /// intersection. Applied where values arrive from the rest of the program.
    /// </summary>
    public ImmutableHashSet<OriginSource> RuledOut { get; }

    public FlowState RuleOut(System.Collections.Generic.IEnumerable<OriginSource> sources) => new(Values, Decisions, RuledOut.Union(sources), Unchecked);

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
        return new FlowState(values, Decisions, RuledOut, Unchecked);
    }

    public FlowState AddDecision(MapTypeDecision decision) =>
        new(Values, (Decisions ?? ImmutableHashSet<MapTypeDecision>.Empty).Add(decision), RuledOut, Unchecked);

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
        ImmutableHashSet<OriginSource> ruledOut = a.RuledOut.IsEmpty || ReferenceEquals(a.RuledOut, b.RuledOut) ? a.RuledOut
            : b.RuledOut.IsEmpty ? b.RuledOut : a.RuledOut.Intersect(b.RuledOut);
        ImmutableHashSet<OriginSource> @unchecked = b.Unchecked.IsEmpty || ReferenceEquals(a.Unchecked, b.Unchecked) ? a.Unchecked
            : a.Unchecked.IsEmpty ? b.Unchecked : a.Unchecked.Union(b.Unchecked);
        return ReferenceEquals(values, a.Values) && ReferenceEquals(decisions, a.Decisions) && ReferenceEquals(ruledOut, a.RuledOut)
            && ReferenceEquals(@unchecked, a.Unchecked)
            ? a : new FlowState(values, decisions, ruledOut, @unchecked);
    }

    public bool SameAs(FlowState other)
    {
        if (Values.Count != other.Values.Count || !SameDecisions(other) || !RuledOut.SetEquals(other.RuledOut) || !Unchecked.SetEquals(other.Unchecked))
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
