using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// P2P0023's question for one mapping of a body: which of its uses come after its unmap or on its failure edge
/// (<see cref="UnmappedUsePaths"/>, fed with the mapping's uses, its storage, its failure tests and the helpers that
/// unmap). A single mapping is its address, followed as a fact into its uses; a table mapping
/// (<c>Dma.MapSg</c>, <c>LegacyMapSg</c>, <c>MapSgTable</c>) is its table, whose unmaps and syncs in the body are the
/// calls given the same table (by text). Answered once per map call and body, for every use that asks.
/// </summary>
internal static class UnmappedUses
{
    private static readonly ConditionalWeakTable<MethodFlow, Dictionary<int, IReadOnlyList<UnmappedUse>>> Walks = new();

    /// <summary>
    /// The uses followed: single unmaps, syncs of a single mapping, a device's transfers (and entry stores); a table's
    /// unmaps and syncs.
    /// </summary>
    public static bool IsFollowed(Role role) => FactProducers.IsSingleUnmap(role) || IsTableUse(role) || role is Role.SyncSingle or Role.DeviceDma;

    private static bool IsTableUse(Role role) => IsTableUnmap(role) || role == Role.SyncSg;

    private static bool IsTableUnmap(Role role) => role is Role.UnmapSg or Role.UnmapSgTable;

    private static bool IsTableMap(Role role) => role is Role.MapSg or Role.MapSgAware or Role.MapSgTable;

    /// <summary>A call of a method of the compilation that unmaps what it is handed (nvme_unmap_data(dev, req)).</summary>
    public static bool IsUnmapHelper(IInvocationOperation call, KnownSymbols symbols) =>
        symbols.RoleOf(call.TargetMethod) == Role.None && call.SemanticModel is SemanticModel model
        && HelperUnmaps.UnmappedBy(call, model.Compilation, symbols, tablesOnly: false).Any();

    /// <summary>The map calls of the body whose mapping <paramref name="use"/> uses, in source order.</summary>
    public static IEnumerable<IInvocationOperation> MapsUsedBy(IOperation use, ISymbol owner, MethodFlow flow, KnownSymbols symbols)
    {
        IOperation root = MethodFlow.RootOf(use);
        if (use is IInvocationOperation helper && symbols.RoleOf(helper.TargetMethod) == Role.None)
        {
            Compilation compilation = helper.SemanticModel!.Compilation;
            var unmapped = new HashSet<string>(HelperUnmaps.UnmappedBy(helper, compilation, symbols, tablesOnly: false), StringComparer.Ordinal);
            return InBody(root).OfType<IInvocationOperation>()
                .Where(map => (HelperStorageOf(map, symbols) is IOperation storage && unmapped.Contains(HelperUnmaps.Named(storage, compilation)))
                    || HelperMaps.MappedBy(map, compilation, symbols).Any(unmapped.Contains))
                .OrderBy(map => map.Syntax.SpanStart);
        }

        if (use is IInvocationOperation call && IsTableUse(symbols.RoleOf(call.TargetMethod)))
        {
            string? table = TableOf(call);
            return table is null
                ? Enumerable.Empty<IInvocationOperation>()
                : InBody(root).OfType<IInvocationOperation>()
                    .Where(map => IsTableMap(symbols.RoleOf(map.TargetMethod)) && TableOf(map) == table)
                    .OrderBy(map => map.Syntax.SpanStart);
        }

        return MappingUses.Of(use, owner, symbols)
            .SelectMany(u => flow.ValueOf(u.Operand.Syntax).Facts)
            .Where(f => f.Kind == FactKind.Dma && f.Origin.Source.Location.SourceTree == root.Syntax.SyntaxTree && root.Syntax.Span.Contains(f.Origin.Source.Location.SourceSpan))
            .Select(f => f.Origin.Source.Location.SourceSpan)
            .Distinct()
            .OrderBy(span => span.Start)
            .Select(span => root.SemanticModel?.GetOperation(root.Syntax.FindNode(span, getInnermostNodeForTie: true)) as IInvocationOperation)
            .Where(map => map is not null && FactProducers.IsSingleMap(symbols.RoleOf(map.TargetMethod)))!;
    }

