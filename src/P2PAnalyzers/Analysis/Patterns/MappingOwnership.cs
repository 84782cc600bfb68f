using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Who owns a mapping made in a body, operation by operation, for P2P0022's walk (<see cref="ErrorReturnPaths"/>):
/// which operation unmaps it or hands it on, and which branch shows it failed.
/// <list type="bullet">
/// <item>A single-address mapping (<c>dma_map_single/page/phys/resource</c>) is its DMA address: unmapped by a single
/// unmap of that address; handed on when the address is stored anywhere but a local, returned, or given to any call
/// other than the library's uses that keep nothing (<c>dma_mapping_error</c>, a sync, the device's transfer); failed
/// where <c>Dma.MappingError</c> of it is true.</item>
/// <item>A table mapping (<c>dma_map_sgtable</c>, <c>dma_map_sg</c>) lives in the table, which the caller usually owns:
/// unmapped by any scatterlist unmap; handed on by any store into the heap after it (the ownership mark,
/// <c>area-&gt;is_mapped = true</c>, or the count kept: <c>host-&gt;sg_count = n</c>), by giving the count to any call,
/// or the table or an object holding it to a method of the compilation that unmaps or keeps a table (three calls deep;
/// any method without a body here is assumed to); failed where the result says so (a <c>DmaError</c> other than None,
/// a count of zero).</item>
/// <item>A helper's mapping (<see cref="MappingHelpers"/>) is taken as a table mapping of what the helper was handed.</item>
/// <item>An address stored into an object this function created (<c>desc = new TxDesc(); desc.Addr = ..</c>) moves into
/// that object, which is then handed on or dropped in its stead.</item>
/// </list>
/// </summary>
internal sealed class MappingOwnership
{
    private readonly IInvocationOperation _map;
    private readonly OriginSource _made;
    private readonly MethodFlow _flow;
    private readonly KnownSymbols _k;
    private readonly bool _table;
    private readonly bool _count;
    private readonly bool _countOrErrno;
    private readonly bool _helper;
    private readonly string[] _roots = System.Array.Empty<string>();
    private readonly ILocalSymbol? _result;
    private readonly SyntaxNode[] _resultStores = System.Array.Empty<SyntaxNode>();
    private readonly string? _tableText;
    private readonly Dictionary<IMethodSymbol, bool> _takes = new(SymbolEqualityComparer.Default);

    // The stores into the body's locals, in source order (for a check kept in a local: see CheckHeldIn).
    private readonly System.Lazy<ILookup<ISymbol, (int Start, IOperation? Value, SyntaxNode At)>> _localStores;

    // Locals that only ever hold objects this function created (every assignment a `new`).
    private readonly HashSet<ILocalSymbol> _fresh = new(SymbolEqualityComparer.Default);
    private readonly HashSet<string> _captureNames;

    // The tables a helper maps, as this function names them (asked only of a helper's mapping, at an `if` that unmaps).
    private readonly System.Lazy<HashSet<string>> _mapped;

