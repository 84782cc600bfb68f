using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0020: the DMA address of <c>Dma.MapPage</c>, <c>MapSingle</c>, <c>MapPhys</c> or <c>MapResource</c> reaches its
/// unmap, a device, a scatterlist entry or a declared DMA-address sink on a path where <c>Dma.MappingError</c> was not
/// asked (<c>kernel/dma/debug.c</c>: "device driver failed to check map error"). Reported once per map call, at the call.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0020MappingErrorNotCheckedAnalyzer : FlowRuleAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0020MappingErrorNotChecked);

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.Invocation);

    // The library's single maps, and their thin wrappers (ib_dma_map_single), whose every call makes a mapping to check.
    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) =>
        operation is IInvocationOperation inv
        && (FactProducers.IsSingleMap(symbols.RoleOf(inv.TargetMethod))
            || FactProducers.IsSingleMap(ThinWrappers.WrappedRole(inv.TargetMethod, symbols)));

    private protected override bool Needs(Fact fact) => fact.Kind == FactKind.Dma;

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        var map = (IInvocationOperation)candidate;
        // The source the evaluator gave this call's address (Evaluator.Members: Origin.OfCall at the call).
        var made = new OriginSource(Origin.OfCall(map.TargetMethod), map.Syntax.GetLocation());
        ISymbol? owner = map.SemanticModel?.GetEnclosingSymbol(map.Syntax.SpanStart);
        if (owner is null)
        {
            return;
        }

        // The first use, in source order, of this mapping's address while its error is unchecked on some path there; a
        // store counts when some path also returns without the check (the code may check through what it stored).
        // A table's entry is a library object the analysis does not read back: a body that checks any entry's DMA
        // address (sgt[i].DmaAddress after storing into it) is taken to check what it stored there.
        IOperation root = MethodFlow.RootOf(map);
        bool uncheckedAtExit = flow.States.Length > 0 && flow.States[flow.States.Length - 1] is FlowState exit && exit.Unchecked.Contains(made);
        // Walked only for a function that stores this mapping into an entry and returns with it unchecked.
        bool? checksAnEntry = null;
        bool ChecksAnEntry() => checksAnEntry ??= root.DescendantsAndSelf().OfType<IInvocationOperation>().Any(i => symbols.RoleOf(i.TargetMethod) == Role.MappingError
            && i.Arguments.Any(a => a.Value is IPropertyReferenceOperation p && symbols.RoleOf(p.Property) == Role.SgDmaAddress));
        MappingUse? first = null;
        foreach (IOperation op in root.DescendantsAndSelf())
        {
            if (op.Kind is not (OperationKind.Invocation or OperationKind.SimpleAssignment)
                || !flow.UncheckedAt(op.Syntax).Contains(made))
            {
                continue;
            }

            foreach (MappingUse use in MappingUses.Of(op, owner, symbols))
            {
                if ((!use.Store || (uncheckedAtExit && !(use.Kind == MappingUseKind.EntryStore && ChecksAnEntry())))
                    && flow.ValueOf(use.Operand.Syntax).Facts.Any(f => f.Kind == FactKind.Dma && f.Origin.Steps.IsEmpty && f.Origin.Source.Equals(made))
                    && (first is null || use.Operand.Syntax.SpanStart < first.Value.Operand.Syntax.SpanStart))
                {
                    first = use;
                }
            }
        }

        if (first is MappingUse reached)
        {
            report(Diagnostic.Create(Descriptors.P2P0020MappingErrorNotChecked, map.Syntax.GetLocation(),
                ImmutableArray.Create(reached.Operand.Syntax.GetLocation()),
                made.What, Reporting.Text(reached.Operand.Syntax), reached.Description));
        }
        else if (uncheckedAtExit && StoredForElsewhere(root, flow, made, symbols) is (IOperation kept, MemberMappingUses.Use use))
        {
            report(Diagnostic.Create(Descriptors.P2P0020MappingErrorNotChecked, map.Syntax.GetLocation(),
                ImmutableArray.Create(use.Location), made.What, Reporting.Text(kept.Syntax), use.Description));
        }
    }

    /// <summary>
    /// The member this function stores the unchecked mapping into, and where another method unmaps or syncs it from there
    /// with nothing in the compilation checking it (a request's or ring entry's address freed by the completion).
    /// </summary>
    private static (IOperation Kept, MemberMappingUses.Use Use)? StoredForElsewhere(IOperation root, MethodFlow flow, OriginSource made, KnownSymbols symbols)
    {
        foreach (ISimpleAssignmentOperation store in root.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>())
        {
            if (AddressKey.MemberOf(store.Target) is ISymbol member && symbols.IsSource(member)
                && flow.ValueOf(store.Value.Syntax).Facts.Any(f => f.Kind == FactKind.Dma && f.Origin.Steps.IsEmpty && f.Origin.Source.Equals(made))
                && MemberMappingUses.Of(member, symbols) is MemberMappingUses.Use use)
            {
                return (store.Target, use);
            }
        }

        return null;
    }
}
