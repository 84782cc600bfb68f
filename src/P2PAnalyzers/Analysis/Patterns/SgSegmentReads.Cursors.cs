using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The loops that walk a table with a cursor, as drivers write them: <c>sg = sgl; while (sg) { ..; sg = sg_next(sg); }</c>
/// (isci's <c>sci_request_build_sgl</c>, rockchip's <c>rk_hash_run</c>), or one entry per index
/// (<c>for (i = 0; i &lt; dev-&gt;nb_in_sg; i++) { ..sg_dma_address(sg)..; sg = sg_next(sg); }</c>: sahara). The cursor
/// starts at the table's first entry before the loop, is advanced with <c>Scatterlist.Next()</c>, and its DMA address
/// or length is read in the loop or by a helper of the compilation handed it (isci's <c>init_sgl_element</c>).
/// </summary>
internal static partial class SgSegmentReads
{
    private static readonly ConditionalWeakTable<IMethodSymbol, bool[]> HelperReads = new();

    /// <summary>A for or while loop whose condition is <c>sg != null</c>, walking the table to its end with its cursor.</summary>
    private static Iteration? Walk(ILoopOperation loop, KnownSymbols k)
    {
        IOperation? condition = loop switch
        {
            IForLoopOperation f => f.Condition,
            IWhileLoopOperation w => w.Condition,
            _ => null,
        };
        return condition is not null && WalksToTheEnd(condition, k) is ILocalSymbol cursor
            && Cursor(loop, k) is (IOperation table, ILocalSymbol advanced) && SymbolEqualityComparer.Default.Equals(advanced, cursor)
            ? new Iteration(Text(table), null, condition, OverDmaSegments: false, table)
            : null;
    }

