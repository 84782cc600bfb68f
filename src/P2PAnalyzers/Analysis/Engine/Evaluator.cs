using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The transfer functions of the address-provenance analysis: evaluates one operation of a control flow graph
/// against the current <see cref="State"/>, updating it for assignments. Members, invocations and operators live
/// in the other parts of this class.
/// </summary>
internal sealed partial class Evaluator
{
    private const int MaxLocalFunctionDepth = 2;

    /// <summary><c>DmaAttrs.SkipCpuSync</c> (<c>DMA_ATTR_SKIP_CPU_SYNC</c>).</summary>

    private readonly FlowContext _context;
    private readonly KnownSymbols _k;
    private readonly FlowRecorder? _recorder;
    private readonly ControlFlowGraph _graph;
    private readonly int _depth;

    public Evaluator(FlowContext context, ControlFlowGraph graph, FlowState state, FlowRecorder? recorder, int depth)
    {
        _context = context;
        _k = context.Symbols;
        _graph = graph;
        State = state;
        _recorder = recorder;
        _depth = depth;
    }

    public FlowState State { get; set; }

    public FlowValue Eval(IOperation? op)
    {
        if (op is null)
        {
            return FlowValue.Empty;
        }

        FlowValue value = EvalCore(op);
        if (op.ConstantValue is { HasValue: true, Value: int attrs } && (attrs & FactProducers.DmaAttrsSkipCpuSync) != 0 && _k.Is(op.Type, _k.DmaAttrs))
        {
            value = value.Add(new Fact(FactKind.SkipCpuSyncAttrs, new Origin("DmaAttrs.SkipCpuSync", op.Syntax.GetLocation())));
        }

        if (!op.ConstantValue.HasValue && _k.Is(op.Type, _k.P2PMapType))
        {
            value = MapTypeFromElsewhere(op, value);
        }

        if (_recorder is not null && !value.IsEmpty)
        {
            _recorder.Record(op.Syntax, value);
        }

        return value;
    }

    private FlowValue EvalCore(IOperation op)
    {
        switch (op)
        {
            case ILiteralOperation or IDefaultValueOperation or IInstanceReferenceOperation:
                return FlowValue.Empty;
            case ILocalReferenceOperation or IParameterReferenceOperation or IFlowCaptureReferenceOperation:
                return ReadLocation(op);
            case IConversionOperation conversion:
                return Convert(conversion, Eval(conversion.Operand));
            case IBinaryOperation binary:
                return Binary(binary);
            case IUnaryOperation unary:
                FlowValue operand = Eval(unary.Operand);
                return unary.OperatorKind switch
                {
                    UnaryOperatorKind.Plus => operand,
                    UnaryOperatorKind.Not => operand.Select(f => f.Kind == FactKind.DistanceVerdict
                        ? new Fact(f.Kind, f.Origin, f.Memory, FactKey.Of(f.Key.Kind == KeyKind.Possible ? KeyKind.Impossible : KeyKind.Possible))
                        : null),
                    _ => FlowValue.Empty,
                };
            case IInvocationOperation invocation:
                return Invocation(invocation);
            case IPropertyReferenceOperation property:
                return PropertyRead(property);
            case IFieldReferenceOperation field:
                return FieldRead(field);
            case ISimpleAssignmentOperation assignment:
                FlowValue assigned = Assign(assignment.Target, assignment.Value);
                RecordUnchecked(assignment.Syntax);
                return assigned;
            case ICompoundAssignmentOperation compound:
                return CompoundAssign(compound);
            case IIncrementOrDecrementOperation increment:
                return Eval(increment.Target);
            case IDeconstructionAssignmentOperation deconstruction:
                Deconstruct(deconstruction);
                return FlowValue.Empty;
            case IFlowCaptureOperation capture:
                return Assign(AccessPath.Of(capture.Id), capture.Value);
            case IArrayElementReferenceOperation element:
                FlowValue array = Eval(element.ArrayReference);
                foreach (IOperation index in element.Indices)
                {
                    Eval(index);
                }

                // An element of an array made from a table's entries is one of those entries; an element of an array
                // kept in a field is what the program stores into that field's elements.
                return ReadLocation(element).Union(TableView(array, element.Type)).Union(ElementsOf(element.ArrayReference));
            case IObjectCreationOperation creation:
                return ObjectCreation(creation);
            case IFlowAnonymousFunctionOperation lambda:
                _recorder?.Lambdas.Add((lambda, _graph, State));
                return FlowValue.Empty;
            default:
                foreach (IOperation child in op.ChildOperations)
                {
                    Eval(child);
                }

                return FlowValue.Empty;
        }
    }

