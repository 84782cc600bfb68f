using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The whole-program side of the transfer functions: what a field, property, parameter or call of the compilation's own
/// code brings from the rest of the program, and, while a body is read for the summary, what it hands on.
/// </summary>
internal sealed partial class Evaluator
{
    /// <summary>What the rest of the program stores into a field or property of the compilation.</summary>
    private FlowValue ArrivingAt(ISymbol member) =>
        member is IFieldSymbol or IPropertySymbol && _k.IsSummarised(member) && SummaryNode.Member(member) is SummaryNode node
            ? Read(node)
            : FlowValue.Empty;

    /// <summary>What the program stores into the elements of the array or collection a field or property holds.</summary>
    private FlowValue ElementsOf(IOperation? collection) =>
        HolderOf(collection) is ISymbol member && SummaryNode.Elements(member) is SummaryNode node ? Read(node) : FlowValue.Empty;

    /// <summary>The field or property of the compilation an operation reads, if that is what it is.</summary>
    private ISymbol? HolderOf(IOperation? op)
    {
        while (op is IConversionOperation c)
        {
            op = c.Operand;
        }

        ISymbol? member = op switch
        {
            IFieldReferenceOperation f => f.Field,
            IPropertyReferenceOperation { Arguments.IsEmpty: true } p => p.Property,
            _ => null,
        };
        return member is not null && _k.IsSource(member) ? member : null;
    }

    /// <summary>While summarising: <c>list.Add(x)</c> on a collection a field holds hands x to the field's elements.</summary>
    private void AddedTo(IInvocationOperation inv, FlowValue[] args)
    {
        if (_recorder is null || _context.Summary is not SummaryRecorder summary || args.Length == 0
            || inv.TargetMethod.Name is not ("Add" or "Insert" or "Enqueue" or "Push")
            || inv.TargetMethod.ContainingNamespace?.ToDisplayString().StartsWith("System.Collections", System.StringComparison.Ordinal) != true
            || HolderOf(inv.Instance) is not ISymbol member || SummaryNode.Elements(member) is not SummaryNode node)
        {
            return;
        }

        summary.Contribute(node, args[args.Length - 1], new OriginStep(node, $"added to {node.Display} in {summary.OwnerName}", inv.Syntax.GetLocation()));
    }

    /// <summary>A node's value, less the bus addresses a flag tested on this path says are not here.</summary>
    private FlowValue Read(SummaryNode node)
    {
        FlowValue value = _context.Program.Read(node);
        return State.RuledOut.IsEmpty ? value : value.Where(f => !(f.Kind is FactKind.BusDma or FactKind.PeerPage && State.RuledOut.Contains(f.Origin.Source)));
    }

    /// <summary>The value of a condition's operand, evaluated again without recording (branch refinement).</summary>
    public FlowValue Peek(IOperation op)
    {
        FlowState before = State;
        FlowValue value = new Evaluator(_context, _graph, State, null, _depth).Eval(op);
        State = before;
        return value;
    }

    /// <summary>What every call site passes to a parameter of the analysed method (or of what it implements).</summary>
    private FlowValue ArrivingAt(IParameterSymbol parameter)
    {
        if (parameter.ContainingSymbol is not IMethodSymbol { MethodKind: not (MethodKind.AnonymousFunction or MethodKind.LocalFunction) } method
            || !_k.IsSource(method))
        {
            return FlowValue.Empty;
        }

        FlowValue value = FlowValue.Empty;
        foreach (IMethodSymbol related in Dispatch.Related(method))
        {
            if (SummaryNode.Parameter(related, parameter.Ordinal) is SummaryNode node)
            {
                value = value.Union(Read(node));
            }
        }

        // A method stored into an ops table's delegate member also gets what the calls through that member pass.
        foreach (ISymbol member in DelegateTargets.MembersHolding(method, _k.Compilation))
        {
            if (SummaryNode.DelegateParameter(member, parameter.Ordinal) is SummaryNode node)
            {
                value = value.Union(Read(node));
            }
        }

        return value;
    }

