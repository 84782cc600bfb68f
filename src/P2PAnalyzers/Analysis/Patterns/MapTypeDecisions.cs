using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Whether a map-type decision covers a generic mapping call: one made on every path to it, for a provider and device
/// that may be the call's (both named and different means "another provider or device", which does not count).
/// </summary>
internal static class MapTypeDecisions
{
    public static bool Cover(MethodFlow flow, IInvocationOperation call) => Cover(flow, call, Argument(call, 0), Argument(call, 1));

    /// <summary>As <see cref="Cover(MethodFlow, IInvocationOperation)"/>, with the device and memory the call maps given (a wrapper's arguments).</summary>
    public static bool Cover(MethodFlow flow, IInvocationOperation call, IOperation? device, IOperation? memory)
    {
        if (flow.DecisionsAt(call.Syntax) is not ImmutableHashSet<MapTypeDecision> decisions || decisions.IsEmpty)
        {
            return false;
        }

        FactKey deviceKey = device is null ? default : flow.ValueOf(device.Syntax).First(FactKind.Identity)?.Key ?? default;
        FactKey providerKey = memory is null ? default : PeerMemory(flow.ValueOf(memory.Syntax))?.Key ?? default;
        string? here = call.SemanticModel?.GetEnclosingSymbol(call.Syntax.SpanStart)?.ContainingType?.Name;
        return decisions.Any(d => FactKey.MayMatch(d.Provider, providerKey, here) && FactKey.MayMatch(d.Device, deviceKey, here));
    }

    /// <summary>The earliest fact that says the value is BAR memory: a BAR's CPU physical address or a peer page.</summary>
    public static Fact? PeerMemory(FlowValue value) =>
        value.Facts.Where(f => (f.Kind == FactKind.CpuPhys && f.Memory == MemoryKind.Bar) || f.Kind == FactKind.PeerPage)
            .OrderBy(f => f.Origin.Location.SourceSpan.Start).Cast<Fact?>().FirstOrDefault();

    public static IOperation? Argument(IInvocationOperation call, int ordinal) =>
        call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal)?.Value;
}
