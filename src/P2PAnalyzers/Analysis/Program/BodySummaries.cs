using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>What one body hands to a node of the whole-program summary, already through its step.</summary>
internal readonly record struct Contribution(SummaryNode Node, FlowValue Value);

/// <summary>What one body contributes to the whole-program summary.</summary>
internal sealed class BodySummary
{
    public static readonly BodySummary None = new(ImmutableArray<Contribution>.Empty);

    public BodySummary(ImmutableArray<Contribution> contributions) => Contributions = contributions;

    public ImmutableArray<Contribution> Contributions { get; }
}

/// <summary>Reads one body for the whole-program summary: its stores, the arguments of its calls, its returns.</summary>
internal static class BodySummaries
{
    public static BodySummary Summarize(KnownSymbols symbols, SemanticModel model, TreeIndex tree, int ordinal, IProgramValues program) =>
        Summarize(symbols, model, tree, ordinal, program, out _);

    /// <summary>As above; <paramref name="flow"/> is the body's analysis, which a rule may use as its own.</summary>
    public static BodySummary Summarize(KnownSymbols symbols, SemanticModel model, TreeIndex tree, int ordinal, IProgramValues program, out MethodFlow? flow)
    {
        flow = null;
        SyntaxNode declaration = tree.Bodies[ordinal];
        try
        {
            if (Graph(model, declaration) is not (IOperation root, ControlFlowGraph graph, ISymbol owner))
            {
                return BodySummary.None;
            }

            var recorder = new SummaryRecorder(owner);
            var context = new FlowContext(symbols, root, program, recorder);
            var values = new FlowRecorder();
            FlowState?[] states = FlowRunner.Analyze(context, graph, FlowState.Entry, values);
            flow = MethodFlow.FromSummary(graph, values, states);
            if (owner is IMethodSymbol method)
            {
                Returns(method, graph, states, recorder);
            }

            return new BodySummary(Marked(recorder, owner));
        }
        catch (System.Exception e) when (!AnalysisGuard.Rethrow && e is not System.OperationCanceledException)
        {
            // A body the analysis cannot read contributes nothing; the rest of the program is still summarised.
            return BodySummary.None;
        }
    }

    /// <summary>What the method returns, and hands back through out and ref parameters.</summary>
    private static void Returns(IMethodSymbol method, ControlFlowGraph graph, FlowState?[] states, SummaryRecorder recorder)
    {
        // A property getter's returns are the property's value, as its stores are.
        if (!recorder.Returned.IsEmpty && recorder.ReturnedAt is Location at)
        {
            FlowValue value = recorder.Returned;
            foreach (IMethodSymbol related in Dispatch.Related(method))
            {
                SummaryNode? node = related.MethodKind == MethodKind.PropertyGet && related.AssociatedSymbol is IPropertySymbol property
                    ? SummaryNode.Member(property)
                    : SummaryNode.Return(related);
                if (node is not null)
                {
                    recorder.Contribute(node, value, new OriginStep(node, "returned by " + node.Display, at));
                }
            }
        }

        if (states[graph.Blocks.Length - 1] is FlowState exit)
        {
            foreach (IParameterSymbol p in method.Parameters.Where(p => p.RefKind is RefKind.Out or RefKind.Ref))
            {
                FlowValue value = exit.Get(AccessPath.Of(p));
                if (value.IsEmpty)
                {
                    continue;
                }

                // As with returns, what an implementation hands back reaches the interface or base member called.
                Location location = p.Locations.FirstOrDefault() ?? Location.None;
                foreach (IMethodSymbol related in Dispatch.Related(method))
                {
                    if (SummaryNode.OutParameter(related, p.Ordinal) is SummaryNode outNode)
                    {
                        recorder.Contribute(outNode, value, new OriginStep(outNode, $"returned through '{p.Name}' by {outNode.Display}", location));
                    }
                }
            }
        }
    }