    /// <summary>
    /// A map type read from elsewhere (a field set at attach time, a parameter, a helper's result) was decided there: for
    /// the providers and devices its facts name, or for any when one of them is unknown. A map type whose provider and
    /// device the analysis cannot tell gets unkeyed facts, so that a field stored from it counts for any when read.
    /// </summary>
    private FlowValue MapTypeFromElsewhere(IOperation op, FlowValue value)
    {
        if (!value.Has(FactKind.MapTypeOf))
        {
            var unknown = new Origin("P2PMapType", op.Syntax.GetLocation());
            value = value.Add(new Fact(FactKind.MapTypeOf, unknown)).Add(new Fact(FactKind.MapTypeClient, unknown));
        }

        if (IsFromElsewhere(op))
        {
            // Stores that disagree give several providers and devices: every pair counts (more decisions, more silence).
            foreach (Fact provider in value.Facts)
            {
                foreach (Fact device in value.Facts)
                {
                    if (provider.Kind == FactKind.MapTypeOf && device.Kind == FactKind.MapTypeClient)
                    {
                        State = State.AddDecision(new MapTypeDecision(provider.Key, device.Key));
                    }
                }
            }
        }

        return value;
    }

    /// <summary>
    /// A map type the method did not ask for itself: a field or parameter, or a property or a helper's result, as opposed
    /// to a constant, the library's own queries (recorded as decisions with their keys) and their results.
    /// </summary>
    private bool IsFromElsewhere(IOperation op) => op switch
    {
        IFieldReferenceOperation or IParameterReferenceOperation => true,
        IPropertyReferenceOperation p => p.Instance is not IInvocationOperation && _k.RoleOf(p.Property) == Role.None,
        IInvocationOperation call => _k.RoleOf(call.TargetMethod) == Role.None
            && call.TargetMethod.ContainingNamespace?.ToDisplayString().StartsWith(KnownSymbols.Namespace, System.StringComparison.Ordinal) != true,
        _ => false,
    };

    /// <summary>The tracked location an operation denotes, if the analysis tracks it.</summary>
    public static AccessPath? PathOf(IOperation? op) => op switch
    {
        ILocalReferenceOperation l => AccessPath.Of(l.Local),
        IParameterReferenceOperation p => AccessPath.Of(p.Parameter),
        IFlowCaptureReferenceOperation c => AccessPath.Of(c.Id),
        IInstanceReferenceOperation => AccessPath.This,
        IFieldReferenceOperation f when f.Field.IsStatic => AccessPath.Of(f.Field),
        IFieldReferenceOperation f => PathOf(f.Instance)?.Member(f.Field.CorrespondingTupleField?.Name ?? f.Field.Name),
        IPropertyReferenceOperation p when p.Arguments.IsEmpty && !p.Property.IsStatic => PathOf(p.Instance)?.Member(p.Property.Name),
        IArrayElementReferenceOperation a => PathOf(a.ArrayReference)?.Member(AccessPath.Element),
        IConversionOperation c when c.OperatorMethod is null => PathOf(c.Operand),
        IDeclarationExpressionOperation d => PathOf(d.Expression),
        _ => null,
    };

    private FlowValue ReadLocation(IOperation op)
    {
        AccessPath? path = PathOf(op);
        if (path is not null && State.Values.TryGetValue(path, out FlowValue value))
        {
            return value;
        }

        return op switch
        {
            IParameterReferenceOperation p => Annotated(p.Parameter, p.Syntax, $"parameter '{p.Parameter.Name}'") is { IsEmpty: false } annotated
                ? annotated.Union(IdentityOf(op, p.Parameter.Type))
                : IdentityOf(op, p.Parameter.Type).Union(ArrivingAt(p.Parameter)),
            _ => FlowValue.Empty,
        };
    }

    private FlowValue Assign(IOperation target, IOperation value)
    {
        target = CapturedLocations.Resolve(_graph, target);
        if (WithoutConversions(value) is ITupleOperation tuple && PathOf(target) is AccessPath tuplePath)
        {
            for (int i = 0; i < tuple.Elements.Length; i++)
            {
                State = State.Set(tuplePath.Member("Item" + (i + 1)), Eval(tuple.Elements[i]));
            }

            return FlowValue.Empty;
        }

        FlowValue v = Eval(value);
        if (target.Type?.SpecialType == SpecialType.System_Boolean && value.ConstantValue is { HasValue: true, Value: true })
        {
            v = BusFlagFor(State);
            if (FactProducers.OfBody(_context.Root, _k).Overlaps(FactShapes.Of(FactKind.BusDma)))
            {
                v = v.Add(new Fact(FactKind.BusFlag, new Origin(Reporting.Text(target.Syntax), target.Syntax.GetLocation()), key: FactKey.Of(KeyKind.PendingFlag)));
            }
        }

        FlowValue receiver = EvalTargetReceiver(target);
        if (PathOf(target) is AccessPath path)
        {
            Store(path, v, PathOf(value));
        }

        Hand(target, v, receiver);
        return v;
    }

