using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// What a branch teaches the analysis: on the edge where an entry's bus-address flag, or a P2P mapping's
/// <c>IsBusAddress</c> / <c>MapType</c>, says "not a bus address", the value no longer may be one; where a page's
/// <c>IsP2P</c> is false, the page, its entry and its table hold no P2P memory.
/// </summary>
internal static class BranchRefinement
{
    public static FlowState Refine(FlowState state, IOperation condition, bool holds, System.Func<IOperation, FlowValue> valueOf)
    {
        while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            condition = not.Operand;
            holds = !holds;
        }

        switch (condition)
        {
            // if (!p2pBusAddr) ...: where the flag is false, the bus addresses it was set for are not here.
            // The flag may be a field set in another method (the iod's flag read in the completion callback).
            case ILocalReferenceOperation or IFieldReferenceOperation or IParameterReferenceOperation or IPropertyReferenceOperation when !holds
                && valueOf(condition) is { } flag && flag.Has(FactKind.BusFlag):
                return ForgetFlagged(state, flag);

            // if (sg.IsDmaBusAddress) / if (mapping.IsBusAddress): the false edge has no bus address.
            case IPropertyReferenceOperation { Property.Name: "IsDmaBusAddress" or "IsBusAddress" } flag when !holds:
                return Forget(state, flag.Instance);

            // if (is_pci_p2pdma_page(sg_page(sg))) p2p map; else dma_map_sg(..): the false edge holds no P2P memory.
            case IPropertyReferenceOperation { Property.Name: "IsP2P" } p2p when !holds:
                return ForgetPeerMemory(state, p2p.Instance, valueOf);

            // if (mapping.MapType == P2PMapType.X) / != X
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } compare
                when MapTypeOf(compare.LeftOperand) is IOperation mapping && compare.RightOperand.ConstantValue is { HasValue: true } constant:
                bool equals = compare.OperatorKind == BinaryOperatorKind.Equals ? holds : !holds;
                bool busAddr = constant.Value is int value && value == BusAddrValue;
                return equals != busAddr ? Forget(state, mapping) : state;
            default:
                return state;
        }
    }

    /// <summary><c>P2PMapType.BusAddr</c>, as the library defines it (the kernel's value).</summary>
    private const int BusAddrValue = 3;

    private static IOperation? MapTypeOf(IOperation operand)
    {
        while (operand is IConversionOperation c)
        {
            operand = c.Operand;
        }

        return operand is IPropertyReferenceOperation { Property.Name: "MapType" } p ? p.Instance : null;
    }

    private static FlowState ForgetFlagged(FlowState state, FlowValue flag)
    {
        var sources = flag.Facts.Where(f => f.Kind == FactKind.BusFlag).Select(f => f.Origin.Source).ToList();
        foreach (var kv in state.Values.ToList())
        {
            if (kv.Value.Facts.Any(f => f.Kind == FactKind.BusDma && sources.Contains(f.Origin.Source)))
            {
                state = state.Set(kv.Key, kv.Value.Where(f => !(f.Kind == FactKind.BusDma && sources.Contains(f.Origin.Source))));
            }
        }

        // Values read later from fields set elsewhere are filtered on reading (Evaluator.ArrivingAt).
        return state.RuleOut(sources);
    }

    // The page tested, the entry it was read from (sg[0].Page), the table that entry is of: each loses its P2P memory.
    private static FlowState ForgetPeerMemory(FlowState state, IOperation? page, System.Func<IOperation, FlowValue> valueOf)
    {
        for (IOperation? holder = page; holder is not null; holder = Holder(holder))
        {
            if (Evaluator.PathOf(holder) is AccessPath path)
            {
                FlowValue value = state.Values.TryGetValue(path, out FlowValue known) ? known : valueOf(holder);
                if (value.Has(FactKind.PeerPage))
                {
                    // A parameter's or field's value arrives from the program on each read: ruled out by origin there.
                    state = state.Set(path, value.Where(f => f.Kind != FactKind.PeerPage))
                        .RuleOut(value.Facts.Where(f => f.Kind == FactKind.PeerPage).Select(f => f.Origin.Source));
                }
            }
        }

        return state;
    }

    // What a page or an entry was read from: sg[i].Page's entry, sg[i]'s table, buf.Page's buffer.
    private static IOperation? Holder(IOperation operation) => operation switch
    {
        IConversionOperation c => c.Operand,
        IPropertyReferenceOperation { Property.Name: "Page" } p => p.Instance,
        IPropertyReferenceOperation { Property.IsIndexer: true } indexer => indexer.Instance,
        _ => null,
    };

    private static FlowState Forget(FlowState state, IOperation? instance)
    {
        if (Evaluator.PathOf(instance) is not AccessPath path || !state.Values.TryGetValue(path, out FlowValue value))
        {
            return state;
        }

        return state.Set(path, value.Where(f => f.Kind is not (FactKind.P2PEntry or FactKind.BusDma)));
    }
}
