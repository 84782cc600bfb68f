using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// P2P0024's second half: a loop that reads the DMA addresses (or lengths) of a scatterlist's entries past the segment
/// count <c>Dma.MapSg</c> returned. Behind an IOMMU the mapped entries are merged into fewer segments and the rest hold
/// <c>DMA_MAPPING_ERROR</c> (<c>__finalise_sg</c>); the DMA API documentation's loop is
/// <c>for_each_sg(sglist, sg, count, i)</c> over the returned count. Flagged: a <c>for</c> loop over <c>t[i]</c> bounded
/// by the nents given to the map call (or the table's <c>Count</c>/<c>OrigNents</c>), and a <c>foreach</c> over the
/// table, or over its <c>DmaSegments</c> when nothing set <c>Nents</c> to the count (<c>dma_map_sg</c>, unlike
/// <c>dma_map_sgtable</c>, leaves it at the entry count).
/// </summary>
internal static partial class SgSegmentReads
{
    /// <summary>
    /// How a loop iterates a table: its text, the bound (null for a foreach or a walk to the end), the operation to report,
    /// the table's operation and the index's first value (<c>for (j = i; j &lt; n + i; j++)</c> runs n times).
    /// </summary>
    public readonly record struct Iteration(string Table, IOperation? Bound, IOperation At, bool OverDmaSegments, IOperation TableOp, IOperation? Start = null);

    /// <summary>Whether <paramref name="loop"/> reads an entry's DMA address or length.</summary>
    private static bool ReadsDmaSide(ILoopOperation loop, KnownSymbols k) =>
        loop.Body.DescendantsAndSelf().OfType<IPropertyReferenceOperation>().Any(p => IsDmaSide(p, k));

    /// <summary>The table a loop iterates, and the bound of a <c>for</c> over its entries; null for other loops.</summary>
    public static Iteration? Of(ILoopOperation loop, KnownSymbols k)
    {
        switch (loop)
        {
            case IForLoopOperation { Condition: IBinaryOperation { OperatorKind: BinaryOperatorKind.LessThan or BinaryOperatorKind.GreaterThan } condition } forLoop:
                (IOperation? index, IOperation? bound) = condition.OperatorKind switch
                {
                    BinaryOperatorKind.LessThan => (condition.LeftOperand, condition.RightOperand),
                    BinaryOperatorKind.GreaterThan => (condition.RightOperand, condition.LeftOperand),
                    _ => (null, null),
                };
                if (Stripped(index) is not ILocalReferenceOperation i || bound is null)
                {
                    return null;
                }

                // t[i].DmaAddress: the table is what is indexed by the loop variable.
                IPropertyReferenceOperation? read = forLoop.Body.DescendantsAndSelf().OfType<IPropertyReferenceOperation>()
                    .FirstOrDefault(p => IsDmaSide(p, k) && Stripped(p.Instance) is IPropertyReferenceOperation { Arguments.Length: 1 } element
                        && Stripped(element.Arguments[0].Value) is ILocalReferenceOperation at && SymbolEqualityComparer.Default.Equals(at.Local, i.Local));
                if (read is not null && Stripped(read.Instance) is IPropertyReferenceOperation { Instance: IOperation table })
                {
                    return new Iteration(Text(table), bound, bound, OverDmaSegments: false, table, StartOf(forLoop, i.Local));
                }

                // A cursor the loop advances with Next() once per index (sahara's link loops): as many entries as the bound.
                return Cursor(forLoop, k) is (IOperation cursorTable, _) ? new Iteration(Text(cursorTable), bound, bound, OverDmaSegments: false, cursorTable, StartOf(forLoop, i.Local)) : null;
            case IForLoopOperation or IWhileLoopOperation:
                return Walk(loop, k);
            case IForEachLoopOperation forEach:
                IOperation collection = Stripped(forEach.Collection)!;
                bool segments = collection is IPropertyReferenceOperation { Property.Name: "DmaSegments", Instance: not null };
                IOperation tableOp = segments ? Stripped(((IPropertyReferenceOperation)collection).Instance)! : collection;
                if (!k.Is(tableOp.Type, k.SgTable) || !ReadsDmaSide(forEach, k))
                {
                    return null;
                }

                return new Iteration(Text(tableOp), null, collection, segments, tableOp);
            default:
                return null;
        }
    }

    internal static bool IsDmaSide(IPropertyReferenceOperation p, KnownSymbols k) =>
        p.Property.Name is "DmaAddress" or "DmaLength" && k.Is(p.Property.ContainingType, k.Scatterlist);

    /// <summary>The text of a table or count, as <see cref="AddressKey.Normalize"/> writes it.</summary>
    public static string Text(IOperation operation) => AddressKey.Normalize(Stripped(operation)!.Syntax.ToString());

    internal static IOperation? Stripped(IOperation? value) => value is null ? null : AddressKey.Value(value);
}
