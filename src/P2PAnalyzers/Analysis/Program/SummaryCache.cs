using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The body summaries of one syntax tree, kept for as long as the tree lives: the editor hands analyzers a new
/// compilation on every edit but reuses the trees of unchanged files, so a body read for an earlier compilation is
/// reused when every node it read still has the value it had then.
/// </summary>
/// <remarks>
/// Values compare by their facts, origins included, and an origin's location names its tree: a fact made in an edited
/// file is a new fact, so every body that read it is read again. What is not checked: that the body's code still
/// binds to the same symbols when another file changed a declaration it uses (a renamed field, a changed signature).
/// Such a body keeps its old summary until its own file changes or the project is built again.
/// </remarks>
internal static class SummaryCache
{
    /// <summary>
    /// How many readings of one body are kept: the fixpoint reads a body again as the nodes it reads grow, and a new
    /// compilation's fixpoint asks in the same order, so each of those readings is found again.
    /// </summary>
    private const int EntriesPerBody = 8;

    private static readonly ConditionalWeakTable<SyntaxTree, Dictionary<int, List<Entry>>> Trees = new();

    /// <summary>
    /// The summary of body <paramref name="ordinal"/> read earlier with the inputs <paramref name="current"/> gives now,
    /// if any. Asking registers the body as a reader of its inputs, as reading it would.
    /// </summary>
    public static Entry? Find(SyntaxTree tree, int ordinal, IProgramValues current)
    {
        Dictionary<int, List<Entry>> bodies = Trees.GetValue(tree, _ => new Dictionary<int, List<Entry>>());
        List<Entry> entries;
        lock (bodies)
        {
            if (!bodies.TryGetValue(ordinal, out List<Entry>? found))
            {
                return null;
            }

            entries = new List<Entry>(found);
        }

        foreach (Entry entry in entries)
        {
            bool same = true;
            foreach (KeyValuePair<SummaryNode, FlowValue> input in entry.Inputs)
            {
                if (!current.Read(input.Key).Equals(input.Value))
                {
                    same = false;
                    break;
                }
            }

            if (same)
            {
                return entry;
            }
        }

        return null;
    }

    public static void Store(SyntaxTree tree, int ordinal, Entry entry)
    {
        Dictionary<int, List<Entry>> bodies = Trees.GetValue(tree, _ => new Dictionary<int, List<Entry>>());
        lock (bodies)
        {
            if (!bodies.TryGetValue(ordinal, out List<Entry>? entries))
            {
                bodies[ordinal] = entries = new List<Entry>();
            }

            entries.Insert(0, entry);
            if (entries.Count > EntriesPerBody)
            {
                entries.RemoveAt(entries.Count - 1);
            }
        }
    }

    /// <summary>A body's summary and the node values it was computed from.</summary>
    internal sealed class Entry
    {
        public Entry(BodySummary summary, Dictionary<SummaryNode, FlowValue> inputs)
        {
            Summary = summary;
            Inputs = inputs;
        }

        public BodySummary Summary { get; }

        public Dictionary<SummaryNode, FlowValue> Inputs { get; }
    }
}
