using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

internal sealed partial class Evaluator
{
    /// <summary>Masks below this extract an offset (page or small-region offset), not an address.</summary>
    private const ulong OffsetMaskLimit = 0x10_0000;

    private const int PageShift = 12;

    private const ulong PageSize = 1UL << PageShift;

    private FlowValue Convert(IConversionOperation conversion, FlowValue operand)
    {
        // Numeric, identity and boxing conversions keep the address; user-defined ones only for the library's
        // result wrapper (returning a table as DmaResult<SgTable> keeps what is known of the table).
        if (conversion.OperatorMethod is null)
        {
            return operand;
        }

        return _k.Is(conversion.OperatorMethod.ContainingType, _k.DmaResult) ? operand : FlowValue.Empty;
    }

    // Apart from Binary so that the closure is made only for comparisons of a distance.
    private static bool? PossibleWhen(IBinaryOperation binary, FlowValue left, FlowValue right) =>
        DistanceVerdicts.PossibleWhen(binary, d => ReferenceEquals(d, binary.LeftOperand) ? left.Has(FactKind.Distance) : right.Has(FactKind.Distance));

    private FlowValue Binary(IBinaryOperation binary)
    {
        FlowValue left = Eval(binary.LeftOperand);
        FlowValue right = Eval(binary.RightOperand);
        if (binary.OperatorMethod is IMethodSymbol method)
        {
            return AddressOperator(method, binary.OperatorKind, left, binary.RightOperand.Type);
        }

        if ((left.Has(FactKind.Distance) || right.Has(FactKind.Distance)) && PossibleWhen(binary, left, right) is bool possible)
        {
            // bool p2p = distance >= 0: the verdict travels with the bool, into locals, fields and returns.
            return FlowValue.Of(new Fact(FactKind.DistanceVerdict, new Origin(Reporting.Text(binary.Syntax), binary.Syntax.GetLocation()),
                key: FactKey.Of(possible ? KeyKind.Possible : KeyKind.Impossible)));
        }

        if (binary.OperatorKind == BinaryOperatorKind.Or && _k.Is(binary.Type, _k.DmaAttrs))
        {
            return left.Union(right).Where(f => f.Kind == FactKind.SkipCpuSyncAttrs);
        }

        Optional<object?> constant = binary.RightOperand.ConstantValue.HasValue ? binary.RightOperand.ConstantValue : binary.LeftOperand.ConstantValue;
        return Arithmetic(binary.OperatorKind, left, right, constant);
    }

    /// <summary>Transfer of a numeric operator; shared by binary operators and compound assignments.</summary>
    private static FlowValue Arithmetic(BinaryOperatorKind kind, FlowValue left, FlowValue right, Optional<object?> constant)
    {
        switch (kind)
        {
            // cpu + bus_offset is the bus address (pci_p2pdma_bus_addr_map); cpu - bus_offset stays a CPU address.
            case BinaryOperatorKind.Add when left.Has(FactKind.BusOffset) || right.Has(FactKind.BusOffset):
                FlowValue cpu = (left.Has(FactKind.BusOffset) ? right : left).Where(f => f.Kind == FactKind.CpuPhys);
                return cpu.IsEmpty ? OneSided(left, right) : cpu.Select(f => f.With(FactKind.Bus));
            case BinaryOperatorKind.Add or BinaryOperatorKind.Or or BinaryOperatorKind.ExclusiveOr:
                return OneSided(left, right);
            case BinaryOperatorKind.Multiply when constant.HasValue && ToUInt64(constant.Value) == PageSize:
                return (left.Has(FactKind.Pfn) ? left : right).Select(f => f.Kind == FactKind.Pfn ? f.With(FactKind.CpuPhys) : null);
            // bus start - CPU start is the bus offset (pci_p2pdma_add_resource: pci_bus_address - pci_resource_start).
            case BinaryOperatorKind.Subtract when left.Has(FactKind.Bus) && right.Has(FactKind.CpuPhys):
                return left.Select(f => f.Kind == FactKind.Bus ? f.With(FactKind.BusOffset) : null);
            case BinaryOperatorKind.Subtract:
                return Addresses(right).IsEmpty ? Addresses(left) : FlowValue.Empty;
            case BinaryOperatorKind.And:
                // addr & ~0xfff keeps the address; addr & 0xfff is an offset within the page.
                bool offsetMask = constant.HasValue && ToUInt64(constant.Value) is ulong mask && mask < OffsetMaskLimit;
                return offsetMask ? FlowValue.Empty : OneSided(left, right);
            case BinaryOperatorKind.LeftShift when ShiftBy(constant) == PageShift:
                return left.Select(f => f.Kind == FactKind.Pfn ? f.With(FactKind.CpuPhys) : null);
            case BinaryOperatorKind.RightShift when ShiftBy(constant) == PageShift:
                return left.Select(f => f.Kind == FactKind.CpuPhys ? f.With(FactKind.Pfn) : null);
            default:
                return FlowValue.Empty;
        }
    }

    /// <summary>The library's typed address operators: address +/- offset keeps the address, address - address is an offset.</summary>
    private FlowValue AddressOperator(IMethodSymbol method, BinaryOperatorKind kind, FlowValue left, ITypeSymbol? rightType)
    {
        if (!IsAddressType(method.ContainingType))
        {
            return FlowValue.Empty;
        }

        return kind switch
        {
            BinaryOperatorKind.Add => left,
            BinaryOperatorKind.Subtract when !IsAddressType(rightType!) => left,
            _ => FlowValue.Empty,
        };
    }

    /// <summary>An address combined with a non-address stays that address; two addresses combined are neither.</summary>
    private static FlowValue OneSided(FlowValue left, FlowValue right)
    {
        FlowValue l = Addresses(left);
        FlowValue r = Addresses(right);
        return l.IsEmpty ? r : r.IsEmpty ? l : FlowValue.Empty;
    }

    private static FlowValue Addresses(FlowValue value) =>
        value.Where(f => f.Kind is FactKind.CpuPhys or FactKind.Pfn or FactKind.Bus or FactKind.Dma or FactKind.BusDma);

    private static int? ShiftBy(Optional<object?> constant) => constant.HasValue && constant.Value is int shift ? shift : null;

    private static ulong? ToUInt64(object? value) => value switch
    {
        ulong u => u,
        long l => unchecked((ulong)l),
        uint u => u,
        int i => unchecked((ulong)(long)i),
        _ => null,
    };
}