    /// <summary>The uses of <paramref name="map"/>'s mapping after its unmap or failure, in source order.</summary>
    public static IReadOnlyList<UnmappedUse> Of(IInvocationOperation map, ISymbol owner, MethodFlow flow, KnownSymbols symbols)
    {
        Dictionary<int, IReadOnlyList<UnmappedUse>> walks = Walks.GetValue(flow, _ => new Dictionary<int, IReadOnlyList<UnmappedUse>>());
        lock (walks)
        {
            if (!walks.TryGetValue(map.Syntax.SpanStart, out IReadOnlyList<UnmappedUse>? found))
            {
                found = walks[map.Syntax.SpanStart] = Walk(map, owner, flow, symbols);
            }

            return found;
        }
    }

    private static IReadOnlyList<UnmappedUse> Walk(IInvocationOperation map, ISymbol owner, MethodFlow flow, KnownSymbols symbols)
    {
        IOperation root = MethodFlow.RootOf(map);
        Compilation compilation = map.SemanticModel!.Compilation;
        // A mapping helper's call (rk_hash_prepare): what it maps lives in its tables, which only its failure can say.
        bool helper = symbols.RoleOf(map.TargetMethod) == Role.None;
        bool table = helper || IsTableMap(symbols.RoleOf(map.TargetMethod));
        Func<IInvocationOperation, bool> told = Told(root, map, compilation, symbols);
        List<MappingUse> uses = (helper ? new List<MappingUse>()
                : table
                ? TableUsesOf(root, TableOf(map), symbols)
                : UsesOf(root, owner, symbols, flow, new OriginSource(Origin.OfCall(map.TargetMethod), map.Syntax.GetLocation())))
            .Concat(HelperUsesOf(root, map, symbols, compilation, told)).OrderBy(u => u.At.Syntax.SpanStart).ToList();
        // Nothing to find without an unmap and another use, or a use and a test that can say the mapping failed.
        // (A table's failure is read from the map call's own result.)
        if (uses.Count == 0 || (uses.Count == 1 && !table && !root.DescendantsAndSelf().OfType<IInvocationOperation>().Any(i => symbols.RoleOf(i.TargetMethod) == Role.MappingError)))
        {
            return Array.Empty<UnmappedUse>();
        }

        bool IsUnmap(MappingUse use) => use.At is IInvocationOperation inv && symbols.RoleOf(inv.TargetMethod) is var role
            && (table ? IsTableUnmap(role) : FactProducers.IsSingleUnmap(role));
        bool IsLibrary(IMethodSymbol method) => symbols.IsLibrary(method) || KnownSymbols.IsRuntime(method);
        var ownership = new MappingOwnership(map, flow, symbols);
        // The fix removes an unmap: the reported one where it never unmaps anything, else the earlier one it repeats.
        IOperation? storage = table ? SgEntryCounts.Table(map)?.Value : StorageOf(map);
        AddressKey? key = table ? (storage is null ? null : AddressKey.Of(storage)) : KeyOf(map);
        // A helper names what it unmaps through aliases (iod = blk_mq_rq_to_pdu(req)): compared so, it is the key's storage.
        string? named = storage is null ? null : HelperUnmaps.Named(storage, compilation);
        IEnumerable<(SyntaxNode Call, string Unmapped)> Helpers(IOperation op) =>
            HelperUnmaps.In(op, compilation, symbols, call => IsLibrary(call.TargetMethod) || told(call))
                .Select(h => (h.Call, key is not null && h.Unmapped == named ? key.Text : h.Unmapped));
        return UnmappedUsePaths.All(flow.Graph, map, key, uses, IsUnmap, ownership.Failed, IsLibrary, Helpers)
            .Select(u => IsUnmap(u.Use) ? u : u with { OnlyAfter = false, SiteLeadsHere = false })
            .ToList();
    }

