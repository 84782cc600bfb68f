using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>A place a value is used as an address of some space: the operand to judge, where to report, and in words.</summary>
internal readonly record struct AddressSink(IOperation Operand, Location Location, string Description);

/// <summary>
/// Finds the sinks of one address space: the space's raw constructor (<c>DmaAddr.FromRaw</c>,
/// <c>PciBusAddr.FromRaw</c>) and every parameter, field, property or method return annotated with the space.
/// Shared by P2P0001 (DMA) and P2P0002 (PCI bus).
/// </summary>
internal static class AddressSinks
{
    /// <summary>
    /// <see cref="PropertyNames.Kind"/> of a sink given a CPU address less a bus offset, the sign error of
    /// <c>__pci_p2pdma_map_sg</c> before v5.15 (<c>sg_phys(s) - p2p_pgmap-&gt;bus_offset</c>): the same address plus the
    /// offset is the bus address (<c>pci_p2pdma_bus_addr_map</c>).
    /// </summary>
    public const string BusOffsetSubtracted = nameof(BusOffsetSubtracted);

    /// <summary>Whether <paramref name="operand"/> is a CPU address less a bus offset.</summary>
    public static bool SubtractsBusOffset(IOperation operand, MethodFlow flow)
    {
        while (operand is IConversionOperation { OperatorMethod: null } conversion)
        {
            operand = conversion.Operand;
        }

        return operand is IBinaryOperation { OperatorKind: BinaryOperatorKind.Subtract } subtraction
            && flow.ValueOf(subtraction.LeftOperand.Syntax).Has(FactKind.CpuPhys)
            && flow.ValueOf(subtraction.RightOperand.Syntax) is FlowValue offset
            && offset.Has(FactKind.BusOffset) && !offset.Has(FactKind.CpuPhys);
    }

    /// <summary>
    /// Whether <paramref name="op"/>, in a body of <paramref name="containingSymbol"/>, is a sink of the space (with the
    /// space's raw constructor, unless <paramref name="rawConstructor"/> is null).
    /// </summary>
    public static bool IsCandidate(IOperation op, ISymbol containingSymbol, KnownSymbols k, Role? rawConstructor, AddressSpaceAnnotation space) => op switch
    {
        IInvocationOperation inv => k.RoleOf(inv.TargetMethod) == rawConstructor || AnyParameter(inv.TargetMethod.Parameters, k, space),
        IObjectCreationOperation creation => creation.Constructor is IMethodSymbol constructor && AnyParameter(constructor.Parameters, k, space),
        ISimpleAssignmentOperation or ICompoundAssignmentOperation => TargetSymbol(((IAssignmentOperation)op).Target) is ISymbol s && k.DeclaredAnnotationOf(s) == space,
        // Asked for every return of the compilation: the containing member stands in for the semantic model's lookup.
        IReturnOperation ret => ret.ReturnedValue is not null && ReturningMethod(ret, containingSymbol as IMethodSymbol) is IMethodSymbol m
            && k.DeclaredAnnotationOf(m) == space,
        _ => false,
    };

    // Called for every call the compilation makes: a plain loop, nothing allocated.
    private static bool AnyParameter(System.Collections.Immutable.ImmutableArray<IParameterSymbol> parameters, KnownSymbols k, AddressSpaceAnnotation space)
    {
        foreach (IParameterSymbol p in parameters)
        {
            if (k.AnnotationOf(p) == space)
            {
                return true;
            }
        }

        return false;
    }

    public static IEnumerable<AddressSink> Of(IOperation op, KnownSymbols k, Role? rawConstructor, AddressSpaceAnnotation space) =>
        Sinks(op, k, rawConstructor, space).Where(s => s.Operand is not IInvalidOperation && !s.Operand.Syntax.ContainsDiagnostics);

    private static IEnumerable<AddressSink> Sinks(IOperation op, KnownSymbols k, Role? rawConstructor, AddressSpaceAnnotation space)
    {
        string annotation = AddressSpaceAnnotations.Describe(space);
        switch (op)
        {
            case IInvocationOperation inv when k.RoleOf(inv.TargetMethod) == rawConstructor && inv.Arguments.Length > 0:
                yield return new AddressSink(inv.Arguments[0].Value, inv.Syntax.GetLocation(), RawConstructorDescription(inv, k));
                break;
            case IInvocationOperation inv:
                foreach (AddressSink sink in Arguments(inv.Arguments, inv.TargetMethod, k, space, annotation))
                {
                    yield return sink;
                }

                break;
            case IObjectCreationOperation creation when creation.Constructor is not null:
                foreach (AddressSink sink in Arguments(creation.Arguments, creation.Constructor, k, space, annotation))
                {
                    yield return sink;
                }

                break;
            case IAssignmentOperation assignment when TargetSymbol(assignment.Target) is ISymbol target:
                string kind = target is IFieldSymbol ? "field" : "property";
                yield return new AddressSink(assignment.Value, assignment.Value.Syntax.GetLocation(), $"{kind} '{target.Name}' is {k.DescribeAnnotation(target, space)}");
                break;
            case IReturnOperation { ReturnedValue: IOperation value } ret when ReturningMethod(ret) is IMethodSymbol method:
                yield return new AddressSink(value, value.Syntax.GetLocation(), $"{method.Name} returns {k.DescribeAnnotation(method, space)}");
                break;
        }
    }

