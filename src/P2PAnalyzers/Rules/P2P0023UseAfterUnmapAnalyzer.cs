using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0023: a single mapping's address is unmapped again, synced, given to a device or stored into an entry after an
/// unmap of the same storage on the path, or on the path where its mapping failed (Amlogic A4's
/// <c>aml_sfc_dma_buffer_setup</c>: an inline unmap before <c>goto out_map_data</c>, whose label unmaps again; a failed
/// mapping sent to the same label). Reported at the use, with the unmap or the failed test and the map call as
/// additional locations (<see cref="UnmappedUsePaths"/>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0023UseAfterUnmapAnalyzer : FlowRuleAnalyzer
{
    /// <summary>Diagnostic property: which unmap the fix may remove, <see cref="RemoveUse"/> or <see cref="RemoveEarlier"/>.</summary>
    internal const string FixProperty = "Remove";

    /// <summary>The reported unmap: every path reaching it has unmapped already.</summary>
    internal const string RemoveUse = "Use";

    /// <summary>The earlier unmap (the first additional location): every path from it reaches the reported one first.</summary>
    internal const string RemoveEarlier = "Earlier";

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0023UseAfterUnmap);

    // Reported at the use, so the use is the candidate: a diagnostic an operation action reports outside its operation
    // is dropped by document-scoped analysis (the IDE's). The walk is made once per map call and shared by its uses.
    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.Invocation, OperationKind.SimpleAssignment);

    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) => operation switch
    {
        IInvocationOperation inv => IsFollowed(symbols.RoleOf(inv.TargetMethod)),
        ISimpleAssignmentOperation { Target: IPropertyReferenceOperation p } => symbols.RoleOf(p.Property) == Role.SgDmaAddress,
        _ => false,
    };

    private protected override bool Needs(Fact fact) => fact.Kind == FactKind.Dma;

    private static readonly ConditionalWeakTable<MethodFlow, Dictionary<int, IReadOnlyList<UnmappedUse>>> Walks = new();

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        ISymbol? owner = candidate.SemanticModel?.GetEnclosingSymbol(candidate.Syntax.SpanStart);
        IOperation root = MethodFlow.RootOf(candidate);
        if (owner is null)
        {
            return;
        }

        // The single map calls of this body whose address the candidate uses, in source order.
        IEnumerable<IInvocationOperation> maps = MappingUses.Of(candidate, owner, symbols)
            .SelectMany(u => flow.ValueOf(u.Operand.Syntax).Facts)
            .Where(f => f.Kind == FactKind.Dma && f.Origin.Source.Location.SourceTree == root.Syntax.SyntaxTree && root.Syntax.Span.Contains(f.Origin.Source.Location.SourceSpan))
            .Select(f => f.Origin.Source.Location.SourceSpan)
            .Distinct()
            .OrderBy(span => span.Start)
            .Select(span => root.Syntax.FindNode(span, getInnermostNodeForTie: true))
            .Select(node => root.SemanticModel?.GetOperation(node) as IInvocationOperation)
            .Where(map => map is not null && FactProducers.IsSingleMap(symbols.RoleOf(map.TargetMethod)))!;
        foreach (IInvocationOperation map in maps)
        {
            IReadOnlyList<UnmappedUse> found = Walk(map, root, owner, flow, symbols);
            foreach (UnmappedUse use in found.Where(u => u.Use.At.Syntax == candidate.Syntax))
            {
                // Several such uses of one mapping (a chain of unmaps) have no one redundant unmap to remove.
                Report(found.Count == 1 ? use : use with { OnlyAfter = false, SiteLeadsHere = false }, map, report);
                return;
            }
        }
    }

    private static IReadOnlyList<UnmappedUse> Walk(IInvocationOperation map, IOperation root, ISymbol owner, MethodFlow flow, KnownSymbols symbols)
    {
        Dictionary<int, IReadOnlyList<UnmappedUse>> walks = Walks.GetValue(flow, _ => new Dictionary<int, IReadOnlyList<UnmappedUse>>());
        lock (walks)
        {
            if (!walks.TryGetValue(map.Syntax.SpanStart, out IReadOnlyList<UnmappedUse>? found))
            {
                found = walks[map.Syntax.SpanStart] = WalkOnce(map, root, owner, flow, symbols);
            }

            return found;
        }
    }

    private static IReadOnlyList<UnmappedUse> WalkOnce(IInvocationOperation map, IOperation root, ISymbol owner, MethodFlow flow, KnownSymbols symbols)
    {
        var made = new OriginSource(Origin.OfCall(map.TargetMethod), map.Syntax.GetLocation());
        List<MappingUse> uses = UsesOf(root, owner, symbols, flow, made);
        // Nothing to find without an unmap and another use, or a use and a test that can say the mapping failed.
        if (uses.Count == 0 || (uses.Count == 1 && !HasErrorTest(root, symbols)))
        {
            return Array.Empty<UnmappedUse>();
        }

        bool IsUnmap(MappingUse use) => use.At is IInvocationOperation inv && FactProducers.IsSingleUnmap(symbols.RoleOf(inv.TargetMethod));
        bool IsLibrary(IMethodSymbol method) => SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, symbols.Dma?.ContainingAssembly)
            || (method.ContainingNamespace?.ToDisplayString() is string ns && (ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal)));
        var ownership = new MappingOwnership(map, flow, symbols);
        Compilation compilation = map.SemanticModel!.Compilation;
        // The fix removes an unmap: the reported one where it never unmaps anything, else the earlier one it repeats.
        return UnmappedUsePaths.All(flow.Graph, map, KeyOf(map), uses, IsUnmap, ownership.Failed, IsLibrary, op => HelperUnmaps.In(op, compilation, symbols, IsLibrary))
            .Select(u => IsUnmap(u.Use) ? u : u with { OnlyAfter = false, SiteLeadsHere = false })
            .ToList();
    }

    private static void Report(UnmappedUse found, IInvocationOperation map, Action<Diagnostic> report)
    {
        ImmutableDictionary<string, string?> properties =
            found.OnlyAfter ? ImmutableDictionary<string, string?>.Empty.Add(FixProperty, RemoveUse)
            : found.SiteLeadsHere ? ImmutableDictionary<string, string?>.Empty.Add(FixProperty, RemoveEarlier)
            : ImmutableDictionary<string, string?>.Empty;
        string after = found.By == UnmappedBy.Unmap
            ? $"{Called(found.Site)} unmapped it"
            : $"its mapping failed ('{Reporting.Text(found.Site)}')";
        report(Diagnostic.Create(Descriptors.P2P0023UseAfterUnmap, found.Use.At.Syntax.GetLocation(),
            new[] { found.Site.GetLocation(), map.Syntax.GetLocation() }, properties,
            Reporting.Text(found.Use.Operand.Syntax), found.Use.Description, after));
    }

    private static bool IsFollowed(Role role) => FactProducers.IsSingleUnmap(role) || role is Role.SyncSingle or Role.DeviceDma;

    /// <summary>The uses of this mapping's address in the body, outside lambdas and local functions (they run elsewhere).</summary>
    private static List<MappingUse> UsesOf(IOperation root, ISymbol owner, KnownSymbols symbols, MethodFlow flow, OriginSource made)
    {
        var uses = new List<MappingUse>();
        var work = new Stack<IOperation>();
        work.Push(root);
        while (work.Count > 0)
        {
            IOperation op = work.Pop();
            if (op is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                continue;
            }

            if (op.Kind is OperationKind.Invocation or OperationKind.SimpleAssignment)
            {
                uses.AddRange(MappingUses.Of(op, owner, symbols)
                    .Where(u => u.Kind == MappingUseKind.EntryStore || (u.At is IInvocationOperation inv && IsFollowed(symbols.RoleOf(inv.TargetMethod))))
                    .Where(u => flow.ValueOf(u.Operand.Syntax).Facts.Any(f => f.Kind == FactKind.Dma && f.Origin.Source.Equals(made))));
            }

            foreach (IOperation child in op.ChildOperations)
            {
                work.Push(child);
            }
        }

        return uses;
    }

    private static bool HasErrorTest(IOperation root, KnownSymbols symbols) =>
        root.DescendantsAndSelf().OfType<IInvocationOperation>().Any(i => symbols.RoleOf(i.TargetMethod) == Role.MappingError);

    /// <summary>Where the map call's address is stored: a local it initialises, or the target it is assigned to.</summary>
    private static AddressKey? KeyOf(IInvocationOperation map)
    {
        IOperation? holder = map.Parent;
        while (holder is IConversionOperation or IParenthesizedOperation)
        {
            holder = holder.Parent;
        }

        return holder switch
        {
            ISimpleAssignmentOperation assignment => AddressKey.Of(assignment.Target),
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => AddressKey.OfLocal(declarator.Symbol),
            _ => null,
        };
    }

    private static string Called(SyntaxNode site) => site switch
    {
        InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } => $"{access.Expression}.{access.Name.Identifier.ValueText}",
        InvocationExpressionSyntax { Expression: IdentifierNameSyntax name } => name.Identifier.ValueText,
        _ => Reporting.Text(site),
    };
}
