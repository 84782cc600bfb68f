using System;
using System.Collections.Immutable;
using System.Linq;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The set of facts a value may carry (a may-analysis: a fact on any path is kept). Small and immutable; capped so
/// that loops converge.
/// </summary>
internal readonly struct FlowValue : IEquatable<FlowValue>
{
    private const int MaxFacts = 8;

    private readonly ImmutableArray<Fact> _facts;

    private FlowValue(ImmutableArray<Fact> facts) => _facts = facts;

    public static FlowValue Empty => default;

    public ImmutableArray<Fact> Facts => _facts.IsDefault ? ImmutableArray<Fact>.Empty : _facts;

    public bool IsEmpty => _facts.IsDefaultOrEmpty;

    public static FlowValue Of(Fact fact) => new(ImmutableArray.Create(fact));

    public bool Has(FactKind kind) => !IsEmpty && _facts.Any(f => f.Kind == kind);

    public Fact? First(FactKind kind)
    {
        foreach (Fact f in Facts)
        {
            if (f.Kind == kind)
            {
                return f;
            }
        }

        return null;
    }

    public FlowValue Where(Func<Fact, bool> keep) =>
        IsEmpty ? this : new FlowValue(_facts.Where(keep).ToImmutableArray()).Normalize();

    public FlowValue Select(Func<Fact, Fact?> map)
    {
        if (IsEmpty)
        {
            return this;
        }

        var builder = ImmutableArray.CreateBuilder<Fact>();
        foreach (Fact f in _facts)
        {
            if (map(f) is Fact mapped && !builder.Contains(mapped))
            {
                builder.Add(mapped);
            }
        }

        return new FlowValue(builder.ToImmutable()).Normalize();
    }

    public FlowValue Union(FlowValue other)
    {
        if (other.IsEmpty)
        {
            return this;
        }

        if (IsEmpty)
        {
            return other;
        }

        // Joins at loop heads mostly bring nothing new: then no array is built.
        bool adds = false;
        foreach (Fact f in other._facts)
        {
            if (!_facts.Contains(f))
            {
                adds = true;
                break;
            }
        }

        if (!adds || _facts.Length >= MaxFacts)
        {
            return this;
        }

        var builder = _facts.ToBuilder();
        foreach (Fact f in other._facts)
        {
            if (builder.Count < MaxFacts && !builder.Contains(f))
            {
                builder.Add(f);
            }
        }

        return new FlowValue(builder.ToImmutable());
    }

    public FlowValue Add(Fact fact) => Union(Of(fact));

    public bool Equals(FlowValue other)
    {
        if (IsEmpty || other.IsEmpty)
        {
            return IsEmpty == other.IsEmpty;
        }

        if (_facts == other._facts)
        {
            return true;
        }

        if (_facts.Length != other._facts.Length)
        {
            return false;
        }

        foreach (Fact f in _facts)
        {
            if (!other._facts.Contains(f))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is FlowValue other && Equals(other);

    public override int GetHashCode() => IsEmpty ? 0 : _facts.Aggregate(0, (h, f) => h ^ f.GetHashCode());

    private FlowValue Normalize() => _facts.IsEmpty ? default : this;
}