    /// <summary>
    /// A call of the compilation's own method: while summarising, its arguments are handed to its parameters; its
    /// result and out arguments bring what its summary returns.
    /// </summary>
    private FlowValue CallOfSource(IInvocationOperation inv, FlowValue[] args)
    {
        if (DelegateTargets.CalledThrough(inv, _k) is ISymbol member)
        {
            CallThrough(inv, member, args);
            return FlowValue.Empty;
        }

        IMethodSymbol method = inv.TargetMethod;
        if (!_k.IsSource(method) || method.MethodKind is MethodKind.LocalFunction or MethodKind.AnonymousFunction)
        {
            return FlowValue.Empty;
        }

        foreach (IArgumentOperation argument in inv.Arguments)
        {
            if (argument.Parameter is not IParameterSymbol p)
            {
                continue;
            }

            if (p.RefKind is RefKind.Out or RefKind.Ref && SummaryNode.OutParameter(method, p.Ordinal) is SummaryNode outNode)
            {
                FlowValue handed = _context.Program.Read(outNode);
                if (!handed.IsEmpty && PathOf(argument.Value) is AccessPath path)
                {
                    State = State.Set(path, handed);
                }

                Hand(argument.Value, handed, FlowValue.Empty);
            }
            else if (p.Ordinal < args.Length && _recorder is not null)
            {
                FilledByCallee(method, p, args[p.Ordinal]);
            }

            if (p.RefKind is not (RefKind.Out or RefKind.Ref) && p.Ordinal < args.Length && _recorder is not null
                && _context.Summary is SummaryRecorder summary && SummaryNode.Parameter(method, p.Ordinal) is SummaryNode node)
            {
                summary.Contribute(node, args[p.Ordinal],
                    new OriginStep(node, $"passed as '{p.Name}' to {method.ContainingType.Name}.{method.Name} in {summary.OwnerName}", argument.Syntax.GetLocation()));
            }
        }

        return SummaryNode.Return(method) is SummaryNode returns ? Read(returns) : FlowValue.Empty;
    }

    /// <summary>While summarising: a call through an ops table's delegate member hands its arguments to the member's parameters.</summary>
    private void CallThrough(IInvocationOperation inv, ISymbol member, FlowValue[] args)
    {
        if (_recorder is null || _context.Summary is not SummaryRecorder summary)
        {
            return;
        }

        foreach (IArgumentOperation argument in inv.Arguments)
        {
            if (argument.Parameter is IParameterSymbol { RefKind: RefKind.None } p && p.Ordinal < args.Length
                && SummaryNode.DelegateParameter(member, p.Ordinal) is SummaryNode node)
            {
                summary.Contribute(node, args[p.Ordinal],
                    new OriginStep(node, $"passed as argument {p.Ordinal + 1} through {member.ContainingType.Name}.{member.Name} in {summary.OwnerName}", argument.Syntax.GetLocation()));
            }
        }
    }

    /// <summary>While summarising: a store into a field or property of the compilation is handed to its node.</summary>
    private void Hand(IOperation target, FlowValue value, FlowValue receiver)
    {
        if (_recorder is null || _context.Summary is not SummaryRecorder summary)
        {
            return;
        }

        ISymbol? member = target switch
        {
            IFieldReferenceOperation f => f.Field,
            IPropertyReferenceOperation p => p.Property,
            _ => null,
        };
        Location at = target.Parent?.Syntax.GetLocation() ?? target.Syntax.GetLocation();
        if (member is not null && _k.IsSummarised(member) && SummaryNode.Member(member) is SummaryNode node)
        {
            FlowValue stored = _k.IsSource(member) ? value : VerdictStored(target, value);
            summary.Contribute(node, stored, new OriginStep(node, $"stored into {node.Display} in {summary.OwnerName}", at));
        }

        // _bars[i] = x, or an indexer of a collection a field holds: the field's elements.
        IOperation? collection = target switch
        {
            IArrayElementReferenceOperation element => element.ArrayReference,
            IPropertyReferenceOperation { Arguments.IsEmpty: false } indexer => indexer.Instance,
            _ => null,
        };
        if (HolderOf(collection) is ISymbol holder && SummaryNode.Elements(holder) is SummaryNode elements)
        {
            summary.Contribute(elements, value, new OriginStep(elements, $"stored into an element of {elements.Display} in {summary.OwnerName}", at));
        }

        // Filling an entry of a hand-built table by hand: the table leaves this body filled; an entry or table handed
        // in as a parameter makes this method a filler of that parameter (set_dma_sg, the VFIO RFC's fill helper).
        if (target is IPropertyReferenceOperation { Instance: IOperation entry } sgDma && _k.RoleOf(sgDma.Property) == Role.SgDmaAddress)
        {
            foreach (Fact f in receiver.Facts.Where(f => f.Kind == FactKind.HandBuiltEntry))
            {
                summary.Filled.Add(f.Origin);
            }

            if (HandedIn(entry) is IParameterSymbol p && p.ContainingSymbol is IMethodSymbol method && SummaryNode.FillsEntries(method, p.Ordinal) is SummaryNode fills)
            {
                summary.Contribute(fills, FlowValue.Of(new Fact(FactKind.FillsEntries, new Origin(method.Name, target.Syntax.GetLocation()))),
                    new OriginStep(fills, "filled by " + fills.Display, target.Syntax.GetLocation()));
            }
        }
    }

