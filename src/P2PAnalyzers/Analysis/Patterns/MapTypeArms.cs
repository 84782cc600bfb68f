using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>One arm of a map-type dispatch: the map-type values it takes (none for a default) and its code.</summary>
internal sealed class MapTypeArm
{
    public MapTypeArm(ImmutableArray<int> values, ImmutableArray<IOperation> body)
    {
        Values = values;
        Body = body;
    }

    public ImmutableArray<int> Values { get; }

    public ImmutableArray<IOperation> Body { get; }

    public IInvocationOperation? GenericMappingCall(KnownSymbols symbols) =>
        Body.SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>()
            .FirstOrDefault(i => DistanceGates.IsGenericMapping(symbols.RoleOf(i.TargetMethod)));

    /// <summary>True when the arm maps or picks a DMA address itself (bus-address map, P2P mapping, IOVA link).</summary>
    public bool MapsOrPicksAddress(KnownSymbols symbols) =>
        Body.SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>()
            .Any(i => symbols.RoleOf(i.TargetMethod) is Role.BusAddrMap or Role.MapP2P or Role.PhysVecToSgt or Role.MapSgTable or Role.MapSgAware
                || DistanceGates.IsGenericMapping(symbols.RoleOf(i.TargetMethod)));

    /// <summary>True when the arm leaves the function itself (return or throw) instead of continuing after the dispatch.</summary>
    public bool Leaves => Body.SelectMany(b => b.DescendantsAndSelf()).Any(o => o is IReturnOperation or IThrowOperation);
}

/// <summary>
/// A switch statement, switch expression or <c>==</c> if-chain over a <c>P2PMapType</c> value, read as arms. Shared by
/// P2P0012 and its fix.
/// </summary>
internal sealed class MapTypeArms
{
    public const int BusAddr = 3;
    public const int NotSupported = 2;
    public const int ThruHostBridge = 4;

    public const string MissingBusAddr = "MissingBusAddr";
    public const string BusAddrMapped = "BusAddrMapped";
    public const string MissingNotSupported = "MissingNotSupported";
    public const string NotSupportedMapped = "NotSupportedMapped";

    private MapTypeArms(IOperation construct, string what, Location location, IOperation governing, List<MapTypeArm> arms, MapTypeArm? @default,
        ImmutableHashSet<int>? guarded = null)
    {
        Construct = construct;
        Guarded = guarded ?? ImmutableHashSet<int>.Empty;
        What = what;
        Location = location;
        Governing = governing;
        Arms = arms;
        Default = @default;
    }

    public IOperation Construct { get; }

    public string What { get; }

    public Location Location { get; }

    public IOperation Governing { get; }

    public IReadOnlyList<MapTypeArm> Arms { get; }

    public MapTypeArm? Default { get; }

    /// <summary>Values that only arms with a <c>when</c> guard take: handled in part, so never "missing".</summary>
    public ImmutableHashSet<int> Guarded { get; }

    public MapTypeArm? Arm(int value) => Arms.FirstOrDefault(a => a.Values.Contains(value));

    /// <summary>
    /// True for <c>if (mapType == ThruHostBridge) attrs |= DmaAttrs.Mmio;</c> and nothing else: the attributes of a
    /// mapping whose map type the caller has already dispatched (blk_dma_map_direct, called by blk_dma_map_iter_start
    /// after its BUS_ADDR and NOT_SUPPORTED arms), not a dispatch of its own.
    /// </summary>
    public bool OnlyChoosesAttributes(KnownSymbols symbols) =>
        Construct is IConditionalOperation { WhenFalse: null } && Default is null && Arms.Count == 1
        && Arms[0].Values.Length == 1 && Arms[0].Values[0] == ThruHostBridge
        && Arms[0].Body.SelectMany(Statements).All(o => o is IExpressionStatementOperation { Operation: IAssignmentOperation a }
            && symbols.Is(a.Target.Type, symbols.DmaAttrs));

    private static IEnumerable<IOperation> Statements(IOperation op) => op is IBlockOperation block ? block.Operations.SelectMany(Statements) : new[] { op };

