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
}

/// <summary>
/// A switch statement, switch expression or <c>==</c> if-chain over a <c>P2PMapType</c> value, read as arms. Shared by
/// P2P0012 and its fix.
/// </summary>
internal sealed class MapTypeArms
{
    public const int BusAddr = 3;
    public const int NotSupported = 2;

    public const string MissingBusAddr = "MissingBusAddr";
    public const string BusAddrMapped = "BusAddrMapped";
    public const string MissingNotSupported = "MissingNotSupported";
    public const string NotSupportedMapped = "NotSupportedMapped";

    private MapTypeArms(IOperation construct, string what, Location location, IOperation governing, List<MapTypeArm> arms, MapTypeArm? @default)
    {
        Construct = construct;
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

    public MapTypeArm? Arm(int value) => Arms.FirstOrDefault(a => a.Values.Contains(value));

    /// <summary>True when an arm maps (or picks a DMA address), or a generic mapping call follows in the same block.</summary>
    public bool DecidesMapping(KnownSymbols symbols)
    {
        bool armMaps = Arms.Concat(Default is null ? Enumerable.Empty<MapTypeArm>() : new[] { Default })
            .SelectMany(a => a.Body).SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>()
            .Any(i => IsMappingRole(symbols.RoleOf(i.TargetMethod)));
        if (armMaps)
        {
            return true;
        }

        IOperation statement = Construct;
        while (statement.Parent is not null and not IBlockOperation)
        {
            statement = statement.Parent;
        }

        return statement.Parent is IBlockOperation block
            && block.Operations.SkipWhile(o => o != statement).Skip(1)
                .SelectMany(o => o.DescendantsAndSelf()).OfType<IInvocationOperation>()
                .Any(i => DistanceGates.IsGenericMapping(symbols.RoleOf(i.TargetMethod)));
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
        return new MapTypeArms(s, "switch", location, s.Value, arms, @default);
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
        return new MapTypeArms(e, "switch expression", location, e.Value, arms, @default);
    }

    private static MapTypeArms? FromIfChain(IConditionalOperation head, INamedTypeSymbol mapType)
    {
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
        DistanceGates.IsGenericMapping(role) || role is Role.BusAddrMap or Role.MapP2P or Role.PhysVecToSgt or Role.MapSgTable;
}
