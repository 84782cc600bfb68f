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

    public ProgramSummary(Dictionary<SummaryNode, FlowValue> values, int bodies, int analyses, int reused, int referencesRead = 0)
    {
        _values = values;
        foreach (KeyValuePair<SummaryNode, FlowValue> node in values)
        {
            if (!node.Value.IsEmpty)
            {
                _names.Add(node.Key.Name);
            }
        }

        Bodies = bodies;
        Analyses = analyses;
        Reused = reused;
        ReferencesRead = referencesRead;
    }

    /// <summary>
    /// How many bodies had their operations walked to learn whether they refer to a node found by name (the rest were
    /// answered from what was kept with their tree).
    /// </summary>
    public int ReferencesRead { get; }

    /// <summary>How many of those analyses were answered by a summary kept from an earlier compilation.</summary>
    public int Reused { get; }

    /// <summary>How many bodies the summary read (for the benchmarks' figures).</summary>
    public int Bodies { get; }

    /// <summary>How many body summaries the fixpoint asked for.</summary>
    public int Analyses { get; }

    public bool IsEmpty => _values.Count == 0;

    /// <summary>
    /// The shapes of the facts a body's reads bring from the rest of the program (fields, properties and parameters of
    /// the compilation, its methods' returns and out parameters): what lets a rule's pre-filter admit a body whose facts
    /// all come from elsewhere. One walk per body, shared by every rule.
    /// </summary>
    public FactShapes BroughtTo(IOperation root, KnownSymbols k) =>
        IsEmpty ? FactShapes.None : _brought.GetValue(root, r =>
        {
            FactShapes brought = FactShapes.None;
            foreach (IOperation op in r.DescendantsAndSelf())
            {
                brought = brought.Union(Brought(op, k));
            }

            return new FactShapes.Box(brought);
        }).Shapes;

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<IOperation, FactShapes.Box> _brought = new();

    // The names of the members whose nodes hold something: most members a body reads have none, and are answered
    // without making their summary nodes.
    private readonly HashSet<string> _names = new(System.StringComparer.Ordinal);

    private FactShapes Brought(IOperation op, KnownSymbols k)
    {
        // Each member's name is asked first: a node of a name no node with facts has is empty, and not made.
        switch (op)
        {
            case IFieldReferenceOperation f when _names.Contains(f.Field.Name) && k.IsSource(f.Field):
                return Shapes(SummaryNode.Member(f.Field)).Union(Shapes(SummaryNode.Elements(f.Field)));
            case IPropertyReferenceOperation p when _names.Contains(p.Property.Name) && k.IsSummarised(p.Property):
                return Shapes(SummaryNode.Member(p.Property)).Union(Shapes(SummaryNode.Elements(p.Property)));
            case IParameterReferenceOperation p when p.Parameter.ContainingSymbol is IMethodSymbol m && k.IsSource(m):
                FactShapes arguments = FactShapes.None;
                foreach (IMethodSymbol related in Dispatch.Related(m))
                {
                    if (_names.Contains(related.Name))
                    {
                        arguments = arguments.Union(Shapes(SummaryNode.Parameter(related, p.Parameter.Ordinal)));
                    }
                }

                foreach (ISymbol member in DelegateTargets.MembersHolding(m, k.Compilation))
                {
                    if (_names.Contains(member.Name))
                    {
                        arguments = arguments.Union(Shapes(SummaryNode.DelegateParameter(member, p.Parameter.Ordinal)));
                    }
                }

                return arguments;
            case IInvocationOperation call when _names.Contains(call.TargetMethod.Name) && k.IsSource(call.TargetMethod):
                FactShapes returned = Shapes(SummaryNode.Return(call.TargetMethod));
                foreach (IParameterSymbol p in call.TargetMethod.Parameters)
                {
                    if (p.RefKind is RefKind.Out or RefKind.Ref)
                    {
                        returned = returned.Union(Shapes(SummaryNode.OutParameter(call.TargetMethod, p.Ordinal)));
                    }
                }

                return returned;
            default:
                return FactShapes.None;
        }
    }

    private FactShapes Shapes(SummaryNode? node)
    {
        FactShapes shapes = FactShapes.None;
        if (node is not null)
        {
            foreach (Fact fact in Read(node).Facts)
            {
                shapes = shapes.Union(FactShapes.Of(fact.Kind, fact.Memory));
            }
        }

        return shapes;
    }

    /// <summary>What reaches <paramref name="node"/>, address facts dropped where its sources disagree.</summary>
    public FlowValue Read(SummaryNode node) =>
        _values.TryGetValue(node, out FlowValue value) ? AddressFamilies.Agreed(value) : FlowValue.Empty;
}
