using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Solving again after an edit: from the solution of an earlier compilation over the same files, of which a few were
/// edited (the editor's next compilation). Only what the edited files fed is solved again.
/// </summary>
/// <remarks>
/// The bodies of the edited files are dropped with what they contributed. Every node they contributed to is reset, and
/// so is, transitively, every node contributed by a body that read a reset node; those bodies are read again, as is
/// every body of the edited files. Contributions of the other bodies did not depend on a reset node, so they stand. The
/// result is the fixpoint a fresh solve finds (the least one; values are unions), except where a value reached the cap
/// on facts, where which facts are kept may differ.
/// </remarks>
internal sealed partial class ProgramBuilder
{
    /// <summary>The solver's state once solved, kept so that the next compilation can start from it.</summary>
    internal sealed record Solution(
        Dictionary<SummaryNode, FlowValue> Values,
        Dictionary<SummaryNode, SortedDictionary<BodyRef, FlowValue>> Contributors,
        Dictionary<SummaryNode, HashSet<BodyRef>> Readers,
        Dictionary<BodyRef, BodySummary> Summaries);

    private Solution Solved() => new(_values, _contributors, _readers, _summaries);

    private ProgramSummary SolveAfter(Solution earlier, ImmutableArray<int> changed)
    {
        var edited = new HashSet<int>(changed);
        _values = new Dictionary<SummaryNode, FlowValue>(earlier.Values);
        _contributors = earlier.Contributors.ToDictionary(kv => kv.Key, kv => new SortedDictionary<BodyRef, FlowValue>(kv.Value));
        // Readers in the edited files were bodies of the old trees: the new trees' bodies are read afresh below.
        _readers = earlier.Readers.ToDictionary(kv => kv.Key, kv => new HashSet<BodyRef>(kv.Value.Where(b => !edited.Contains(b.Tree))));
        _summaries = earlier.Summaries.Where(kv => !edited.Contains(kv.Key.Tree)).ToDictionary(kv => kv.Key, kv => kv.Value);

        // What the edited files fed, and everything read from that: reset and read again.
        var reset = new HashSet<SummaryNode>();
        var reread = new HashSet<BodyRef>();
        var queue = new Queue<SummaryNode>(earlier.Summaries.Where(kv => edited.Contains(kv.Key.Tree)).SelectMany(kv => kv.Value.Contributions.Select(c => c.Node)));
        while (queue.Count > 0)
        {
            SummaryNode node = queue.Dequeue();
            if (!reset.Add(node) || !_readers.TryGetValue(node, out HashSet<BodyRef>? readers))
            {
                continue;
            }

            foreach (BodyRef reader in readers)
            {
                if (!edited.Contains(reader.Tree) && reread.Add(reader) && _summaries.TryGetValue(reader, out BodySummary? summary))
                {
                    foreach (Contribution c in summary.Contributions)
                    {
                        queue.Enqueue(c.Node);
                    }
                }
            }
        }

        foreach (SummaryNode node in reset)
        {
            FlowValue value = FlowValue.Empty;
            if (_contributors.TryGetValue(node, out SortedDictionary<BodyRef, FlowValue>? contributors))
            {
                foreach (BodyRef body in contributors.Keys.Where(b => edited.Contains(b.Tree) || reread.Contains(b)).ToList())
                {
                    contributors.Remove(body);
                }

                foreach (FlowValue contribution in contributors.Values)
                {
                    value = value.Union(contribution);
                }
            }

            if (value.IsEmpty)
            {
                _values.Remove(node);
            }
            else
            {
                _values[node] = value;
            }
        }

        foreach (BodyRef body in reread)
        {
            _summaries.Remove(body);
            _work.Add(body);
        }

        foreach (int t in changed)
        {
            for (int b = 0; b < _trees[t].Bodies.Length; b++)
            {
                _work.Add(new BodyRef(t, b));
            }
        }

        return Run();
    }
}
