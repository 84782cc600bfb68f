using P2PAnalyzers.Robustness.Infrastructure;

namespace P2PAnalyzers.Robustness.Mutation;

/// <summary>A valid file the fuzzer breaks: a file of a source set, and how much weight it gets.</summary>
internal sealed record FuzzBase(SourceSet Set, int File, bool HasDiagnostics)
{
    public string Path => Set.Files[File].Path;

    public string Text => Set.Files[File].Text;
}

/// <summary>
/// Which variants to derive from which file, fixed by the seed: truncations after statements (every statement, or an
/// even spread of them; in long mode also halfway through each statement of the samples), then random mutations of
/// every kind in turn (at least half of the target), one in five of them two or three mutations stacked. Files with diagnostics get three times the share of the others, since
/// their variants also exercise the fixes.
/// </summary>
internal static class VariantPlan
{
    private static readonly MutationKind[] Kinds = Enum.GetValues<MutationKind>();

    /// <summary>
    /// The variants of every base: <paramref name="truncationsPerFile"/> truncations of each (spread evenly over its
    /// statements: every statement when it has no more), then random mutations up to <paramref name="target"/> in all.
    /// </summary>
    public static List<(FuzzBase Base, Mutation Mutation)> Build(IReadOnlyList<FuzzBase> bases, int target, Func<FuzzBase, int> truncationsPerFile, int seed)
    {
        var plan = new List<(FuzzBase, Mutation)>();
        var perBase = new List<List<Mutation>>();
        foreach (FuzzBase b in bases)
        {
            var mutator = new Mutator(b.Text);
            var seen = new HashSet<string>(StringComparer.Ordinal) { b.Text };
            var variants = new List<Mutation>();
            int statements = mutator.StatementCount;
            int take = Math.Min(statements, truncationsPerFile(b));
            for (int k = 0; k < take; k++)
            {
                int index = (int)((long)k * statements / take);
                Add(mutator.TruncateAt(index, midway: false));
                if (Mode.Long && b.Path.StartsWith("samples/", StringComparison.Ordinal))
                {
                    Add(mutator.TruncateAt(index, midway: true));
                }
            }

            perBase.Add(variants);

            void Add(Mutation? m)
            {
                if (m is Mutation v && seen.Add(v.Text))
                {
                    variants.Add(v);
                }
            }
        }

        int truncations = perBase.Sum(v => v.Count);
        // Random mutations fill the plan up to the target, and are at least half of it whatever the truncations took.
        int remaining = Math.Max(target / 2, target - truncations);
        int totalWeight = bases.Sum(Weight);
        for (int i = 0; i < bases.Count; i++)
        {
            FuzzBase b = bases[i];
            int share = (int)Math.Ceiling((double)remaining * Weight(b) / totalWeight);
            var rng = new Random(StableHash(seed, b.Path));
            var mutator = new Mutator(b.Text);
            var seen = new HashSet<string>(perBase[i].Select(m => m.Text), StringComparer.Ordinal) { b.Text };
            int made = 0;
            for (int attempt = 0; made < share && attempt < share * 4; attempt++)
            {
                MutationKind kind = Kinds[attempt % Kinds.Length];
                Mutation? m = rng.Next(5) == 0 ? Stacked(b.Text, kind, rng) : mutator.Apply(kind, rng);
                if (m is Mutation v && seen.Add(v.Text))
                {
                    perBase[i].Add(v);
                    made++;
                }
            }

            plan.AddRange(perBase[i].Select(m => (b, m)));
        }

        return plan;
    }

    private static Mutation? Stacked(string text, MutationKind first, Random rng)
    {
        var descriptions = new List<string>();
        int count = rng.Next(2, 4);
        for (int k = 0; k < count; k++)
        {
            MutationKind kind = k == 0 ? first : Kinds[rng.Next(Kinds.Length)];
            if (new Mutator(text).Apply(kind, rng) is not Mutation m)
            {
                return null;
            }

            text = m.Text;
            descriptions.Add(m.Description);
        }

        return new Mutation(text, string.Join("; then ", descriptions), "Stacked");
    }

    private static int Weight(FuzzBase b) => b.HasDiagnostics ? 3 : 1;

    /// <summary>FNV-1a: string.GetHashCode differs between processes, a seed must not.</summary>
    internal static int StableHash(int seed, string text)
    {
        uint hash = 2166136261u ^ (uint)seed;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash & 0x7fffffff);
    }
}