    /// <summary>True when an arm maps (or picks a DMA address), or a generic mapping of memory that may be a peer's follows.</summary>
    public bool DecidesMapping(KnownSymbols symbols, MethodFlow? flow) =>
        Arms.Concat(Default is null ? Enumerable.Empty<MapTypeArm>() : new[] { Default })
            .SelectMany(a => a.Body).SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>()
            .Any(i => IsMappingRole(symbols.RoleOf(i.TargetMethod)))
        || FollowingGenericCall(symbols, flow) is not null;

    /// <summary>
    /// The first generic mapping call after the dispatch in its block, outside any further branch, of memory not known to
    /// be RAM: where an arm that neither maps nor leaves sends its map type. Without <paramref name="flow"/>, any such
    /// call (what memory it maps is not known yet).
    /// </summary>
    public IInvocationOperation? FollowingGenericCall(KnownSymbols symbols, MethodFlow? flow)
    {
        IOperation statement = Construct;
        while (statement.Parent is not null and not IBlockOperation)
        {
            statement = statement.Parent;
        }

        if (statement.Parent is not IBlockOperation block)
        {
            return null;
        }

        return block.Operations.SkipWhile(o => o != statement).Skip(1)
            .SelectMany(Unconditional)
            .OfType<IInvocationOperation>()
            .FirstOrDefault(i => symbols.RoleOf(i.TargetMethod) is Role.MapResource or Role.MapPhys or Role.MapPage or Role.MapSg
                && (flow is null || !IsRam(i, flow)));
    }

    private static bool IsRam(IInvocationOperation call, MethodFlow flow)
    {
        FlowValue memory = MapTypeDecisions.Argument(call, 1) is IOperation m ? flow.ValueOf(m.Syntax) : FlowValue.Empty;
        var phys = memory.Facts.Where(f => f.Kind == FactKind.CpuPhys).ToList();
        return phys.Count > 0 && phys.All(f => f.Memory == MemoryKind.Ram);
    }

    /// <summary>An operation and its descendants, not entering branches, loops' bodies excepted, or functions.</summary>
    private static IEnumerable<IOperation> Unconditional(IOperation op)
    {
        yield return op;
        foreach (IOperation child in op.ChildOperations)
        {
            if (child is IConditionalOperation or ISwitchOperation or ISwitchExpressionOperation or ICoalesceOperation
                or IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                continue;
            }

            foreach (IOperation d in Unconditional(child))
            {
                yield return d;
            }
        }
    }

    public static MapTypeArms? Of(IOperation op, INamedTypeSymbol mapType, KnownSymbols symbols)
    {
        switch (op)
        {
            case ISwitchOperation s when IsMapType(s.Value, mapType):
                return FromSwitch(s);
            case ISwitchExpressionOperation e when IsMapType(e.Value, mapType):
                return FromSwitchExpression(e);
            case IConditionalOperation c when !c.IsRef && c.Type is null && !IsElseIf(c):
                return FromIfChain(c, mapType);
            default:
                return null;
        }
    }

    private static bool IsMapType(IOperation value, INamedTypeSymbol mapType) =>
        SymbolEqualityComparer.Default.Equals(Unwrap(value).Type, mapType);

    private static IOperation Unwrap(IOperation value) => value is IConversionOperation { IsImplicit: true } c ? c.Operand : value;

    private static MapTypeArms FromSwitch(ISwitchOperation s)
    {
        var arms = new List<MapTypeArm>();
        MapTypeArm? @default = null;
        foreach (ISwitchCaseOperation section in s.Cases)
        {
            var values = section.Clauses.SelectMany(ClauseValues).ToImmutableArray();
            var arm = new MapTypeArm(values, section.Body);
            if (section.Clauses.Any(c => c.CaseKind == CaseKind.Default))
            {
                @default = arm;
            }

            if (!values.IsEmpty)
            {
                arms.Add(arm);
            }
        }

        Location location = s.Syntax is SwitchStatementSyntax syntax ? syntax.SwitchKeyword.GetLocation() : s.Syntax.GetLocation();
        var guarded = s.Cases.SelectMany(c => c.Clauses).SelectMany(GuardedValues).ToImmutableHashSet();
        return new MapTypeArms(s, "switch", location, s.Value, arms, @default, guarded);
    }

