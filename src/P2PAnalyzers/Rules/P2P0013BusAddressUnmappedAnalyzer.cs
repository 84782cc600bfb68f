using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0013: a bus address is unmapped: a <c>Dma.Unmap*</c> of an address from <c>PciP2PDma.BusAddrMap</c> or from a
/// P2P mapping that may be a bus address, of an entry of a P2P-mapped table whose bus-address flag was not checked
/// (the nvme <c>IOD_P2P_BUS_ADDR</c> lesson), or a legacy <c>Dma.UnmapSg</c> of a P2P-mapped table.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0013BusAddressUnmappedAnalyzer : FlowRuleAnalyzer
{
    /// <summary>Diagnostic property <see cref="PropertyNames.Kind"/> values, read by the fix.</summary>
    internal const string Definite = "Definite";
    internal const string FromMapping = "FromMapping";
    internal const string FromEntry = "FromEntry";
    internal const string LegacyUnmapSg = "LegacyUnmapSg";
    internal const string Mixed = "Mixed";

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0013BusAddressUnmapped);

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.Invocation);

    // The library's unmaps, and thin wrappers of its legacy scatterlist unmap (ib_dma_unmap_sg), judged where called.
    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) =>
        operation is IInvocationOperation inv
        && (FactProducers.IsSingleUnmap(symbols.RoleOf(inv.TargetMethod)) || symbols.RoleOf(inv.TargetMethod) == Role.UnmapSg
            || ThinWrappers.WrappedRole(inv.TargetMethod, symbols) == Role.UnmapSg);

    // Bus-address and P2P-table facts are made only by Dma.MapP2P, PciP2PDma.BusAddrMap and Dma.MapSgTable calls in the
    // body itself: without one, the unmaps of ordinary mappings cost no flow analysis.
    private protected override bool Needs(Fact fact) => fact.Kind is FactKind.BusDma or FactKind.P2PTable or FactKind.P2PEntry;

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        var inv = (IInvocationOperation)candidate;
        IMethodSymbol? library = ThinWrappers.LibraryOf(inv.TargetMethod, symbols);
        IOperation? operand = library is null ? null : ThinWrappers.Argument(inv, library.Parameters[1].Name, symbols)?.Value;
        if (operand is null || (symbols.RoleOf(inv.TargetMethod) == Role.UnmapSg && ThinWrappers.IsForwarded(operand, symbols)))
        {
            return;
        }

        FlowValue value = flow.ValueOf(operand.Syntax);
        string kind;
        string which;
        if (symbols.RoleOf(library!) == Role.UnmapSg)
        {
            if (Reporting.Earliest(value, FactKind.P2PTable) is not Fact table)
            {
                return;
            }

            kind = LegacyUnmapSg;
            which = $"was mapped P2P-aware ({table.Origin.Describe()}) and may hold bus-address entries; use Dma.UnmapSgTable";
        }
        else if (Reporting.Earliest(value, FactKind.BusDma) is Fact bus)
        {
            // Definite only when every path gives a bus address; a mix with real mappings must keep its unmap.
            bool definite = value.Facts.All(f => f.Kind != FactKind.Dma && (f.Kind != FactKind.BusDma || f.Key.Kind == KeyKind.DefiniteBus));
            bool fromEntry = bus.Key.Kind == KeyKind.EntryBus;
            bool fromMapping = bus.Key.Kind == KeyKind.MaybeBus;

            // The unmap runs only where a bus-address flag the code keeps is clear (nvme's IOD_P2P_BUS_ADDR, checked
            // in the completion that calls it): the code tells the addresses apart itself.
            if (!definite && FlagGuards.Guarded(inv, symbols))
            {
                return;
            }

            kind = definite ? Definite : fromEntry ? FromEntry : fromMapping ? FromMapping : Mixed;
            which = definite ? $"is a PCI bus address ({bus.Origin.Describe()})"
                : fromEntry ? $"may be a PCI bus address: its table was mapped P2P-aware ({bus.Origin.Describe()}) and the entry's IsDmaBusAddress is not checked"
                : fromMapping ? $"may be a PCI bus address ({bus.Origin.Describe()}): undo the mapping with its Unmap()"
                : $"is a PCI bus address on some paths ({bus.Origin.Describe()}): unmap only what was mapped";
        }
        else
        {
            return;
        }

        report(Diagnostic.Create(Descriptors.P2P0013BusAddressUnmapped, inv.Syntax.GetLocation(),
            ImmutableDictionary<string, string?>.Empty.Add(PropertyNames.Kind, kind),
            Origin.OfCall(inv.TargetMethod), Reporting.Text(operand.Syntax), which));
    }
}
