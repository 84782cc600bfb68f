using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The scaffolding every flow-based rule shares: register nothing unless the compilation references the companion
/// library or the address-space attributes; in each method, collect candidate operations with a cheap symbol check;
/// only if there are any, run (or reuse) the method's flow analysis and let the rule judge each candidate.
/// </summary>
public abstract class FlowRuleAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The operation kinds that may be candidates.</summary>
    private protected abstract ImmutableArray<OperationKind> CandidateKinds { get; }

    /// <summary>The cheap pre-filter: could this operation be what the rule looks for?</summary>
    private protected abstract bool IsCandidate(IOperation operation, KnownSymbols symbols);

    /// <summary>Judges one candidate with the method's flow facts.</summary>
    private protected abstract void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report);

    /// <summary>True when the rule needs the library itself, not just the attributes.</summary>
    private protected virtual bool NeedsLibrary => true;

    /// <inheritdoc/>
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            KnownSymbols? symbols = KnownSymbols.TryGet(start.Compilation);
            if (symbols is null || (NeedsLibrary && !symbols.HasLibrary))
            {
                return;
            }

            start.RegisterOperationBlockStartAction(block => OnBlock(block, symbols));
        });
    }

    private void OnBlock(OperationBlockStartAnalysisContext block, KnownSymbols symbols)
    {
        var candidates = new ConcurrentQueue<IOperation>();
        block.RegisterOperationAction(
            op =>
            {
                // Half-typed code (a missing parenthesis or operand) is judged once it is written, not while it is typed.
                if (!op.Operation.Syntax.ContainsDiagnostics && AnalysisGuard.Run(() => IsCandidate(op.Operation, symbols)))
                {
                    candidates.Enqueue(op.Operation);
                }
            },
            CandidateKinds);
        block.RegisterOperationBlockEndAction(end =>
        {
            if (candidates.IsEmpty)
            {
                return;
            }

            AnalysisGuard.Run(() =>
            {
                foreach (IOperation candidate in candidates)
                {
                    if (MethodFlow.BlockOf(candidate, end.OperationBlocks) is IOperation root)
                    {
                        Check(candidate, MethodFlow.Of(root, symbols, end.GetControlFlowGraph), symbols, end.ReportDiagnostic);
                    }
                }

                return true;
            });
        });
    }
}