    private static MapTypeArms FromSwitchExpression(ISwitchExpressionOperation e)
    {
        var arms = new List<MapTypeArm>();
        MapTypeArm? @default = null;
        foreach (ISwitchExpressionArmOperation arm in e.Arms)
        {
            var values = PatternValues(arm.Pattern).ToImmutableArray();
            var mapped = new MapTypeArm(values, ImmutableArray.Create(arm.Value));
            if (arm.Guard is null && arm.Pattern is IDiscardPatternOperation or IDeclarationPatternOperation)
            {
                @default = mapped;
            }
            else if (!values.IsEmpty && arm.Guard is null)
            {
                arms.Add(mapped);
            }
        }

        Location location = e.Syntax is SwitchExpressionSyntax syntax ? syntax.SwitchKeyword.GetLocation() : e.Syntax.GetLocation();
        var guarded = e.Arms.Where(a => a.Guard is not null).SelectMany(a => PatternValues(a.Pattern)).ToImmutableHashSet();
        return new MapTypeArms(e, "switch expression", location, e.Value, arms, @default, guarded);
    }

    private static MapTypeArms? FromIfChain(IConditionalOperation head, INamedTypeSymbol mapType)
    {
        // Called for every if statement of the compilation: nothing is allocated until the first condition matches.
        if (head.Condition is not IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } first || !IsMapType(first.LeftOperand, mapType))
        {
            return null;
        }

        var arms = new List<MapTypeArm>();
        IOperation? governing = null;
        IOperation? current = head;
        while (current is IConditionalOperation c)
        {
            if (c.Condition is not IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } eq
                || !IsMapType(eq.LeftOperand, mapType) || eq.RightOperand.ConstantValue is not { HasValue: true, Value: int value }
                || (governing is not null && !governing.Syntax.IsEquivalentTo(Unwrap(eq.LeftOperand).Syntax)))
            {
                return null;
            }

            governing ??= Unwrap(eq.LeftOperand);
            arms.Add(new MapTypeArm(ImmutableArray.Create(value), ImmutableArray.Create(c.WhenTrue)));
            current = c.WhenFalse;
        }

        MapTypeArm? @default = current is null ? null : new MapTypeArm(ImmutableArray<int>.Empty, ImmutableArray.Create(current));
        Location location = head.Syntax is IfStatementSyntax syntax ? syntax.IfKeyword.GetLocation() : head.Syntax.GetLocation();
        return governing is null ? null : new MapTypeArms(head, "if-chain", location, governing, arms, @default);
    }

    private static bool IsElseIf(IConditionalOperation c) => c.Parent is IConditionalOperation parent && parent.WhenFalse == c;

    private static IEnumerable<int> GuardedValues(ICaseClauseOperation clause) =>
        clause is IPatternCaseClauseOperation { Guard: not null } p ? PatternValues(p.Pattern) : Enumerable.Empty<int>();

    private static IEnumerable<int> ClauseValues(ICaseClauseOperation clause) => clause switch
    {
        ISingleValueCaseClauseOperation { Value.ConstantValue: { HasValue: true, Value: int v } } => new[] { v },
        IPatternCaseClauseOperation { Guard: null } p => PatternValues(p.Pattern),
        _ => Enumerable.Empty<int>(),
    };

    private static IEnumerable<int> PatternValues(IPatternOperation pattern) => pattern switch
    {
        IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: int v } } => new[] { v },
        IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.Or } or => PatternValues(or.LeftPattern).Concat(PatternValues(or.RightPattern)),
        _ => Enumerable.Empty<int>(),
    };

    private static bool IsMappingRole(Role role) =>
        DistanceGates.IsGenericMapping(role) || role is Role.BusAddrMap or Role.MapP2P or Role.PhysVecToSgt or Role.MapSgTable or Role.MapSgAware;
}