    /// <summary>The uses of this mapping's address in the body, outside lambdas and local functions (they run elsewhere).</summary>
    private static List<MappingUse> UsesOf(IOperation root, ISymbol owner, KnownSymbols symbols, MethodFlow flow, OriginSource made) =>
        InBody(root).Where(op => op.Kind is OperationKind.Invocation or OperationKind.SimpleAssignment)
            .SelectMany(op => MappingUses.Of(op, owner, symbols))
            .Where(u => u.Kind == MappingUseKind.EntryStore || (u.At is IInvocationOperation inv && IsFollowed(symbols.RoleOf(inv.TargetMethod))))
            .Where(u => flow.ValueOf(u.Operand.Syntax).Facts.Any(f => f.Kind == FactKind.Dma && f.Origin.Source.Equals(made)))
            .ToList();

    /// <summary>The unmaps and syncs in the body given the table <paramref name="table"/> (by text).</summary>
    private static List<MappingUse> TableUsesOf(IOperation root, string? table, KnownSymbols symbols) =>
        table is null ? new List<MappingUse>()
        : InBody(root).OfType<IInvocationOperation>()
            .Where(call => IsTableUse(symbols.RoleOf(call.TargetMethod)) && TableOf(call) == table)
            .Select(call => new MappingUse(SgEntryCounts.Table(call)!.Value, call,
                IsTableUnmap(symbols.RoleOf(call.TargetMethod)) ? $"Dma.{call.TargetMethod.Name}, which frees it" : $"Dma.{call.TargetMethod.Name}"))
            .ToList();

    /// <summary>
    /// The calls of helpers that unmap what <paramref name="map"/> mapped, as uses of it (their storage the map's own: its
    /// table, or the member its address is stored into, which is what they unmap).
    /// </summary>
    private static IEnumerable<MappingUse> HelperUsesOf(IOperation root, IInvocationOperation map, KnownSymbols symbols, Compilation compilation,
        Func<IInvocationOperation, bool> told)
    {
        if (HelperStorageOf(map, symbols) is not IOperation storage)
        {
            // A mapping helper's tables, unmapped by another helper (rk_hash_unprepare(engine, areq) of rk_hash_prepare's
            // areq->src): the use's operand is what the unmapping helper is handed that holds the table.
            var mapped = new HashSet<string>(HelperMaps.MappedBy(map, compilation, symbols), StringComparer.Ordinal);
            return mapped.Count == 0 ? Enumerable.Empty<MappingUse>() : InBody(root).OfType<IInvocationOperation>()
                .Where(call => symbols.RoleOf(call.TargetMethod) == Role.None && call.Syntax != map.Syntax
                    && HelperUnmaps.UnmappedBy(call, compilation, symbols, tablesOnly: true).Any(mapped.Contains) && !told(call))
                .Select(call => new MappingUse(HolderArgument(call, mapped, compilation), call, $"{call.TargetMethod.ContainingType.Name}.{call.TargetMethod.Name}, which unmaps it"))
                .ToList();
        }

        bool table = IsTableMap(symbols.RoleOf(map.TargetMethod));
        string named = HelperUnmaps.Named(storage, compilation);
        return InBody(root).OfType<IInvocationOperation>()
            .Where(call => symbols.RoleOf(call.TargetMethod) == Role.None
                && HelperUnmaps.UnmappedBy(call, compilation, symbols, tablesOnly: table).Contains(named, StringComparer.Ordinal) && !told(call))
            .Select(call => new MappingUse(storage, call, $"{call.TargetMethod.ContainingType.Name}.{call.TargetMethod.Name}, which unmaps it"))
            .ToList();
    }

