using System;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace P2PAnalyzers.Benchmarks.Infrastructure;

/// <summary>The analyzer sets the benchmarks compare.</summary>
public static class AnalyzerSets
{
    /// <summary>Every P2P rule's analyzer, ordered by type name (P2P0001 first).</summary>
    public static ImmutableArray<DiagnosticAnalyzer> AllP2P { get; } = typeof(Descriptors).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static ImmutableArray<DiagnosticAnalyzer> Empty { get; } = ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyAnalyzer());

    public static ImmutableArray<DiagnosticAnalyzer> EmptyOperation { get; } = ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyOperationAnalyzer());

    /// <summary>The whole-program design's floor: the empty operation analyzer plus the binding the summary does ahead.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> BindAhead { get; } = ImmutableArray.Create<DiagnosticAnalyzer>(new BindAheadAnalyzer());

    /// <summary>One <see cref="EmptyRuleShapedAnalyzer"/> per P2P rule, with that rule's candidate kinds.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> EmptyRuleShaped { get; } = AllP2P
        .Select(a => (DiagnosticAnalyzer)new EmptyRuleShapedAnalyzer((ImmutableArray<OperationKind>)a.GetType()
            .GetProperty("CandidateKinds", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(a)!))
        .ToImmutableArray();

    /// <summary>The rule ID of one P2P analyzer (each reports exactly one).</summary>
    public static string RuleId(DiagnosticAnalyzer analyzer) => analyzer.SupportedDiagnostics.Single().Id;

    /// <summary>One P2P analyzer alone, by rule ID.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> Rule(string id) => ImmutableArray.Create(AllP2P.Single(a => RuleId(a) == id));
}
