using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>What the flow analysis of one body may ask of the rest of the program.</summary>
internal interface IProgramValues
{
    /// <summary>The facts that arrive at <paramref name="node"/> from the whole compilation (already through their step).</summary>
    FlowValue Read(SummaryNode node);
}

/// <summary>
/// The address families a value can belong to. Values that cross a method boundary from stores or call sites that
/// disagree (a field sometimes raw, sometimes mapped) keep none of their address facts: the rules stay silent there.
/// </summary>
internal static class AddressFamilies
{
    private const int Physical = 1;
    private const int Bus = 2;
    private const int Dma = 4;

    /// <summary>The value without its address facts when they come from more than one address space.</summary>
    public static FlowValue Agreed(FlowValue value)
    {
        int families = 0;
        foreach (Fact fact in value.Facts)
        {
            families |= Family(fact.Kind);
        }

        return families is 0 or Physical or Bus or Dma ? value : value.Where(f => Family(f.Kind) == 0);
    }

    private static int Family(FactKind kind) => kind switch
    {
        FactKind.CpuPhys or FactKind.Pfn or FactKind.PeerPage => Physical,
        FactKind.Bus => Bus,
        FactKind.Dma or FactKind.BusDma => Dma,
        _ => 0,
    };
}

/// <summary>The solved whole-program summary of one compilation: per node, the union of what reaches it.</summary>
internal sealed class ProgramSummary : IProgramValues
{
    public static readonly ProgramSummary Empty = new(new Dictionary<SummaryNode, FlowValue>(), 0, 0, 0);

    private readonly Dictionary<SummaryNode, FlowValue> _values;

    public ProgramSummary(Dictionary<SummaryNode, FlowValue> values, int bodies, int analyses, int reused)
    {
        _values = values;
        Bodies = bodies;
        Analyses = analyses;
        Reused = reused;
    }

    /// <summary>How many of those analyses were answered by a summary kept from an earlier compilation.</summary>
    public int Reused { get; }

    /// <summary>How many bodies the summary read (for the benchmarks' figures).</summary>
    public int Bodies { get; }

    /// <summary>How many body summaries the fixpoint asked for.</summary>
    public int Analyses { get; }

    public bool IsEmpty => _values.Count == 0;

    /// <summary>
    /// True when <paramref name="op"/> (a read of a field, property or parameter of the compilation, or a call of one of
    /// its methods) brings a fact <paramref name="relevant"/> accepts from the rest of the program: what lets a rule's
    /// pre-filter admit a body whose facts all come from elsewhere.
    /// </summary>
    public bool Brings(IOperation op, KnownSymbols k, System.Func<Fact, bool> relevant)
    {
        if (IsEmpty)
        {
            return false;
        }

        switch (op)
        {
            case IFieldReferenceOperation f when k.IsSource(f.Field):
                return Any(SummaryNode.Member(f.Field), relevant) || Any(SummaryNode.Elements(f.Field), relevant);
            case IPropertyReferenceOperation p when k.IsSource(p.Property):
                return Any(SummaryNode.Member(p.Property), relevant) || Any(SummaryNode.Elements(p.Property), relevant);
            case IParameterReferenceOperation p when p.Parameter.ContainingSymbol is IMethodSymbol m && k.IsSource(m):
                foreach (IMethodSymbol related in Dispatch.Related(m))
                {
                    if (Any(SummaryNode.Parameter(related, p.Parameter.Ordinal), relevant))
                    {
                        return true;
                    }
                }

                return false;
            case IInvocationOperation call when k.IsSource(call.TargetMethod):
                return Any(SummaryNode.Return(call.TargetMethod), relevant)
                    || call.TargetMethod.Parameters.Any(p => p.RefKind is RefKind.Out or RefKind.Ref && Any(SummaryNode.OutParameter(call.TargetMethod, p.Ordinal), relevant));
            default:
                return false;
        }
    }

    private bool Any(SummaryNode? node, System.Func<Fact, bool> relevant) =>
        node is not null && Read(node).Facts.Any(relevant);

    /// <summary>What reaches <paramref name="node"/>, address facts dropped where its sources disagree.</summary>
    public FlowValue Read(SummaryNode node) =>
        _values.TryGetValue(node, out FlowValue value) ? AddressFamilies.Agreed(value) : FlowValue.Empty;
}
