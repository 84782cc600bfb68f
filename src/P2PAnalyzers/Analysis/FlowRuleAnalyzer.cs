using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The scaffolding every flow-based rule shares: register nothing unless the compilation references the companion
/// library or the address-space attributes; in each method, collect candidate operations with a cheap symbol check;
/// only if there are any, run (or reuse) the method's flow analysis and let the rule judge each candidate.
/// </summary>
/// <remarks>
/// Two optional pre-filters keep the flow analysis out of methods that cannot matter to a rule (see
/// docs/performance.md): <see cref="MayMatter"/> judges the method itself before anything is registered for it, and
/// <see cref="IsPrerequisite"/> names operations without which no candidate of the method can be reported (the facts
/// the rule needs are only ever created by such an operation), so candidates are judged only where one was seen.
/// </remarks>
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

    /// <summary>False when nothing in a body owned by <paramref name="owner"/> can be reported by the rule.</summary>
    private protected virtual bool MayMatter(ISymbol owner, KnownSymbols symbols) => true;

    /// <summary>The operation kinds a prerequisite can be; empty when the rule has none.</summary>
    private protected virtual ImmutableArray<OperationKind> PrerequisiteKinds => ImmutableArray<OperationKind>.Empty;

    /// <summary>True for an operation that must occur in the body before any candidate there can be reported.</summary>
    private protected virtual bool IsPrerequisite(IOperation operation, KnownSymbols symbols) => false;

    /// <inheritdoc/>
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        ImmutableArray<OperationKind> kinds = CandidateKinds.Union(PrerequisiteKinds).ToImmutableArray();
        bool hasPrerequisite = !PrerequisiteKinds.IsEmpty;
        context.RegisterCompilationStartAction(start =>
        {
            KnownSymbols? symbols = KnownSymbols.TryGet(start.Compilation);
            if (symbols is null || (NeedsLibrary && !symbols.HasLibrary))
            {
                return;
            }

            start.RegisterOperationBlockStartAction(block =>
            {
                if (AnalysisGuard.Run((this, block.OwningSymbol, symbols), static s => s.Item1.MayMatter(s.OwningSymbol, s.symbols)))
                {
                    OnBlock(block, symbols, kinds, hasPrerequisite);
                }
            });
        });
    }

    private void OnBlock(OperationBlockStartAnalysisContext block, KnownSymbols symbols, ImmutableArray<OperationKind> kinds, bool hasPrerequisite)
    {
        var state = new BlockState(this, symbols);
        block.RegisterOperationAction(op => state.Observe(op.Operation), kinds);
        block.RegisterOperationBlockEndAction(end =>
        {
            if (state.Candidates.IsEmpty || (hasPrerequisite && state.PrerequisiteSeen == 0))
            {
                return;
            }

            AnalysisGuard.Run(() =>
            {
                foreach (IOperation candidate in state.Candidates)
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

    /// <summary>What one body's operation actions collect for its block-end action.</summary>
    private sealed class BlockState
    {
        private readonly FlowRuleAnalyzer _rule;
        private readonly KnownSymbols _symbols;
        private int _prerequisiteSeen;

        public BlockState(FlowRuleAnalyzer rule, KnownSymbols symbols)
        {
            _rule = rule;
            _symbols = symbols;
        }

        public ConcurrentQueue<IOperation> Candidates { get; } = new();

        public int PrerequisiteSeen => Volatile.Read(ref _prerequisiteSeen);

        public void Observe(IOperation operation)
        {
            // Half-typed code (a missing parenthesis or operand) is judged once it is written, not while it is typed.
            if (operation.Syntax.ContainsDiagnostics)
            {
                return;
            }

            if (_rule.CandidateKinds.Contains(operation.Kind)
                && AnalysisGuard.Run((_rule, operation, _symbols), static s => s._rule.IsCandidate(s.operation, s._symbols)))
            {
                Candidates.Enqueue(operation);
            }

            if (_prerequisiteSeen == 0 && _rule.PrerequisiteKinds.Contains(operation.Kind)
                && AnalysisGuard.Run((_rule, operation, _symbols), static s => s._rule.IsPrerequisite(s.operation, s._symbols)))
            {
                Volatile.Write(ref _prerequisiteSeen, 1);
            }
        }
    }
}
