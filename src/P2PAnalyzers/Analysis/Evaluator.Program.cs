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
        member is IFieldSymbol or IPropertySymbol && _k.IsSource(member) && SummaryNode.Member(member) is SummaryNode node
            ? _context.Program.Read(node)
            : FlowValue.Empty;

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
                value = value.Union(_context.Program.Read(node));
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

                Hand(argument.Value, handed);
            }
            else if (p.Ordinal < args.Length && _recorder is not null && _context.Summary is SummaryRecorder summary
                && SummaryNode.Parameter(method, p.Ordinal) is SummaryNode node)
            {
                summary.Contribute(node, args[p.Ordinal],
                    new OriginStep(node, $"passed as '{p.Name}' to {method.ContainingType.Name}.{method.Name} in {summary.OwnerName}", argument.Syntax.GetLocation()));
            }
        }

        return SummaryNode.Return(method) is SummaryNode returns ? _context.Program.Read(returns) : FlowValue.Empty;
    }

    /// <summary>While summarising: a store into a field or property of the compilation is handed to its node.</summary>
    private void Hand(IOperation target, FlowValue value)
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
        if (member is not null && _k.IsSource(member) && SummaryNode.Member(member) is SummaryNode node)
        {
            summary.Contribute(node, value, new OriginStep(node, $"stored into {node.Display} in {summary.OwnerName}", target.Parent?.Syntax.GetLocation() ?? target.Syntax.GetLocation()));
        }

        // Filling an entry of a hand-built table by hand: the table leaves this body filled.
        if (target is IPropertyReferenceOperation { Instance: IOperation entry } sgDma && _k.RoleOf(sgDma.Property) == Role.SgDmaAddress)
        {
            FlowValue entryValue = _recorder.Values.TryGetValue(entry.Syntax, out FlowValue known) ? known : FlowValue.Empty;
            foreach (Fact f in entryValue.Facts.Where(f => f.Kind == FactKind.HandBuiltEntry))
            {
                summary.Filled.Add(f.Origin);
            }
        }
    }
}