    private static IEnumerable<AddressSink> Arguments(IEnumerable<IArgumentOperation> arguments, IMethodSymbol method, KnownSymbols k,
        AddressSpaceAnnotation space, string annotation)
    {
        foreach (IArgumentOperation argument in arguments)
        {
            if (argument.Parameter is IParameterSymbol p && k.AnnotationOf(p) == space)
            {
                yield return new AddressSink(argument.Value, argument.Syntax.GetLocation(), $"parameter '{p.Name}' of {method.Name} is {annotation}");
            }
        }
    }

    private static string RawConstructorDescription(IInvocationOperation inv, KnownSymbols k)
    {
        string type = inv.TargetMethod.ContainingType.Name;
        IOperation? parent = inv.Parent;
        while (parent is IConversionOperation or IConditionalOperation or ICoalesceOperation)
        {
            parent = parent.Parent;
        }

        return parent is IAssignmentOperation { Target: IPropertyReferenceOperation p } && k.RoleOf(p.Property) == Role.SgDmaAddress
            ? "stored as a scatterlist entry's DMA address"
            : $"{type}.FromRaw";
    }

    private static ISymbol? TargetSymbol(IOperation target) => target switch
    {
        IFieldReferenceOperation f => f.Field,
        IPropertyReferenceOperation p => p.Property,
        _ => null,
    };

    /// <summary>The method a return leaves: a local function, nothing for a lambda, else the containing member.</summary>
    private static IMethodSymbol? ReturningMethod(IOperation op, IMethodSymbol? containing = null)
    {
        for (IOperation? p = op.Parent; p is not null; p = p.Parent)
        {
            if (p is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return (p as ILocalFunctionOperation)?.Symbol;
            }
        }

        return containing ?? op.SemanticModel?.GetEnclosingSymbol(op.Syntax.SpanStart) as IMethodSymbol;
    }
}

/// <summary>The operation kinds address sinks can be.</summary>
internal static class AddressSinkKinds
{
    public static readonly System.Collections.Immutable.ImmutableArray<OperationKind> All = System.Collections.Immutable.ImmutableArray.Create(
        OperationKind.Invocation, OperationKind.ObjectCreation, OperationKind.SimpleAssignment, OperationKind.CompoundAssignment, OperationKind.Return);
}

/// <summary>
/// A rule that reports CPU physical addresses reaching the sinks of one address space (P2P0001: DMA, P2P0002: PCI bus).
/// </summary>
public abstract class AddressSinkAnalyzer : FlowRuleAnalyzer
{
    private protected abstract DiagnosticDescriptor Descriptor { get; }

    private protected abstract Role RawConstructor { get; }

    private protected abstract AddressSpaceAnnotation Space { get; }

    /// <inheritdoc/>
    public sealed override System.Collections.Immutable.ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics =>
        System.Collections.Immutable.ImmutableArray.Create(Descriptor);

    /// <summary>The attributes alone are enough: a project's own annotated wrappers are analysed without the library.</summary>
    private protected sealed override bool NeedsLibrary => false;

    private protected sealed override System.Collections.Immutable.ImmutableArray<OperationKind> CandidateKinds => AddressSinkKinds.All;

    private protected sealed override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) =>
        AddressSinks.IsCandidate(operation, containingSymbol, symbols, RawConstructor, Space);

    // A sink given a DMA or bus address's raw value, or a constant, cannot receive a CPU physical address: DmaAddr.Raw and
    // PciBusAddr.Raw keep only their own space's facts (the ring and descriptor writes of correct drivers).
    private protected sealed override bool MayReport(IOperation candidate, KnownSymbols symbols)
    {
        foreach (AddressSink sink in AddressSinks.Of(candidate, symbols, RawConstructor, Space))
        {
            IOperation operand = sink.Operand;
            while (operand is IConversionOperation { OperatorMethod: null } conversion)
            {
                operand = conversion.Operand;
            }

            if (!operand.ConstantValue.HasValue
                && !(operand is IPropertyReferenceOperation p && symbols.RoleOf(p.Property) is Role.DmaRaw or Role.BusRaw))
            {
                return true;
            }
        }

        return false;
    }

    private protected sealed override bool Needs(Fact fact) => fact.Kind is FactKind.CpuPhys or FactKind.Pfn;

    private protected sealed override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, System.Action<Diagnostic> report)
    {
        foreach (AddressSink sink in AddressSinks.Of(candidate, symbols, RawConstructor, Space))
        {
            if (Reporting.Earliest(flow.ValueOf(sink.Operand.Syntax), FactKind.CpuPhys) is Fact source)
            {
                var properties = Reporting.SourceProperties(source);
                if (AddressSinks.SubtractsBusOffset(sink.Operand, flow))
                {
                    properties = properties.SetItem(PropertyNames.Kind, AddressSinks.BusOffsetSubtracted);
                }

                report(Diagnostic.Create(Descriptor, sink.Location, Reporting.Origins(source), properties,
                    Reporting.Text(sink.Operand.Syntax), source.Origin.Describe(), sink.Description));
            }
        }
    }
}