    /// <summary>The cursor of <c>sg != null</c> (<c>null != sg</c>, <c>sg is not null</c>): a walk to the table's end.</summary>
    private static ILocalSymbol? WalksToTheEnd(IOperation condition, KnownSymbols k)
    {
        IOperation? tested = condition switch
        {
            IBinaryOperation { OperatorKind: BinaryOperatorKind.NotEquals } b when b.RightOperand.ConstantValue is { HasValue: true, Value: null } => b.LeftOperand,
            IBinaryOperation { OperatorKind: BinaryOperatorKind.NotEquals } b when b.LeftOperand.ConstantValue is { HasValue: true, Value: null } => b.RightOperand,
            IIsPatternOperation { Pattern: INegatedPatternOperation { Pattern: IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: null } } } } p => p.Value,
            _ => null,
        };
        return Stripped(tested) is ILocalReferenceOperation cursor && k.Is(cursor.Type, k.Scatterlist) ? cursor.Local : null;
    }

    /// <summary>The table a loop's cursor walks and the cursor, when the loop advances it with Next() and reads its DMA side.</summary>
    private static (IOperation Table, ILocalSymbol Cursor)? Cursor(ILoopOperation loop, KnownSymbols k)
    {
        IEnumerable<IOperation> own = loop is IForLoopOperation f ? f.AtLoopBottom.Concat(new[] { loop.Body }) : new[] { loop.Body };
        ILocalSymbol? cursor = own.SelectMany(o => o.DescendantsAndSelf()).OfType<ISimpleAssignmentOperation>()
            .Where(a => a.Target is ILocalReferenceOperation target && Stripped(a.Value) is IInvocationOperation { Instance: ILocalReferenceOperation self } next
                && k.RoleOf(next.TargetMethod) == Role.SgNext && SymbolEqualityComparer.Default.Equals(self.Local, target.Local))
            .Select(a => ((ILocalReferenceOperation)a.Target).Local)
            .FirstOrDefault();
        if (cursor is null || FirstEntryOf(loop, cursor, k) is not IOperation table || !ReadsDmaSideOf(loop.Body, cursor, k))
        {
            return null;
        }

        return (table, cursor);
    }

    /// <summary>The table whose entry 0 the cursor holds when the loop starts: its last store before the loop (or in a for's initializer).</summary>
    private static IOperation? FirstEntryOf(ILoopOperation loop, ILocalSymbol cursor, KnownSymbols k)
    {
        IOperation root = MethodFlow.RootOf(loop);
        int start = loop is IForLoopOperation { Before.Length: > 0 } f ? f.Before.Max(b => b.Syntax.Span.End) : loop.Syntax.SpanStart;
        IOperation? value = root.Descendants()
            .Select(op => op switch
            {
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation l } a when SymbolEqualityComparer.Default.Equals(l.Local, cursor) => (op.Syntax.SpanStart, (IOperation?)a.Value),
                IVariableDeclaratorOperation { Initializer.Value: IOperation v } d when SymbolEqualityComparer.Default.Equals(d.Symbol, cursor) => (op.Syntax.SpanStart, (IOperation?)v),
                _ => (-1, (IOperation?)null),
            })
            .Where(s => s.Item2 is not null && s.Item1 <= start && !(s.Item1 > loop.Syntax.SpanStart && loop.Body.Syntax.Span.Contains(s.Item1)))
            .OrderBy(s => s.Item1)
            .LastOrDefault().Item2;
        return Stripped(value) is IPropertyReferenceOperation { Arguments.Length: 1, Instance: IOperation table } first
            && first.Arguments[0].Value.ConstantValue is { HasValue: true, Value: 0 } && k.Is(table.Type, k.SgTable)
            ? Stripped(table)
            : null;
    }

    /// <summary>Whether the loop reads the cursor's DMA address or length, itself or through a helper of the compilation handed it.</summary>
    private static bool ReadsDmaSideOf(IOperation body, ILocalSymbol cursor, KnownSymbols k) =>
        body.DescendantsAndSelf().Any(op => op switch
        {
            IPropertyReferenceOperation p => IsDmaSide(p, k) && Stripped(p.Instance) is ILocalReferenceOperation l && SymbolEqualityComparer.Default.Equals(l.Local, cursor),
            IInvocationOperation call => k.IsSource(call.TargetMethod) && call.Arguments.Any(a =>
                Stripped(a.Value) is ILocalReferenceOperation l && SymbolEqualityComparer.Default.Equals(l.Local, cursor)
                && a.Parameter is IParameterSymbol parameter && HelperReadsDmaSide(call.TargetMethod, parameter.Ordinal, k)),
            _ => false,
        });

    /// <summary>Whether a method of the compilation reads the DMA address or length of the entry handed in as a parameter.</summary>
    private static bool HelperReadsDmaSide(IMethodSymbol method, int ordinal, KnownSymbols k)
    {
        bool[] reads = HelperReads.GetValue(method.OriginalDefinition, m =>
        {
            var found = new bool[m.Parameters.Length];
            foreach (SyntaxReference reference in m.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is BaseMethodDeclarationSyntax declaration
                    && SemanticModels.Of(k.Compilation, declaration.SyntaxTree).GetOperation(declaration) is IOperation root)
                {
                    foreach (IPropertyReferenceOperation p in root.DescendantsAndSelf().OfType<IPropertyReferenceOperation>())
                    {
                        if (IsDmaSide(p, k) && Stripped(p.Instance) is IParameterReferenceOperation parameter && parameter.Parameter.Ordinal < found.Length)
                        {
                            found[parameter.Parameter.Ordinal] = true;
                        }
                    }
                }
            }

            return found;
        });
        return ordinal < reads.Length && reads[ordinal];
    }

    /// <summary>The first value of a for loop's index: <c>for (j = i; ..)</c> gives <c>i</c>.</summary>
    private static IOperation? StartOf(IForLoopOperation loop, ILocalSymbol index) =>
        loop.Before.SelectMany(b => b.DescendantsAndSelf()).Select(op => op switch
        {
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation l } a when SymbolEqualityComparer.Default.Equals(l.Local, index) => a.Value,
            IVariableDeclaratorOperation { Initializer.Value: IOperation v } d when SymbolEqualityComparer.Default.Equals(d.Symbol, index) => v,
            _ => null,
        }).FirstOrDefault(v => v is not null);
}
