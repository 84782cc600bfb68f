using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The condition texts a path can still test from each block of a body: what a path knows of any other condition
/// (<see cref="PathConditions.Known"/>) can no longer prune an edge, so the path walks forget it when they enter the
/// block, and paths that differ only in it become one state. Without this, mtip32xx's exec_drive_taskfile (two
/// mappings, a switch, five retested conditions) outgrew the walk's bound before its error label.
/// </summary>
internal sealed class ConditionsAhead
{
    // Made once per graph, and only for a walk whose paths remember something (most remember nothing).
    private static readonly ConditionalWeakTable<ControlFlowGraph, StrongBox<ConditionsAhead?>> Cache = new();

    private readonly HashSet<string>[] _ahead;

    private ConditionsAhead(HashSet<string>[] ahead) => _ahead = ahead;

    /// <summary>
    /// What a path entering <paramref name="block"/> of <paramref name="graph"/> still needs of
    /// <paramref name="conditions"/>: all of it where the body has a finally (see <see cref="Of"/>).
    /// </summary>
    public static PathConditions Trim(ControlFlowGraph graph, int block, PathConditions conditions) =>
        conditions.Known.IsEmpty || Cache.GetValue(graph, g => new StrongBox<ConditionsAhead?>(Of(g))).Value is not ConditionsAhead ahead
            ? conditions
            : ahead.Trim(block, conditions);

    /// <summary>
    /// The texts ahead of each block of <paramref name="graph"/>; null when the body has a finally (its blocks run on
    /// ways out the successor edges do not show, so nothing is forgotten there).
    /// </summary>
    private static ConditionsAhead? Of(ControlFlowGraph graph)
    {
        if (graph.Blocks.Any(b => b.EnclosingRegion.Kind is ControlFlowRegionKind.Finally))
        {
            return null;
        }

        var ahead = new HashSet<string>[graph.Blocks.Length];
        for (int i = 0; i < ahead.Length; i++)
        {
            BasicBlock block = graph.Blocks[i];
            ahead[i] = block.ConditionalSuccessor is not null && block.BranchValue is not null
                ? new HashSet<string>(System.StringComparer.Ordinal) { PathConditions.Condition(block.BranchValue).Text }
                : new HashSet<string>(System.StringComparer.Ordinal);
        }

        // Backwards to a fixed point: loops carry what their heads test to their bodies.
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int i = ahead.Length - 1; i >= 0; i--)
            {
                BasicBlock block = graph.Blocks[i];
                foreach (BasicBlock? next in new[] { block.ConditionalSuccessor?.Destination, block.FallThroughSuccessor?.Destination })
                {
                    if (next is not null && next.Ordinal != i && !ahead[next.Ordinal].IsSubsetOf(ahead[i]))
                    {
                        ahead[i].UnionWith(ahead[next.Ordinal]);
                        changed = true;
                    }
                }
            }
        }

        return new ConditionsAhead(ahead);
    }

    /// <summary><paramref name="conditions"/> without what no block from <paramref name="block"/> on tests.</summary>
    private PathConditions Trim(int block, PathConditions conditions)
    {
        HashSet<string> ahead = _ahead[block];
        return conditions.Known.IsEmpty || conditions.Known.Keys.All(ahead.Contains)
            ? conditions
            : conditions with { Known = conditions.Known.RemoveRange(conditions.Known.Keys.Where(k => !ahead.Contains(k)).ToList()) };
    }
}
