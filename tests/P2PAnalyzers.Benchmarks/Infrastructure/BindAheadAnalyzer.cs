using System;
using System.Collections.Generic;
using System.Linq;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Benchmarks.Infrastructure;

/// <summary>
/// The floor of the whole-program design, not a rule: the empty operation analyzer, plus, at the first callback of a
/// compilation, the operation tree and control flow graph of every body the summary's first step collects (the bodies
/// that name a member of the fact table, in files that name the library), and nothing else. Any solve run from the
/// rules' callbacks pays at least this before it evaluates anything: it binds those bodies before the compiler gets to
/// them, and the compiler binds them again for itself.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BindAheadAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(EmptyOperationAnalyzer.Descriptor);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            KnownSymbols? symbols = KnownSymbols.TryGet(start.Compilation);
            if (symbols is null)
            {
                start.RegisterOperationAction(_ => { }, OperationKind.Invocation);
                return;
            }

            var once = new Lazy<int>(() => BindAll(symbols), LazyThreadSafetyMode.ExecutionAndPublication);
            start.RegisterOperationAction(c => { _ = once.Value; }, OperationKind.Invocation);
        });
    }

    /// <summary>Binds and builds the graph of each body the summary's first step collects; returns how many had one.</summary>
    private static int BindAll(KnownSymbols symbols)
    {
        var trees = symbols.Compilation.SyntaxTrees.Select(TreeIndex.Of).ToList();
        int graphs = 0;
        foreach (var (t, body) in ProgramBuilder.FirstBodies(trees, symbols).Distinct())
        {
            IOperation? root = SemanticModels.Of(symbols.Compilation, trees[t].Tree).GetOperation(trees[t].Bodies[body]);
            while (root?.Parent is IOperation parent)
            {
                root = parent;
            }

            ControlFlowGraph? graph = root switch
            {
                IMethodBodyOperation method => ControlFlowGraph.Create(method),
                IConstructorBodyOperation constructor => ControlFlowGraph.Create(constructor),
                _ => null,
            };
            graphs += graph is null ? 0 : 1;
        }

        return graphs;
    }
}