    public MappingOwnership(IInvocationOperation map, MethodFlow flow, KnownSymbols k)
    {
        _map = map;
        _flow = flow;
        _k = k;
        _made = new OriginSource(Origin.OfCall(map.TargetMethod), map.Syntax.GetLocation());
        _mapped = new System.Lazy<HashSet<string>>(() => map.SemanticModel is SemanticModel model
            ? new HashSet<string>(HelperMaps.MappedBy(map, model.Compilation, k), System.StringComparer.Ordinal)
            : new HashSet<string>(System.StringComparer.Ordinal));
        Role role = ThinWrappers.LibraryRole(map.TargetMethod, k);
        _table = role is Role.MapSgTable or Role.MapSg or Role.MapSgAware;
        _count = role is Role.MapSg or Role.MapSgAware;
        _tableText = _table ? SgEntryCounts.Table(map)?.Value.Syntax.ToString() : null;
        if (role == Role.None)
        {
            // A helper that maps (MappingHelpers): what it mapped lives in what it was handed, as a table lives in its object.
            _helper = true;
            _table = true;
            _count = MappingHelpers.ReturnsCount(map.TargetMethod, k);
            _countOrErrno = _count && MappingHelpers.ReturnsNegative(map.TargetMethod);
            _roots = map.Arguments.Where(a => a.Value.Type?.IsReferenceType == true).Select(a => a.Value.Syntax.ToString()).ToArray();
        }

        IOperation root = MethodFlow.RootOf(map);
        _localStores = new System.Lazy<ILookup<ISymbol, (int Start, IOperation? Value, SyntaxNode At)>>(() => root.DescendantsAndSelf()
            .Select(o => o switch
            {
                IVariableDeclaratorOperation { Initializer: { } init } d => (Local: (ISymbol?)d.Symbol, Start: d.Syntax.SpanStart, Value: (IOperation?)init.Value, At: (SyntaxNode?)d.Syntax),
                ILocalReferenceOperation r when Writes(r) => (Local: r.Local, Start: r.Syntax.SpanStart,
                    Value: r.Parent is ISimpleAssignmentOperation a && a.Target == r ? a.Value : null, At: (SyntaxNode?)r.Syntax),
                _ => (Local: null, Start: 0, Value: (IOperation?)null, At: (SyntaxNode?)null),
            })
            .Where(w => w.Local is not null)
            .ToLookup(w => w.Local!, w => (Start: w.Start, Value: w.Value, At: w.At!), SymbolEqualityComparer.Default));
        IOperation? holder = map.Parent;
        while (holder is IConversionOperation or IParenthesizedOperation)
        {
            holder = holder.Parent;
        }

        _result = holder switch
        {
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation l } => l.Local,
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation d } => d.Symbol,
            _ => null,
        };
        if (_result is not null)
        {
            // Where the result local is assigned: a test of it means the map's result only before it is reused (ret = next()).
            _resultStores = root.DescendantsAndSelf()
                .Where(o => o is ISimpleAssignmentOperation { Target: ILocalReferenceOperation t } && SymbolEqualityComparer.Default.Equals(t.Local, _result)
                    || o is IVariableDeclaratorOperation d && SymbolEqualityComparer.Default.Equals(d.Symbol, _result) && d.Initializer is not null)
                .Select(o => o.Syntax)
                .ToArray();
        }

        if (!_table)
        {
            var assigned = new Dictionary<ILocalSymbol, bool>(SymbolEqualityComparer.Default);
            foreach (IOperation o in root.DescendantsAndSelf())
            {
                (ILocalSymbol? local, IOperation? value) = o switch
                {
                    ISimpleAssignmentOperation { Target: ILocalReferenceOperation t } a => (t.Local, a.Value),
                    IVariableDeclaratorOperation { Initializer: { } init } d => (d.Symbol, init.Value),
                    _ => (null, null),
                };
                if (local is not null)
                {
                    bool created = value is IObjectCreationOperation || (value is not null && FreshObjectHelpers.Returns(value));
                    assigned[local] = (!assigned.TryGetValue(local, out bool before) || before) && created;
                }
            }

            // A local passed by ref or out may be assigned anything: not fresh.
            foreach (IArgumentOperation byRef in root.DescendantsAndSelf().OfType<IArgumentOperation>()
                .Where(a => a.Parameter?.RefKind is RefKind.Ref or RefKind.Out && a.Value is ILocalReferenceOperation))
            {
                assigned[((ILocalReferenceOperation)byRef.Value).Local] = false;
            }

            foreach (KeyValuePair<ILocalSymbol, bool> local in assigned.Where(l => l.Value))
            {
                _fresh.Add(local.Key);
            }
        }

        // The names a lambda must mention to capture the mapping: its local, the objects holding it, the table's root.
        _captureNames = new HashSet<string>(
            (_result is null ? Enumerable.Empty<string>() : new[] { _result.Name })
                .Concat(_fresh.Select(l => l.Name))
                .Concat(_roots.Concat(_tableText is null ? Enumerable.Empty<string>() : new[] { _tableText }).Select(path => path.Split('.')[0])),
            System.StringComparer.Ordinal);
    }

    /// <summary>Whether <paramref name="op"/> (an operation of the graph, with what it contains) unmaps the mapping or hands it on.</summary>
    public bool Ends(IOperation op) => op.DescendantsAndSelf().Any(EndsHere);

    /// <summary>Whether this one operation (not what it contains) unmaps the mapping or hands it on.</summary>
    private bool EndsHere(IOperation o) => o switch
    {
        _ when _helper && TestsAMarkBeforeUnmapping(o) => true,
        IAssignmentOperation assignment when IntoFreshObject(assignment) => false,
        IInvocationOperation inv => Ends(inv) || (inv.Instance is { } receiver && IsFreshHolder(receiver)),
        IObjectCreationOperation creation => creation.Arguments.Any(a => Carries(a.Value) || Holds(a.Value) || IsFreshHolder(a.Value)),
        IAssignmentOperation assignment => (!IsLocal(assignment.Target)
                && ((_table && !Clears(assignment.Value)) || Carries(assignment.Value) || IsMap(assignment.Value)))
            || IsFreshHolder(assignment.Value),
        IArrayInitializerOperation init => init.ElementValues.Any(Carries),
        IFlowAnonymousFunctionOperation lambda => Captures(lambda.Syntax),
        IAnonymousFunctionOperation function => Captures(function.Syntax),
        _ => false,
    };

    /// <summary>
    /// The condition of an <c>if</c> that unmaps what the helper was handed (a table within it), testing a member of an
    /// object the helper was handed: the ownership mark
    /// the helper (or its caller) keeps, <c>if (rctx-&gt;sg_in_idx) dma_unmap_sg(..)</c> in sahara_sha_process, where the
    /// mark is set when sahara_sha_hw_links_create mapped. The branch that skips the unmap is taken only when there was
    /// nothing to unmap, which the walk cannot tell: the mapping counts as handled on both.
    /// </summary>
    private bool TestsAMarkBeforeUnmapping(IOperation condition) =>
        condition.Syntax.Parent is IfStatementSyntax branch && branch.Condition == condition.Syntax
        && branch.Statement.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>()
            .Any(call => call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: var name } && name.StartsWith("Unmap", System.StringComparison.Ordinal)
                && call.ArgumentList.Arguments.Count > 1 && Mapped(call.ArgumentList.Arguments[1].Expression.ToString()))
        && condition.DescendantsAndSelf().OfType<IMemberReferenceOperation>()
            .Any(read => read.Instance?.Syntax.ToString() is string holder && _roots.Contains(holder));

    /// <summary>A table the helper maps, as this function names it (<c>dev.InSg</c> for <c>create(dev)</c>: <see cref="HelperMaps"/>).</summary>
    private bool Mapped(string storage) =>
        _mapped.Value.Contains(AddressKey.Normalize(storage));

    /// <summary>A lambda or local function that names the mapping's local, table or what holds it may keep it.</summary>
    private bool Captures(SyntaxNode lambda) =>
        lambda.DescendantNodes().OfType<IdentifierNameSyntax>().Any(n => _captureNames.Contains(n.Identifier.ValueText))
        || (_result is null && !_table); // an address with no local of its own: whatever the lambda reads may be it

    /// <summary>
    /// Whether nothing in the body unmaps the mapping or hands it on, on any path: then it is lost wherever the function
    /// leaves with it, not only at an error return (a path that skips a loop which would have stored it is not a leak of
    /// that kind: the loop may always run).
    /// </summary>
    public bool NeverReleased(IOperation root) =>
        !root.DescendantsAndSelf().Any(o => o is IReturnOperation { ReturnedValue: { } value } ? HandsOn(value) : EndsHere(o));

    /// <summary>Whether a returned value hands the mapping on (its address, count or table, or what holds the table).</summary>
    public bool HandsOn(IOperation returned) =>
        Carries(returned) || IsMap(returned) || Holds(returned) || IsFreshHolder(returned)
        || returned switch
        {
            // What the returned value is made of (a tuple, a new object, either arm), not what it was computed from:
            // `return MappingError(dev, a) ? empty : Read(dev, a)` returns bytes, not the mapping.
            ITupleOperation tuple => tuple.Elements.Any(HandsOn),
            IConversionOperation conversion => HandsOn(conversion.Operand),
            IObjectCreationOperation creation => creation.Arguments.Any(a => HandsOn(a.Value)) || (creation.Initializer?.Initializers.Any(HandsOn) ?? false),
            ISimpleAssignmentOperation member => HandsOn(member.Value),
            IConditionalOperation conditional => HandsOn(conditional.WhenTrue) || (conditional.WhenFalse is { } f && HandsOn(f)),
            _ => false,
        };

    /// <summary>What <paramref name="condition"/> says about the mapping.</summary>
    public FailureTest Failed(IOperation condition)
    {
        bool negated = false;
        while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            negated = !negated;
            condition = not.Operand;
        }

        FailureTest test = Test(condition);
        return negated && test is FailureTest.WhenTrue or FailureTest.WhenFalse
            ? (test == FailureTest.WhenTrue ? FailureTest.WhenFalse : FailureTest.WhenTrue)
            : test;
    }

    private FailureTest Test(IOperation condition)
    {
        if (condition is IInvocationOperation call)
        {
            if (ThinWrappers.LibraryRole(call.TargetMethod, _k) == Role.MappingError)
            {
                return !_table && ThinWrappers.Operand(call, _k) is IArgumentOperation tested && Carries(tested.Value) ? FailureTest.WhenTrue : FailureTest.None;
            }

            // A helper of the compilation handed the mapping (which may test it) has already handed it on: Ends.
            return FailureTest.None;
        }

        if (!_table && CheckHeldIn(condition) is FailureTest held)
        {
            return held;
        }

        if (!_table && ZeroTest(condition) is FailureTest zero)
        {
            return zero;
        }

        if (!_table || condition is not IBinaryOperation binary || !IsResult(binary.LeftOperand, binary.RightOperand, out long c, out bool mirrored))
        {
            return FailureTest.None;
        }

        BinaryOperatorKind kind = mirrored ? ErrorLocals.Mirror(binary.OperatorKind) : binary.OperatorKind;
        return _countOrErrno
            // A helper returning the count or a negative errno: a negative result, or none of the count, failed.
            ? (kind, c) switch
            {
                (BinaryOperatorKind.LessThan, 0) or (BinaryOperatorKind.LessThan, 1) or (BinaryOperatorKind.LessThanOrEqual, 0)
                    or (BinaryOperatorKind.Equals, 0) => FailureTest.WhenTrue,
                (BinaryOperatorKind.GreaterThanOrEqual, 0) or (BinaryOperatorKind.GreaterThan, 0) or (BinaryOperatorKind.GreaterThanOrEqual, 1) => FailureTest.WhenFalse,
                _ => FailureTest.None,
            }
            : _count
            // dma_map_sg: a count of zero failed.
            ? (kind, c) switch
            {
                (BinaryOperatorKind.Equals, 0) or (BinaryOperatorKind.LessThanOrEqual, 0) or (BinaryOperatorKind.LessThan, 1) => FailureTest.WhenTrue,
                (BinaryOperatorKind.NotEquals, 0) or (BinaryOperatorKind.GreaterThan, 0) or (BinaryOperatorKind.GreaterThanOrEqual, 1) => FailureTest.WhenFalse,
                (BinaryOperatorKind.GreaterThan, >= 1) or (BinaryOperatorKind.GreaterThanOrEqual, >= 2)
                    when _result is not null && CountRangeChecks.BesideZeroTest(binary.Syntax, _result) => FailureTest.WhenTrue,
                _ => FailureTest.None,
            }
            // dma_map_sgtable: a DmaError other than None (a negative errno) failed.
            : (kind, c) switch
            {
                (BinaryOperatorKind.NotEquals, 0) or (BinaryOperatorKind.LessThan, 0) => FailureTest.WhenTrue,
                (BinaryOperatorKind.Equals, 0) or (BinaryOperatorKind.GreaterThanOrEqual, 0) => FailureTest.WhenFalse,
                _ => FailureTest.None,
            };
    }

    /// <summary>
    /// A comparison of the mapped address (or its <c>Raw</c> value) with zero: <c>if (outbuf_dma)</c>, written
    /// <c>outbufDma.Raw != 0</c>; null when the condition is none.
    /// </summary>
    private FailureTest? ZeroTest(IOperation condition)
    {
        if (condition is not IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary)
        {
            return null;
        }

        bool leftZero = IsZero(binary.LeftOperand);
        IOperation other = leftZero ? binary.RightOperand : binary.LeftOperand;
        if (!leftZero && !IsZero(binary.RightOperand))
        {
            return null;
        }

        other = AddressKey.Value(other);
        if (other is IPropertyReferenceOperation { Property.Name: "Raw", Instance: { } instance } && IsDmaAddr(instance.Type))
        {
            other = instance;
        }

        return IsDmaAddr(other.Type) && Carries(other)
            ? (binary.OperatorKind == BinaryOperatorKind.Equals ? FailureTest.ZeroWhenTrue : FailureTest.ZeroWhenFalse)
            : null;

        bool IsDmaAddr(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, _k.DmaAddr);

        static bool IsZero(IOperation value) =>
            ErrorLocals.Constant(value) == 0 || AddressKey.Value(value) is IDefaultValueOperation;
    }

    /// <summary>
    /// A test of a local that holds the mapping's check, as the kernel writes it (<c>ret = dma_mapping_error(dev, a);
    /// if (ret) goto err;</c>): a bool local whose last store before the test, in source order, is the check
    /// (<c>bool err = Dma.MappingError(dev, a); if (err)</c>), or an errno made from it and compared with a constant
    /// (<c>ret = Dma.MappingError(dev, a) ? -ENOMEM : 0; if (ret != 0)</c>); null when the condition is neither.
    /// </summary>
    private FailureTest? CheckHeldIn(IOperation condition)
    {
        if (AddressKey.Value(condition) is ILocalReferenceOperation flag)
        {
            return LastStore(flag) is IOperation value && IsCheck(value) is bool flagFails ? (flagFails ? FailureTest.WhenTrue : FailureTest.WhenFalse) : null;
        }

        if (condition is not IBinaryOperation binary)
        {
            return null;
        }

        IOperation left = AddressKey.Value(binary.LeftOperand);
        IOperation right = AddressKey.Value(binary.RightOperand);
        if ((left as ILocalReferenceOperation ?? right as ILocalReferenceOperation) is not ILocalReferenceOperation errno
            || ErrorLocals.Constant(ReferenceEquals(errno, left) ? right : left) is not long bound
            || LastStore(errno) is not IConditionalOperation { WhenFalse: { } whenFalse } made
            || IsCheck(made.Condition) is not bool failsWhen
            || ErrorLocals.Constant(made.WhenTrue) is not long onTrue || ErrorLocals.Constant(whenFalse) is not long onFalse)
        {
            return null;
        }

        BinaryOperatorKind kind = ReferenceEquals(errno, left) ? binary.OperatorKind : ErrorLocals.Mirror(binary.OperatorKind);
        bool? onFailure = Holds(kind, failsWhen ? onTrue : onFalse, bound);
        bool? onSuccess = Holds(kind, failsWhen ? onFalse : onTrue, bound);
        return (onFailure, onSuccess) switch
        {
            (true, false) => FailureTest.WhenTrue,
            (false, true) => FailureTest.WhenFalse,
            _ => null,
        };

        static bool? Holds(BinaryOperatorKind kind, long value, long bound) => kind switch
        {
            BinaryOperatorKind.Equals => value == bound,
            BinaryOperatorKind.NotEquals => value != bound,
            BinaryOperatorKind.LessThan => value < bound,
            BinaryOperatorKind.LessThanOrEqual => value <= bound,
            BinaryOperatorKind.GreaterThan => value > bound,
            BinaryOperatorKind.GreaterThanOrEqual => value >= bound,
            _ => null,
        };
    }

    /// <summary>Whether <paramref name="value"/> is this mapping's check: true when it is true on failure, false when negated.</summary>
    private bool? IsCheck(IOperation value)
    {
        bool negated = false;
        value = AddressKey.Value(value);
        while (value is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            negated = !negated;
            value = AddressKey.Value(not.Operand);
        }

        return value is IInvocationOperation call && ThinWrappers.LibraryRole(call.TargetMethod, _k) == Role.MappingError
            && ThinWrappers.Operand(call, _k) is IArgumentOperation tested && Carries(tested.Value) ? !negated : null;
    }

    /// <summary>
    /// The value last stored into the local before <paramref name="read"/>, in source order, when that store surely is
    /// the one the test reads: a plain store in a statement of the block that holds the test, before it, and no store
    /// of the local in a loop around the test (a later round's store would reach it); null otherwise.
    /// </summary>
    private IOperation? LastStore(ILocalReferenceOperation read)
    {
        (int Start, IOperation? Value, SyntaxNode At)? last = null;
        SyntaxNode[] loops = read.Syntax.Ancestors()
            .Where(a => a is ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax or CommonForEachStatementSyntax).ToArray();
        foreach ((int Start, IOperation? Value, SyntaxNode At) store in _localStores.Value[read.Local])
        {
            if (loops.Any(loop => loop.Span.Contains(store.At.Span)))
            {
                return null;
            }

            if (store.Start < read.Syntax.SpanStart && (last is null || store.Start > last.Value.Start))
            {
                last = store;
            }
        }

        StatementSyntax? test = read.Syntax.FirstAncestorOrSelf<StatementSyntax>();
        StatementSyntax? stored = last?.At.FirstAncestorOrSelf<StatementSyntax>();
        return last is { Value: IOperation value } && test is not null && stored is not null && stored.Parent is BlockSyntax
            && ReferenceEquals(stored.Parent, test.Parent) ? value : null;
    }

    /// <summary>Whether the reference writes the local: a store, a compound store, ++/--, a ref or out argument, a deconstruction.</summary>
    private static bool Writes(ILocalReferenceOperation r) => r.Parent switch
    {
        IAssignmentOperation a => a.Target == r,
        IIncrementOrDecrementOperation => true,
        IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref } => true,
        IDeclarationExpressionOperation => true,
        ITupleOperation => true,
        _ => r.IsDeclaration,
    };

    private bool IsResult(IOperation left, IOperation right, out long constant, out bool mirrored)
    {
        constant = 0;
        mirrored = false;
        if (ErrorLocals.Constant(right) is long r && IsResult(left))
        {
            constant = r;
            return true;
        }

        if (ErrorLocals.Constant(left) is long l && IsResult(right))
        {
            constant = l;
            mirrored = true;
            return true;
        }

        return false;
    }

    private bool IsResult(IOperation value)
    {
        value = AddressKey.Value(value);
        return value.Syntax == _map.Syntax
            || (value is ILocalReferenceOperation local && SymbolEqualityComparer.Default.Equals(local.Local, _result) && HoldsResultAt(value.Syntax.SpanStart));
    }

    /// <summary>
    /// Whether the last store into the result local before <paramref name="position"/> (in source order) is the map's,
    /// leaving out stores in another arm of a branch than the map's, which no path from the map reaches (<c>if (p2p) ret =
    /// pci_p2pdma_map_sg(..); else ret = ib_dma_map_sg(..);</c> in rdma_rw_ctx_init).
    /// </summary>
    private bool HoldsResultAt(int position)
    {
        SyntaxNode? last = null;
        foreach (SyntaxNode store in _resultStores)
        {
            if (store.SpanStart < position && (last is null || store.SpanStart > last.SpanStart)
                && (store.Span.Contains(_map.Syntax.Span) || !Branches.Exclusive(_map.Syntax, store)))
            {
                last = store;
            }
        }

        return last?.Span.Contains(_map.Syntax.Span) == true;
    }

    private bool Ends(IInvocationOperation inv)
    {
        // The map call itself: a helper that maps, and unmaps only on its own failure paths, is not its own end.
        if (_helper && inv.Syntax == _map.Syntax)
        {
            return false;
        }

        Role role = ThinWrappers.LibraryRole(inv.TargetMethod, _k);
        if (_table)
        {
            if (role is Role.UnmapSg or Role.UnmapSgTable || (_helper && FactProducers.IsSingleUnmap(role)))
            {
                return true;
            }

            bool holds = inv.Arguments.Any(a => Holds(a.Value)) || (inv.Instance is IOperation receiver && Holds(receiver));
            return (!_k.IsLibrary(inv.TargetMethod) && inv.Arguments.Any(a => Carries(a.Value)))
                || (holds && !_k.IsLibrary(inv.TargetMethod) && MayTake(inv.TargetMethod, depth: 3))
                || UnmapsTheTable(inv);
        }

        if (FactProducers.IsSingleUnmap(role))
        {
            return ThinWrappers.Operand(inv, _k) is IArgumentOperation unmapped && Carries(unmapped.Value);
        }

        // A byte-order helper (cpu_to_le64) keeps nothing; its result carries the address on. Nor does a register write
        // (writel of the address into a command pointer register).
        return role is not (Role.MappingError or Role.SyncSingle or Role.DeviceDma) && _k.PassesValue(inv.TargetMethod) is null
            && inv.Arguments.Any(a => (Carries(a.Value) && !RegisterWrites.Writes(inv, a, _k)) || IsFreshHolder(a.Value));
    }

    /// <summary>
    /// A helper of the compilation that unmaps the table without being handed it: state a one-device driver keeps in
    /// statics (<c>return unwind(-EINVAL)</c>, whose body unmaps the static list and makes the ERR_PTR).
    /// </summary>
    private bool UnmapsTheTable(IInvocationOperation inv) =>
        _tableText is not null && !_helper && !_k.IsLibrary(inv.TargetMethod) && !KnownSymbols.IsRuntime(inv.TargetMethod)
        && HelperUnmaps.UnmappedBy(inv, _k.Compilation, _k, tablesOnly: true).Contains(AddressKey.Normalize(_tableText), System.StringComparer.Ordinal);

    /// <summary>
    /// The address stored into an object this function created and has not handed on yet (<c>desc = new TxDesc();
    /// desc.Addr = dma_map_single(..)</c>): the mapping is then held by that object, which is handed on (stored, passed,
    /// returned, captured, copied) or dropped with it.
    /// </summary>
    private bool IntoFreshObject(IAssignmentOperation assignment) =>
        assignment.Target is IMemberReferenceOperation { Instance: ILocalReferenceOperation holder } && _fresh.Contains(holder.Local)
        && (Carries(assignment.Value) || IsMap(assignment.Value));

    private bool IsFreshHolder(IOperation value) => AddressKey.Value(value) is ILocalReferenceOperation local && _fresh.Contains(local.Local);

    /// <summary>Whether the value is this mapping's address or count (the fact the map call made, copied anywhere).</summary>
    private bool Carries(IOperation value) =>
        value.Syntax != _map.Syntax && _flow.ValueOf(value.Syntax).Facts.Any(f => f.Origin.Source.Equals(_made));

    // The call itself (a default argument of it has the call's syntax too).
    private bool IsMap(IOperation value) => AddressKey.Value(value) is IInvocationOperation call && call.Syntax == _map.Syntax;

    /// <summary>For a table mapping: the value is the table or an object it is reached from (<c>area</c> for <c>area.Mem.PageSgTable</c>).</summary>
    private bool Holds(IOperation value)
    {
        if (!_table)
        {
            return false;
        }

        if (value is IInstanceReferenceOperation)
        {
            return true;
        }

        string text = value.Syntax.ToString();
        return _tableText is not null && (text == _tableText || _tableText.StartsWith(text + ".", System.StringComparison.Ordinal))
            || _roots.Any(r => text == r || text.StartsWith(r + ".", System.StringComparison.Ordinal) || r.StartsWith(text + ".", System.StringComparison.Ordinal));
    }

    /// <summary>A store that records nothing: null, false or zero (<c>chip-&gt;buf = NULL</c> on the error path drops, not keeps).</summary>
    private static bool Clears(IOperation value)
    {
        value = AddressKey.Value(value);
        return value.ConstantValue is { HasValue: true } c && (c.Value is null || c.Value is false || (ErrorLocals.Constant(value) == 0))
            || value is IDefaultValueOperation;
    }

    private static bool IsLocal(IOperation target) =>
        target is ILocalReferenceOperation or IDiscardOperation or IFlowCaptureReferenceOperation
        || (target is IParameterReferenceOperation p && p.Parameter.RefKind == RefKind.None);

    /// <summary>
    /// Whether a method handed a table (or what holds it) may unmap it or keep it: it unmaps a scatterlist, or stores a
    /// table into the heap, itself or through the methods of the compilation it calls. A method without a body here
    /// (metadata, abstract, an interface) may.
    /// </summary>
    private bool MayTake(IMethodSymbol method, int depth)
    {
        if (_takes.TryGetValue(method, out bool known))
        {
            return known;
        }

        if (method.DeclaringSyntaxReferences.IsEmpty)
        {
            // The runtime's own methods (a lock's Monitor.Exit, string formatting) keep no table; other code without a
            // body here might.
            return !KnownSymbols.IsRuntime(method);
        }

        if (depth == 0)
        {
            return false; // three calls deep: what is not seen by then is not held against the code
        }

        _takes[method] = false; // recursion: a cycle adds nothing the other members do not show
        bool takes = method.DeclaringSyntaxReferences.Any(r => Takes(r.GetSyntax(), depth));
        _takes[method] = takes;
        return takes;
    }

    private bool Takes(SyntaxNode declaration, int depth)
    {
        if (declaration is not BaseMethodDeclarationSyntax { Body: not null } and not BaseMethodDeclarationSyntax { ExpressionBody: not null })
        {
            return true;
        }

        SemanticModel model = SemanticModels.Of(_map.SemanticModel!.Compilation, declaration.SyntaxTree);
        foreach (SyntaxNode node in declaration.DescendantNodes())
        {
            if (node is InvocationExpressionSyntax call && model.GetSymbolInfo(call).Symbol is IMethodSymbol callee)
            {
                Role role = _k.RoleOf(callee);
                if (role is Role.UnmapSg or Role.UnmapSgTable || (_helper && FactProducers.IsSingleUnmap(role)) || (_k.IsSource(callee) && MayTake(callee, depth - 1)))
                {
                    return true;
                }
            }
            else if (node is AssignmentExpressionSyntax store && _k.Is(model.GetTypeInfo(store.Right).Type, _k.SgTable)
                && model.GetSymbolInfo(store.Left).Symbol is IFieldSymbol or IPropertySymbol)
            {
                return true;
            }
        }

        return false;
    }
}
