using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Where the control flow graph captured an assignment's target before a branch in its value
/// (<c>baseAddr = bar.CpuStart + (idx == b2b ? off : 0)</c>: the target <c>baseAddr</c> is captured, the conditional
/// branches, and the store is made to the capture): the store goes to the captured location.
/// </summary>
internal static class CapturedLocations
{
    private static readonly ConditionalWeakTable<ControlFlowGraph, Dictionary<CaptureId, IOperation?>> Graphs = new();

    /// <summary>The location <paramref name="target"/> stands for when it is a capture of one; else the target itself.</summary>
    public static IOperation Resolve(ControlFlowGraph graph, IOperation target)
    {
        if (target is not IFlowCaptureReferenceOperation reference
            || !Of(graph).TryGetValue(reference.Id, out IOperation? captured) || captured is null)
        {
            return target;
        }

        return captured is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation
            or IPropertyReferenceOperation or IArrayElementReferenceOperation ? captured : target;
    }

    private static Dictionary<CaptureId, IOperation?> Of(ControlFlowGraph graph) =>
        Graphs.GetValue(graph, g =>
        {
            // A capture set in several places (the arms of a conditional) holds a value, not a location.
            var captures = new Dictionary<CaptureId, IOperation?>();
            foreach (BasicBlock block in g.Blocks)
            {
                foreach (IOperation op in block.Operations)
                {
                    if (op is IFlowCaptureOperation capture)
                    {
                        captures[capture.Id] = captures.ContainsKey(capture.Id) ? null : capture.Value;
                    }
                }
            }

            return captures;
        });
}
