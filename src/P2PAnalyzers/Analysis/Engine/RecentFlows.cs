using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The flow analyses of the bodies analysed last in one compilation: what lets the rules share one analysis per body.
/// </summary>
/// <remarks>
/// Bounded on purpose. Roslyn runs every analyzer's actions for a body together, so the rules ask for a body within a
/// short time of each other; keeping every analysis until the compilation dies (a weak table keyed by the body) made
/// the live heap grow with the compilation, and each full garbage collection of a 5,000-file build slower. A body
/// evicted before a late rule asks is analysed again, with the same result.
/// </remarks>
internal sealed class RecentFlows
{
    private const int Capacity = 64;

    private readonly IOperation?[] _roots = new IOperation?[Capacity];
    private readonly Slot[] _slots = new Slot[Capacity];
    private int _next;

    /// <summary>The slot of <paramref name="root"/>: the one shared by the rules asking for it, or a new one.</summary>
    public Slot For(IOperation root)
    {
        lock (_roots)
        {
            for (int i = 0; i < Capacity; i++)
            {
                if (ReferenceEquals(_roots[i], root))
                {
                    return _slots[i];
                }
            }

            var slot = new Slot();
            _roots[_next] = root;
            _slots[_next] = slot;
            _next = (_next + 1) % Capacity;
            return slot;
        }
    }

    /// <summary>One body's analysis, computed by the first rule that asks and under the slot's lock.</summary>
    internal sealed class Slot
    {
        public MethodFlow? Flow { get; set; }
    }
}
