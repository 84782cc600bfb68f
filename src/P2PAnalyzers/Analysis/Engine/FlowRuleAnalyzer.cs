using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The scaffolding every flow-based rule shares: register nothing unless the compilation references the companion
/// library or the address-space attributes and a file of it names them; judge each operation with a cheap symbol check; only for a candidate, run
/// (or reuse) the flow analysis of the body it is in and let the rule judge it.
/// </summary>
/// <remarks>
/// Performance (docs/performance.md): candidates are found by plain operation actions, so a body without one costs
/// no per-body registration, state or block-end callback; the flow analysis of a body is computed once for all rules
/// (<see cref="MethodFlow.Of"/>). Pre-filters keep it out of bodies that cannot matter to a rule: <see cref="MayMatter"/>
/// judges the member that contains the operation, <see cref="MayReport"/> the candidate itself, and the facts the rule
/// <see cref="Needs"/> decide the rest: a body is analysed only when something in it can make one
/// (<see cref="FactProducers"/>, the one table of which member makes which fact) or reads a node of the whole-program
/// summary that brings one.
/// </remarks>
public abstract class FlowRuleAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The operation kinds that may be candidates.</summary>
    private protected abstract ImmutableArray<OperationKind> CandidateKinds { get; }

    /// <summary>
    /// The cheap pre-filter, asked for every operation of the candidate kinds: could this operation (in a body of
    /// <paramref name="containingSymbol"/>) be what the rule looks for?
    /// </summary>
    private protected abstract bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols);

    /// <summary>Judges one candidate with the method's flow facts.</summary>
    private protected abstract void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report);

    /// <summary>True when the rule needs the library itself, not just the attributes.</summary>
    private protected virtual bool NeedsLibrary => true;

    /// <summary>False when nothing in a body of <paramref name="owner"/> can be reported by the rule.</summary>
    private protected virtual bool MayMatter(ISymbol owner, KnownSymbols symbols) => true;

    /// <summary>
    /// False when the candidate alone (its syntax and symbols) shows that the rule cannot report it, whatever the flow
    /// analysis would say; checked before the body's flow analysis is asked for.
    /// </summary>
    private protected virtual bool MayReport(IOperation candidate, KnownSymbols symbols) => true;

    /// <summary>
    /// A candidate the rule judges even in a body without the facts it <see cref="Needs"/>: what makes it reportable is
    /// elsewhere in the compilation and found without a fact (P2P0024's loop over a table mapped in another method).
    /// </summary>
    private protected virtual bool JudgedWithoutFacts(IOperation candidate, KnownSymbols symbols) => false;

    /// <summary>
    /// Judges a candidate from its syntax and symbols alone, without the body's flow analysis; true when it did (the
    /// flow is then not asked for). P2P0021 compares a scatterlist unmap with the map calls of its table this way.
    /// </summary>
    private protected virtual bool JudgedWithoutFlow(IOperation candidate, KnownSymbols symbols, Func<ControlFlowGraph> graph, Action<Diagnostic> report) => false;

    /// <summary>
    /// The facts without which no candidate can be reported: a body is judged only when it can make one itself
    /// (<see cref="FactProducers.OfBody"/>) or reads a node of the whole-program summary that brings one. A rule that
    /// needs none (the default) judges every candidate. Judged on a fact's kind and memory alone (<see cref="FactShapes"/>).
    /// </summary>
    private protected virtual bool Needs(Fact fact) => false;

    // Set once in Initialize, before any callback runs.
    private FactShapes _needed;

    /// <inheritdoc/>
    public sealed override void Initialize(AnalysisContext context)
    {
        _needed = FactShapes.Where(Needs);
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            // No operation action at all when no file can name the library (a project that merely references the
            // package): the driver then builds no operation trees for the rules, which is most of their cost there.
            KnownSymbols? symbols = KnownSymbols.TryGet(start.Compilation, start.Options);
            if (symbols is null || (NeedsLibrary && !symbols.HasLibrary) || !symbols.SourceMayMakeFacts)
            {
                return;
            }

            start.RegisterOperationAction(op => OnOperation(op, symbols), CandidateKinds);
        });
    }

    private void OnOperation(OperationAnalysisContext context, KnownSymbols symbols)
    {
        // Half-typed code (a missing parenthesis or operand) is judged once it is written, not while it is typed. (The
        // state tuple holds the operation, not the context: copying that large struct per operation showed in profiles.)
        if (context.Operation.Syntax.ContainsDiagnostics
            || !AnalysisGuard.Run((Rule: this, context.Operation, context.ContainingSymbol, Symbols: symbols),
                static s => s.Rule.MayMatter(s.ContainingSymbol, s.Symbols) && s.Rule.IsCandidate(s.Operation, s.ContainingSymbol, s.Symbols)))
        {
            return;
        }

        // Only a candidate gets here; the context is captured for the graph and the report, not on every operation.
        Judge(context, symbols);
    }

    private void Judge(OperationAnalysisContext context, KnownSymbols symbols) => AnalysisGuard.Run(() =>
    {
        IOperation candidate = context.Operation;
        IOperation root = MethodFlow.RootOf(candidate);
        if (!MayReport(candidate, symbols) || JudgedWithoutFlow(candidate, symbols, () => context.GetControlFlowGraph(), context.ReportDiagnostic) || (!_needed.IsEmpty && !MayHaveNeededFacts(root, symbols) && !JudgedWithoutFacts(candidate, symbols)))
        {
            return true;
        }

        Check(candidate, MethodFlow.Of(root, symbols, _ => context.GetControlFlowGraph()), symbols, context.ReportDiagnostic);
        return true;
    });

    /// <summary>Whether a body can have a fact the rule needs: one it makes itself, or one its reads bring (both kept per body for all rules).</summary>
    private bool MayHaveNeededFacts(IOperation root, KnownSymbols symbols) =>
        FactProducers.OfBody(root, symbols).Overlaps(_needed) || symbols.Program.BroughtTo(root, symbols).Overlaps(_needed);
}