    /// <summary>
    /// The parameter an entry comes from: the parameter itself, an element of a table or array parameter, or a local
    /// declared from one of those (<c>sgl = sgt[j++]</c>, <c>foreach (var sg in sgt)</c>).
    /// </summary>
    private IParameterSymbol? HandedIn(IOperation entry)
    {
        for (int hops = 0; hops < MaxLocalHops; hops++)
        {
            switch (entry)
            {
                case IConversionOperation c:
                    entry = c.Operand;
                    continue;
                case IPropertyReferenceOperation { Arguments.IsEmpty: false, Instance: IOperation table }:
                    entry = table;
                    continue;
                case IArrayElementReferenceOperation element:
                    entry = element.ArrayReference;
                    continue;
                case ILocalReferenceOperation local when DeclaredFrom(local.Local) is IOperation initial:
                    entry = initial;
                    continue;
                case IParameterReferenceOperation p when p.Parameter.ContainingSymbol is IMethodSymbol { MethodKind: not (MethodKind.AnonymousFunction or MethodKind.LocalFunction) } m && _k.IsSource(m):
                    return p.Parameter;
                default:
                    return null;
            }
        }

        return null;
    }

    private const int MaxLocalHops = 8;

    /// <summary>What a local was declared from, when that is the only value it is ever given: its initializer, or the collection a foreach takes it from.</summary>
    private IOperation? DeclaredFrom(ILocalSymbol local)
    {
        IOperation? from = null;
        foreach (IOperation op in _context.Root.DescendantsAndSelf())
        {
            switch (op)
            {
                case IVariableDeclaratorOperation d when SymbolEqualityComparer.Default.Equals(d.Symbol, local) && d.Initializer is not null:
                    from = d.Initializer.Value;
                    break;
                case IForEachLoopOperation loop when loop.Locals.Contains(local, SymbolEqualityComparer.Default):
                    from = loop.Collection;
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } when SymbolEqualityComparer.Default.Equals(target.Local, local):
                case IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared } when SymbolEqualityComparer.Default.Equals(declared.Local, local):
                    return null;
            }
        }

        return from;
    }

    /// <summary>A call of a helper that fills the entries of what it is handed: those tables are filled by hand here.</summary>
    private void FilledByCallee(IMethodSymbol method, IParameterSymbol p, FlowValue argument)
    {
        if (!argument.Facts.Any(f => f.Kind is FactKind.HandBuiltEntry or FactKind.HandBuiltTable)
            || SummaryNode.FillsEntries(method, p.Ordinal) is not SummaryNode fills || _context.Program.Read(fills).IsEmpty)
        {
            return;
        }

        foreach (Fact f in argument.Facts.Where(f => f.Kind is FactKind.HandBuiltEntry or FactKind.HandBuiltTable))
        {
            _context.Summary?.Filled.Add(f.Origin);
            _recorder?.FilledElsewhere.Add(f.Origin);
        }
    }
}
