using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The last summary solved for a set of files, kept with its first file for as long as that tree lives. A new
/// compilation over the very same trees (the same project analysed again: the driver and the editor wrap a compilation
/// for each analysis) gets it back without solving; any other set of trees is solved (reusing body summaries).
/// </summary>
internal static class SolvedPrograms
{
    private static readonly ConditionalWeakTable<SyntaxTree, Entry> Last = new();

    public static Key KeyOf(KnownSymbols symbols, ImmutableArray<SyntaxTree> trees) =>
        new(trees, symbols.Dma?.ContainingAssembly.Identity, symbols.User);

    public static ProgramSummary? Find(Key key)
    {
        if (!key.Reusable || !Last.TryGetValue(key.Trees[0], out Entry? entry))
        {
            return null;
        }

        lock (entry)
        {
            return entry.Key is Key known && known.Same(key) ? entry.Summary : null;
        }
    }

    public static ProgramSummary Store(Key key, ProgramSummary summary)
    {
        if (key.Reusable)
        {
            Entry entry = Last.GetValue(key.Trees[0], _ => new Entry());
            lock (entry)
            {
                entry.Key = key;
                entry.Summary = summary;
            }
        }

        return summary;
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

    private sealed class Entry
    {
        public Key? Key { get; set; }

        public ProgramSummary? Summary { get; set; }
    }
}