    /// <summary>The argument of <paramref name="call"/> a mapped table is reached from (<c>areq</c> for <c>areq.Src</c>); else the call.</summary>
    private static IOperation HolderArgument(IInvocationOperation call, HashSet<string> mapped, Compilation compilation) =>
        call.Arguments.Select(a => a.Value).FirstOrDefault(v => HelperUnmaps.Named(v, compilation) is string n
            && mapped.Any(m => m == n || m.StartsWith(n + ".", StringComparison.Ordinal))) ?? call;

    /// <summary>What a helper may unmap of a map call's mapping: a table map's table, or the member a single map's address is stored into.</summary>
    private static IOperation? HelperStorageOf(IInvocationOperation map, KnownSymbols symbols) => symbols.RoleOf(map.TargetMethod) switch
    {
        Role role when IsTableMap(role) => SgEntryCounts.Table(map)?.Value,
        Role role when FactProducers.IsSingleMap(role) => StorageOf(map) is IMemberReferenceOperation member ? member : null,
        _ => null,
    };

    /// <summary>
    /// Whether a helper's call may have been told not to unmap: its conditions read a member the function stored into after
    /// the map call and before it (lpfc's "set seg_cnt back to zero to avoid double unmaps"). Such a call is taken for no
    /// unmap, neither as a use nor as the earlier unmap.
    /// </summary>
    private static Func<IInvocationOperation, bool> Told(IOperation root, IInvocationOperation map, Compilation compilation, KnownSymbols symbols)
    {
        // (Named only once a helper with guards is met: most bodies call none.)
        var stores = new Lazy<List<(int At, string Name)>>(() => InBody(root)
            .Select(op => op switch
            {
                IAssignmentOperation a => a.Target,
                IIncrementOrDecrementOperation i => i.Target,
                _ => null,
            })
            .Where(target => target is not null && target.Syntax.SpanStart > map.Syntax.SpanStart)
            .Select(target => (target!.Syntax.SpanStart, HelperUnmaps.Named(target, compilation)))
            .ToList());
        return call => HelperUnmaps.GuardsOf(call, compilation, symbols)
            .Any(guard => stores.Value.Any(s => s.At < call.Syntax.SpanStart && (s.Name == guard || guard.StartsWith(s.Name + ".", StringComparison.Ordinal))));
    }

    /// <summary>The text of the table a scatterlist call is given.</summary>
    private static string? TableOf(IInvocationOperation call) =>
        SgEntryCounts.Table(call)?.Value is IOperation table ? AddressKey.Of(table).Text : null;

    /// <summary>The body's operations, outside lambdas and local functions (they run elsewhere).</summary>
    private static IEnumerable<IOperation> InBody(IOperation root)
    {
        var work = new Stack<IOperation>();
        work.Push(root);
        while (work.Count > 0)
        {
            IOperation op = work.Pop();
            if (op is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                continue;
            }

            yield return op;
            foreach (IOperation child in op.ChildOperations)
            {
                work.Push(child);
            }
        }
    }

    /// <summary>The target the map call's address is assigned to; null for a local it initialises, or anything else.</summary>
    private static IOperation? StorageOf(IInvocationOperation map) => HolderOf(map) is ISimpleAssignmentOperation assignment ? assignment.Target : null;

    /// <summary>What holds the map call's result: its parent, past conversions and parentheses.</summary>
    private static IOperation? HolderOf(IInvocationOperation map)
    {
        IOperation? holder = map.Parent;
        while (holder is IConversionOperation or IParenthesizedOperation)
        {
            holder = holder.Parent;
        }

        return holder;
    }

    /// <summary>Where the map call's address is stored: a local it initialises, or the target it is assigned to.</summary>
    private static AddressKey? KeyOf(IInvocationOperation map) =>
        HolderOf(map) switch
        {
            ISimpleAssignmentOperation assignment => AddressKey.Of(assignment.Target),
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => AddressKey.OfLocal(declarator.Symbol),
            _ => null,
        };
}
