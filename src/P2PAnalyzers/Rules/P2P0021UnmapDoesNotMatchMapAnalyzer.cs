using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0021: an unmap is given another direction or size than the map call that made its address (ath10k's
/// <c>dma_unmap_single(.., DMA_FROM_DEVICE)</c> of a <c>DMA_TO_DEVICE</c> mapping). Both must be constants the analysis
/// can read; the address is followed like any other fact, into fields and completions.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0021UnmapDoesNotMatchMapAnalyzer : FlowRuleAnalyzer
{
    /// <summary>Diagnostic property <see cref="PropertyNames.Kind"/>: which argument differs (read by the fix).</summary>
    internal const string Parameter = PropertyNames.Kind;

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0021UnmapDoesNotMatchMap);

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.Invocation);

    // The library's unmaps, and thin wrappers of its single unmaps (ib_dma_unmap_single), judged where they are called.
    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) =>
        operation is IInvocationOperation inv
        && (FactProducers.IsSingleUnmap(symbols.RoleOf(inv.TargetMethod)) || TableMapCalls.IsTableUnmap(symbols.RoleOf(inv.TargetMethod))
            || FactProducers.IsSingleUnmap(ThinWrappers.WrappedRole(inv.TargetMethod, symbols)));

    // Only a constant direction or size can be compared: most unmaps pass what they were handed and cost nothing more.
    private protected override bool MayReport(IOperation candidate, KnownSymbols symbols) =>
        new[] { MapArguments.Size, MapArguments.Direction }.Any(p => ThinWrappers.Argument((IInvocationOperation)candidate, p, symbols)?.Value.ConstantValue.HasValue == true);

    private protected override bool Needs(Fact fact) => fact.Kind == FactKind.Dma;

    /// <summary>
    /// A scatterlist unmap given another direction than every map call that may have mapped its list
    /// (<see cref="TableMapCalls"/>): the list is named, not followed as a fact, so the body's facts are not needed. The
    /// fix property is set only when those calls were all given the same expression: which one the unmap answers to is
    /// otherwise not known.
    /// </summary>
    private protected override bool JudgedWithoutFlow(IOperation candidate, KnownSymbols symbols, Func<ControlFlowGraph> graph, Action<Diagnostic> report)
    {
        var unmap = (IInvocationOperation)candidate;
        if (!TableMapCalls.IsTableUnmap(symbols.RoleOf(unmap.TargetMethod)))
        {
            return false;
        }

        IArgumentOperation? given = unmap.Arguments.FirstOrDefault(a => a.Parameter?.Name == MapArguments.Direction);
        if (MapArguments.Read(given, symbols) is not MapArgument unmapped || TableMapCalls.Of(unmap, graph(), symbols) is not { Count: > 0 } maps)
        {
            return true;
        }

        var directions = maps.Select(m => DirectionOf(m.Call, m.Method, unmap, symbols)).ToList();
        if (directions.All(d => d is { } known && !known.Values.Contains(unmapped.Value)))
        {
            bool agree = maps.Select(m => MapArguments.Given(m.Call, m.Method, MapArguments.Direction)?.ToString()).Distinct().Count() == 1;
            report(Diagnostic.Create(Descriptors.P2P0021UnmapDoesNotMatchMap, given!.Value.Syntax.GetLocation(),
                maps.Select(m => m.Call.GetLocation()),
                agree ? ImmutableDictionary<string, string?>.Empty.Add(Parameter, MapArguments.Direction) : ImmutableDictionary<string, string?>.Empty,
                $"Dma.{unmap.TargetMethod.Name}", Reporting.Text(SgEntryCounts.Table(unmap)!.Value.Syntax),
                "direction", unmapped.Text, $"Dma.{maps[0].Method.Name}", string.Join(" or ", directions.Select(d => d!.Value.Text).Distinct())));
        }

        return true;
    }

    /// <summary>
    /// The directions a table's map call was made with: its constant, or, for a parameter of the function that also
    /// unmaps, the constants every caller passes (hisilicon's sgl: mapped with the caller's <c>dir</c>, unmapped
    /// <c>DMA_BIDIRECTIONAL</c> on the error path, fixed by 4154f7d3b1c1); null when they cannot be read.
    /// </summary>
    private static (ulong[] Values, string Text)? DirectionOf(InvocationExpressionSyntax map, IMethodSymbol method, IInvocationOperation unmap, KnownSymbols symbols)
    {
        ExpressionSyntax? given = MapArguments.Given(map, method, MapArguments.Direction);
        if (MapArguments.Read(given, MapArguments.Direction, symbols) is MapArgument constant)
        {
            return (new[] { constant.Value }, constant.Text);
        }

        if (given is IdentifierNameSyntax name && symbols.User.WholeProgramEnabled && map.SyntaxTree == unmap.Syntax.SyntaxTree
            && MethodFlow.RootOf(unmap).Syntax.Span.Contains(map.Span)
            && unmap.SemanticModel?.GetSymbolInfo(name).Symbol is IParameterSymbol parameter
            && CallerDirections.Of(parameter, symbols) is { } callers)
        {
            string[] texts = callers.Select(c => c.Text).Distinct().ToArray();
            return (callers.Select(c => c.Value).ToArray(), $"{name.Identifier.ValueText} ({string.Join(" or ", texts)} from its callers)");
        }

        return null;
    }

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        var unmap = (IInvocationOperation)candidate;
        if (ThinWrappers.LibraryOf(unmap.TargetMethod, symbols)?.Parameters.ElementAtOrDefault(1)?.Name is not string addressName
            || ThinWrappers.Argument(unmap, addressName, symbols) is not IArgumentOperation address)
        {
            return;
        }

        var mappings = flow.ValueOf(address.Value.Syntax).Facts.Where(f => f.Kind == FactKind.Dma)
            .OrderBy(f => f.Origin.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(f => f.Origin.Location.SourceSpan.Start)
            .Select(f => (Fact: f, Call: MapArguments.MapCall(f.Origin, symbols, default)))
            .Where(m => m.Call is not null)
            .ToList();
        foreach ((Fact mapping, (InvocationExpressionSyntax Syntax, IMethodSymbol Method, ThinWrapper? Wrapper)? call) in mappings)
        {
            foreach (string parameter in new[] { MapArguments.Direction, MapArguments.Size })
            {
                IArgumentOperation? given = ThinWrappers.Argument(unmap, parameter, symbols);
                if (MapArguments.Read(given, symbols) is MapArgument unmapped
                    && Made(call!.Value, parameter, symbols) is MapArgument mapped
                    && mapped.Value != unmapped.Value
                    && !(Arrived(mapping) && mappings.Any(m => Arrived(m.Fact) && Made(m.Call!.Value, parameter, symbols)?.Value is ulong other
                        && (other == unmapped.Value || (other != mapped.Value && SplitsByIndex(unmap, address.Value, parameter, unmapped.Value, symbols))))))
                {
                    report(Diagnostic.Create(Descriptors.P2P0021UnmapDoesNotMatchMap, given!.Value.Syntax.GetLocation(),
                        mapping.Origin.Locations().Where(l => l.IsInSource),
                        ImmutableDictionary<string, string?>.Empty.Add(Parameter, parameter),
                        Origin.OfCall(unmap.TargetMethod), Reporting.Text(address.Value.Syntax),
                        parameter == MapArguments.Direction ? "direction" : "size", unmapped.Text, mapping.Origin.Describe(), mapped.Text));
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Whether the body also unmaps the same member with another constant for <paramref name="parameter"/>: it tells its
    /// elements apart itself (dmaengine_unmap's three loops over <c>addr[]</c>, by the counts the mapper kept).
    /// </summary>
    private static bool SplitsByIndex(IInvocationOperation unmap, IOperation address, string parameter, ulong value, KnownSymbols symbols) =>
        MemberRead(address) is ISymbol member
        && MethodFlow.RootOf(unmap).DescendantsAndSelf().OfType<IInvocationOperation>().Any(other =>
            other != unmap && ThinWrappers.LibraryOf(other.TargetMethod, symbols)?.Parameters.ElementAtOrDefault(1)?.Name is string name
            && ThinWrappers.Argument(other, name, symbols)?.Value is IOperation read
            && SymbolEqualityComparer.Default.Equals(MemberRead(read), member)
            && MapArguments.Read(ThinWrappers.Argument(other, parameter, symbols), symbols) is MapArgument given && given.Value != value);

    // The member an address is read from, itself or an element of it (unmap->addr[i]).
    private static ISymbol? MemberRead(IOperation address) =>
        AddressKey.MemberOf(address is IArrayElementReferenceOperation element ? element.ArrayReference : address);

    /// <summary>What the map call (of the library, or of a thin wrapper of it) was given for <paramref name="parameter"/>, when a constant.</summary>
    private static MapArgument? Made((InvocationExpressionSyntax Syntax, IMethodSymbol Method, ThinWrapper? Wrapper) map, string parameter, KnownSymbols symbols) =>
        MapArguments.Read(MapArguments.Given(map.Syntax, map.Method, parameter, map.Wrapper), parameter, symbols);

    /// <summary>
    /// A mapping that reached the address through a field, parameter or element of the whole-program summary, which
    /// holds every store of the compilation: e1000e's <c>struct e1000_buffer</c> serves the TX ring (DMA_TO_DEVICE) and
    /// the RX ring (DMA_FROM_DEVICE), and each ring's clean path unmaps only its own. Such a mapping is reported only when
    /// none of those that arrived that way matches the unmap, and, where they disagree among themselves, not when the body
    /// unmaps the same member with other values too (<see cref="SplitsByIndex"/>: dmaengine_unmap unmaps <c>addr[]</c> by
    /// ranges, <c>to_cnt</c> entries DMA_TO_DEVICE, then <c>from_cnt</c> DMA_FROM_DEVICE, then <c>bidi_cnt</c>
    /// DMA_BIDIRECTIONAL, which mv_xor's self tests never fill).
    /// </summary>
    private static bool Arrived(Fact mapping) => !mapping.Origin.Steps.IsEmpty;
}
