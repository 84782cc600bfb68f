using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The last summary solved for a set of files, kept with each of its files for as long as that tree lives. A new
/// compilation over the very same trees (the same project analysed again: the driver and the editor wrap a compilation
/// for each analysis) gets it back without solving; one over the same files of which a few were edited (the editor's
/// next compilation) is solved from it (<see cref="ProgramBuilder"/>); any other is solved afresh.
/// </summary>
internal static class SolvedPrograms
{
    /// <summary>More edited files than this and the solve starts afresh (still reusing body summaries).</summary>
    private const int MaxEdited = 8;

    private static readonly ConditionalWeakTable<SyntaxTree, Slot> Last = new();

    public static Key KeyOf(KnownSymbols symbols, ImmutableArray<SyntaxTree> trees) =>
        new(trees, symbols.Dma?.ContainingAssembly.Identity, symbols.User);

    public static ProgramSummary? Find(Key key)
    {
        Entry? entry = key.Reusable && Last.TryGetValue(key.Trees[0], out Slot? slot) ? slot.Entry : null;
        return entry?.Key is Key known && known.Same(key) ? entry.Summary : null;
    }

    /// <summary>
    /// The solution of an earlier compilation over the same files (same paths, in order, same library and
    /// configuration) of which at most a few trees differ, with the ordinals of those that do.
    /// </summary>
    public static (ProgramBuilder.Solution Solution, ImmutableArray<int> Changed)? Earlier(Key key)
    {
        if (!key.Reusable)
        {
            return null;
        }

        // Any unchanged file leads to the last solution that had it; the first few files are enough to find one.
        for (int i = 0; i < key.Trees.Length && i <= MaxEdited; i++)
        {
            if (!Last.TryGetValue(key.Trees[i], out Slot? slot) || slot.Entry is not Entry entry)
            {
                continue;
            }

            (Key? known, ProgramBuilder.Solution? solution) = (entry.Key, entry.Solution);

            if (known is null || solution is null || known.Trees.Length != key.Trees.Length
                || !Equals(known.Library, key.Library) || !ReferenceEquals(known.User, key.User))
            {
                continue;
            }

            var changed = ImmutableArray.CreateBuilder<int>();
            for (int t = 0; t < key.Trees.Length && changed.Count <= MaxEdited; t++)
            {
                if (!ReferenceEquals(known.Trees[t], key.Trees[t]))
                {
                    if (known.Trees[t].FilePath != key.Trees[t].FilePath)
                    {
                        return null;
                    }

                    changed.Add(t);
                }
            }

            return changed.Count <= MaxEdited ? (solution, changed.ToImmutable()) : null;
        }

        return null;
    }

    public static void Store(Key key, ProgramSummary summary, ProgramBuilder.Solution solution)
    {
        if (!key.Reusable)
        {
            return;
        }

        // Entries are immutable once made; a slot's reference is replaced whole (reads need no lock).
        var entry = new Entry(key, summary, solution);
        foreach (SyntaxTree tree in key.Trees)
        {
            Last.GetValue(tree, _ => new Slot()).Entry = entry;
        }
    }

    /// <summary>What a summary depends on: the trees (by identity, in order), the library, the configuration.</summary>
    internal sealed class Key
    {
        public Key(ImmutableArray<SyntaxTree> trees, AssemblyIdentity? library, UserModel user)
        {
            Trees = trees;
            Library = library;
            User = user;
        }

        public ImmutableArray<SyntaxTree> Trees { get; }

        public AssemblyIdentity? Library { get; }

        public UserModel User { get; }

        /// <summary>A configured project is solved each time (its configuration is not compared).</summary>
        public bool Reusable => !Trees.IsEmpty && ReferenceEquals(User, UserModel.Empty);

        public bool Same(Key other)
        {
            if (Trees.Length != other.Trees.Length || !Equals(Library, other.Library) || !ReferenceEquals(User, other.User))
            {
                return false;
            }

            for (int i = 0; i < Trees.Length; i++)
            {
                if (!ReferenceEquals(Trees[i], other.Trees[i]))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private sealed record Entry(Key Key, ProgramSummary Summary, ProgramBuilder.Solution Solution);

    private sealed class Slot
    {
        public volatile Entry? Entry;
    }
}
