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
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0011DistanceAsMappingDecision);

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.Binary);

    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) =>
        operation is IBinaryOperation b
        && (b.LeftOperand.ConstantValue is { HasValue: true, Value: 0 or -1 } || b.RightOperand.ConstantValue is { HasValue: true, Value: 0 or -1 });

    // Distance facts are made only by PciP2PDma.Distance/DistanceMany calls in the body itself: without one, no
    // comparison there can be a distance gate, and ordinary `x < 0` checks cost no flow analysis.
    private protected override ImmutableArray<OperationKind> PrerequisiteKinds { get; } = ImmutableArray.Create(OperationKind.Invocation);

    private protected override bool IsPrerequisite(IOperation operation, KnownSymbols symbols) =>
        operation is IInvocationOperation inv && symbols.RoleOf(inv.TargetMethod) is Role.Distance or Role.DistanceMany;

    private protected override bool Needs(Fact fact) => fact.Kind == FactKind.Distance;

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        DistanceGate? gate = DistanceGates.Of(flow, symbols).FirstOrDefault(g => g.Comparison == candidate.Syntax);
        if (gate is null)
        {
            return;
        }

        IInvocationOperation first = gate.GatedCalls.OrderBy(c => c.Syntax.SpanStart).First();
        string calls = $"Dma.{first.TargetMethod.Name}";
        report(Diagnostic.Create(Descriptors.P2P0011DistanceAsMappingDecision, candidate.Syntax.GetLocation(),
            gate.GatedCalls.OrderBy(c => c.Syntax.SpanStart).Select(c => c.Syntax.GetLocation()),
            Reporting.Text(candidate.Syntax), calls));
    }
}
