namespace P2PAnalyzers.Corpus;

/// <summary>
/// SplitMix64: a tiny PRNG whose sequence is fixed by this code, not by the runtime's <c>System.Random</c>
/// implementation, so a seed gives the same corpus on every .NET version.
/// </summary>
internal sealed class Rng
{
    private ulong _state;

    public Rng(int seed) => _state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL);

    public ulong NextUInt64()
    {
        ulong z = unchecked(_state += 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>A value in [0, max).</summary>
    public int Next(int max) => max <= 1 ? 0 : (int)(NextUInt64() % (ulong)max);

    /// <summary>A value in [min, max).</summary>
    public int Next(int min, int max) => min + Next(max - min);

    public bool Chance(int percent) => Next(100) < percent;

    public T Pick<T>(System.Collections.Generic.IReadOnlyList<T> items) => items[Next(items.Count)];

    public void Shuffle<T>(System.Collections.Generic.IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A hex constant such as <c>0x4000</c>, a multiple of <paramref name="align"/>.</summary>
    public string Hex(int maxUnits, ulong align = 0x1000) => "0x" + ((ulong)Next(1, maxUnits + 1) * align).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
}