    /// <summary>A bus address made after a flag was set on this path: the flag stands for it too.</summary>
    private void LinkPendingFlags(Fact bus)
    {
        foreach (var kv in State.Values)
        {
            if (kv.Value.Facts.Any(f => f.Kind == FactKind.BusFlag && f.Key.Kind == KeyKind.PendingFlag))
            {
                State = State.Set(kv.Key, kv.Value.Add(bus.With(FactKind.BusFlag)));
            }
        }
    }

    /// <summary>A flag set where bus addresses live: remembers which (see <see cref="FactKind.BusFlag"/>).</summary>
    private static FlowValue BusFlagFor(FlowState state)
    {
        FlowValue flag = FlowValue.Empty;
        foreach (FlowValue value in state.Values.Values)
        {
            flag = flag.Union(value.Select(f => f.Kind == FactKind.BusDma ? f.With(FactKind.BusFlag) : null));
        }

        return flag;
    }

    private FlowValue Assign(AccessPath path, IOperation value)
    {
        FlowValue v = Eval(value);
        Store(path, v, PathOf(value));
        return v;
    }

    /// <summary>Stores a value; a struct copied from another location takes that location's fields along.</summary>
    private void Store(AccessPath path, FlowValue value, AccessPath? from)
    {
        if (path.Members.LastOrDefault() == AccessPath.Element)
        {
            value = State.Get(path).Union(value); // array elements: weak update
        }

        State = State.Set(path, value);
        if (from is not null && !from.Equals(path))
        {
            foreach (var field in State.Below(from).ToList())
            {
                State = State.Set(from.Rebase(field.Key, path), field.Value);
            }
        }
    }

    /// <summary>Evaluates what a store's target is reached through; returns the receiver's value (a property's instance).</summary>
    private FlowValue EvalTargetReceiver(IOperation target)
    {
        switch (target)
        {
            case IPropertyReferenceOperation p:
                FlowValue instance = Eval(p.Instance);
                foreach (IArgumentOperation a in p.Arguments)
                {
                    Eval(a.Value);
                }

                return instance;
            case IFieldReferenceOperation f:
                return Eval(f.Instance);
            case IArrayElementReferenceOperation e:
                FlowValue array = Eval(e.ArrayReference);
                foreach (IOperation index in e.Indices)
                {
                    Eval(index);
                }

                return array;
            default:
                return FlowValue.Empty;
        }
    }

    private FlowValue CompoundAssign(ICompoundAssignmentOperation compound)
    {
        FlowValue current = Eval(compound.Target);
        FlowValue right = Eval(compound.Value);
        FlowValue result = compound.OperatorMethod is null
            ? Arithmetic(compound.OperatorKind, current, right, compound.Value.ConstantValue)
            : AddressOperator(compound.OperatorMethod, compound.OperatorKind, current, compound.Value.Type);
        if (PathOf(compound.Target) is AccessPath path)
        {
            State = State.Set(path, result);
        }

        Hand(compound.Target, result, FlowValue.Empty);
        return result;
    }

    private void Deconstruct(IDeconstructionAssignmentOperation deconstruction)
    {
        IOperation target = deconstruction.Target is IDeclarationExpressionOperation d ? d.Expression : deconstruction.Target;
        if (target is not ITupleOperation targets)
        {
            Eval(deconstruction.Value);
            return;
        }

        ITupleOperation? values = WithoutConversions(deconstruction.Value) as ITupleOperation;
        if (values is null)
        {
            Eval(deconstruction.Value);
        }

        AccessPath? source = values is null ? PathOf(deconstruction.Value) : null;
        for (int i = 0; i < targets.Elements.Length; i++)
        {
            FlowValue v = values is not null ? Eval(values.Elements[i])
                : source is not null ? State.Get(source.Member("Item" + (i + 1)))
                : FlowValue.Empty;
            IOperation element = targets.Elements[i] is IDeclarationExpressionOperation decl ? decl.Expression : targets.Elements[i];
            if (PathOf(element) is AccessPath path)
            {
                State = State.Set(path, v);
            }
        }
    }

    /// <summary>The operand under conversions that have no operator method (a tuple literal converted to its target type).</summary>
    private static IOperation WithoutConversions(IOperation op)
    {
        while (op is IConversionOperation { OperatorMethod: null } conversion)
        {
            op = conversion.Operand;
        }

        return op;
    }

    private FlowValue ObjectCreation(IObjectCreationOperation creation)
    {
        FlowValue[] args = creation.Arguments.Select(a => Eval(a.Value)).ToArray();
        if (creation.Initializer is not null)
        {
            Eval(creation.Initializer);
        }

        // new PhysRange(start, size): the range carries its start's facts.
        return _k.Is(creation.Type, _k.PhysRange) && args.Length > 0 ? args[0].Where(f => f.Kind == FactKind.CpuPhys) : FlowValue.Empty;
    }
}
