using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0011: a distance (<c>PciP2PDma.Distance</c>, <c>DistanceMany</c>) compared with 0 or -1 decides a path that maps
/// with a generic call. A non-negative distance covers both bus-address and through-host-bridge peers.
/// The gated calls are the diagnostic's additional locations, for the fix.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0011DistanceAsMappingDecisionAnalyzer : FlowRuleAnalyzer
{
    /// <summary>
    /// Diagnostic property: how many of the additional locations (the first ones) are the gated mapping calls; 0 when the
    /// gate decides only whether a helper that maps runs.
    /// </summary>
    internal const string GatedCallsProperty = "GatedCalls";

    /// <summary>Diagnostic property: how many additional locations after the gated calls are the helpers that map.</summary>
    internal const string GatedHelpersProperty = "GatedHelpers";

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0011DistanceAsMappingDecision);

    // Comparisons, and the conditionals whose condition is a bool (a verdict kept in a local, field or flag): not every
    // reference of the compilation, which would cost a callback per read in every body.
    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.Binary, OperationKind.Conditional);

    // A comparison with 0 or -1, or an if or conditional that tests a bool.
    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) => operation switch
    {
        IBinaryOperation b => b.LeftOperand.ConstantValue is { HasValue: true, Value: 0 or -1 } || b.RightOperand.ConstantValue is { HasValue: true, Value: 0 or -1 },
        IConditionalOperation c => TestedBool(c) is not null,
        _ => false,
    };

    /// <summary>The bool a conditional tests, under any number of <c>!</c>: a local, field, property, parameter or call.</summary>
    private static IOperation? TestedBool(IConditionalOperation conditional)
    {
        IOperation condition = conditional.Condition;
        while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            condition = not.Operand;
        }

        return condition.Kind is OperationKind.LocalReference or OperationKind.FieldReference or OperationKind.PropertyReference
            or OperationKind.ParameterReference or OperationKind.Invocation && condition.Type?.SpecialType == SpecialType.System_Boolean
            ? condition
            : null;
    }

    // Distance facts are made only by PciP2PDma.Distance/DistanceMany calls in the body itself: without one, no
    // comparison there can be a distance gate, and ordinary `x < 0` checks cost no flow analysis.
    private protected override bool Needs(Fact fact) => fact.Kind is FactKind.Distance or FactKind.DistanceVerdict;

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        if (candidate is IConditionalOperation conditional && TestedBool(conditional) is IOperation tested)
        {
            candidate = tested;
        }

        // A comparison gates when it is the condition; a bool when it is the condition or under its negation.
        DistanceGate? gate = DistanceGates.Of(flow, symbols).FirstOrDefault(g => candidate is IBinaryOperation
            ? g.Comparison == candidate.Syntax
            : g.Comparison.Span.Contains(candidate.Syntax.Span) && g.Comparison is not Microsoft.CodeAnalysis.CSharp.Syntax.BinaryExpressionSyntax);
        if (gate is null)
        {
            return;
        }

        // The gated mapping calls come first (the fix rewrites them), then the helpers that map, then where a bool's
        // verdict was computed.
        var calls = gate.GatedCalls.OrderBy(c => c.Syntax.SpanStart).ToList();
        var helpers = gate.GatedHelpers.OrderBy(c => c.Syntax.SpanStart).ToList();
        string path = calls.Count > 0
            ? $"Dma.{calls[0].TargetMethod.Name}"
            : $"{helpers[0].TargetMethod.ContainingType.Name}.{helpers[0].TargetMethod.Name}, which maps with a generic call";
        var locations = calls.Concat(helpers).Select(c => c.Syntax.GetLocation()).ToList();
        if (candidate is not IBinaryOperation && Reporting.Earliest(flow.ValueOf(candidate.Syntax), FactKind.DistanceVerdict) is Fact verdict)
        {
            locations.AddRange(verdict.Origin.Locations().Where(l => l.IsInSource));
        }

        report(Diagnostic.Create(Descriptors.P2P0011DistanceAsMappingDecision, candidate.Syntax.GetLocation(), locations,
            ImmutableDictionary<string, string?>.Empty
                .Add(GatedCallsProperty, calls.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Add(GatedHelpersProperty, helpers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Reporting.Text(candidate.Syntax), path));
    }
}
