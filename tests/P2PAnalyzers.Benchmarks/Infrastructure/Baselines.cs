using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace P2PAnalyzers.Benchmarks.Infrastructure;

/// <summary>
/// The floor of analysis: an analyzer that only registers a no-op compilation-start action. What a compilation with
/// analyzers costs before any analyzer does work (roslyn-analyzers' <c>EmptyAnalyzer</c>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EmptyAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Descriptor = new(
        "BENCH0001", "Empty", "Empty", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptor);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(_ => { });
    }
}

/// <summary>
/// The second floor: a no-op invocation-operation action. Registering any operation action makes Roslyn build the
/// operation tree of every method body, which every operation-based analyzer (the P2P rules included) pays for.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EmptyOperationAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Descriptor = new(
        "BENCH0002", "Empty operation", "Empty operation", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptor);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationAction(_ => { }, OperationKind.Invocation);
    }
}

/// <summary>
/// The structural floor of nine rules: one no-op analyzer per P2P rule, registering operation actions for the same
/// kinds as that rule (read from it). What Roslyn's per-analyzer dispatch costs before any rule does work.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EmptyRuleShapedAnalyzer : DiagnosticAnalyzer
{
    private readonly ImmutableArray<OperationKind> _kinds;

    public EmptyRuleShapedAnalyzer(ImmutableArray<OperationKind> kinds) => _kinds = kinds;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(EmptyOperationAnalyzer.Descriptor);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start => start.RegisterOperationAction(_ => { }, _kinds));
    }
}