    /// <summary>
    /// A table this body filled with DMA addresses by hand leaves it, by whatever way (returned, stored in a field,
    /// passed on), marked with the builder's name: where it arrives, it is known to be filled. Done once the body is
    /// read, since a table may be stored before its entries are filled.
    /// </summary>
    private static ImmutableArray<Contribution> Marked(SummaryRecorder recorder, ISymbol owner)
    {
        if (recorder.Filled.Count == 0)
        {
            return recorder.Contributions.ToImmutable();
        }

        var sources = new HashSet<OriginSource>(recorder.Filled.Select(o => o.Source));
        FactKey builder = FactKey.Builder(owner is IMethodSymbol { AssociatedSymbol: ISymbol a } ? a.Name : owner.Name);
        return recorder.Contributions.Select(c => new Contribution(c.Node, c.Value.Select(f =>
                f.Kind == FactKind.HandBuiltTable && f.Key.IsNone && sources.Contains(f.Origin.Source) ? new Fact(f.Kind, f.Origin, f.Memory, builder) : f)))
            .ToImmutableArray();
    }

    private static (IOperation Root, ControlFlowGraph Graph, ISymbol Owner)? Graph(SemanticModel model, SyntaxNode declaration)
    {
        IOperation? operation = model.GetOperation(declaration);
        ISymbol? owner = declaration switch
        {
            ArrowExpressionClauseSyntax { Parent: BasePropertyDeclarationSyntax p } => (model.GetDeclaredSymbol(p) as IPropertySymbol)?.GetMethod,
            EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax v } => model.GetDeclaredSymbol(v),
            EqualsValueClauseSyntax { Parent: PropertyDeclarationSyntax p } => model.GetDeclaredSymbol(p),
            _ => model.GetDeclaredSymbol(declaration),
        };
        if (operation is null || owner is null || declaration.ContainsDiagnostics)
        {
            return null;
        }

        ControlFlowGraph? graph = operation switch
        {
            IMethodBodyOperation body => ControlFlowGraph.Create(body),
            IConstructorBodyOperation constructor => ControlFlowGraph.Create(constructor),
            IBlockOperation { Parent: null } block => ControlFlowGraph.Create(block),
            IFieldInitializerOperation field => ControlFlowGraph.Create(field),
            IPropertyInitializerOperation prop => ControlFlowGraph.Create(prop),
            _ => null,
        };
        return graph is null ? null : (operation, graph, owner);
    }
}

/// <summary>
/// Collects, while a body is recorded for the summary, what it hands to other nodes. Lives in the
/// <see cref="FlowContext"/> of a summary analysis only.
/// </summary>
internal sealed class SummaryRecorder
{
    public SummaryRecorder(ISymbol owner) => Owner = owner;

    /// <summary>The member whose body this is.</summary>
    public ISymbol Owner { get; }

    public ImmutableArray<Contribution>.Builder Contributions { get; } = ImmutableArray.CreateBuilder<Contribution>();

    /// <summary>The union of the values the body returns, and where the first of them is returned.</summary>
    public FlowValue Returned { get; private set; }

    public Location? ReturnedAt { get; private set; }

    /// <summary>The hand-built tables (by origin) that got a DMA address stored in an entry.</summary>
    public HashSet<Origin> Filled { get; } = new();

    /// <summary>The owner's name for a step's words: the method, or the member a getter or initializer belongs to.</summary>
    public string OwnerName => Owner is IMethodSymbol { AssociatedSymbol: ISymbol associated } ? associated.Name
        : Owner is IMethodSymbol { MethodKind: MethodKind.Constructor } ctor ? ctor.ContainingType.Name
        : Owner.Name;

    public void Return(FlowValue value, Location location)
    {
        if (value.IsEmpty)
        {
            return;
        }

        Returned = Returned.Union(value);
        ReturnedAt ??= location;
    }

    public void Contribute(SummaryNode node, FlowValue value, OriginStep step)
    {
        FlowValue crossed = value.Select(f => f.Kind == FactKind.Identity ? null : f.Through(step));
        if (!crossed.IsEmpty)
        {
            Contributions.Add(new Contribution(node, crossed));
        }
    }
}
