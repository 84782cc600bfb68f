using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

internal sealed partial class Evaluator
{
    private FlowValue Invocation(IInvocationOperation inv)
    {
        FlowValue receiver = Eval(inv.Instance);
        IMethodSymbol method = inv.TargetMethod;
        var args = new FlowValue[method.Parameters.Length];
        foreach (IArgumentOperation argument in inv.Arguments)
        {
            if (Lambda(argument.Value) is IFlowAnonymousFunctionOperation lambda)
            {
                // items.Select(sg => ...): the lambda's parameter is an element of what the call enumerates.
                RecordLambda(lambda, method.IsExtensionMethod && args.Length > 0 && argument.Parameter?.Ordinal != 0 ? args[0] : receiver);
                continue;
            }

            FlowValue v = Eval(argument.Value);
            if (argument.Parameter is IParameterSymbol p && p.Ordinal < args.Length)
            {
                args[p.Ordinal] = args[p.Ordinal].Union(v);
            }
        }

        RecordUnchecked(inv.Syntax);
        IOperation? Arg(int ordinal) => inv.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal)?.Value;
        FlowValue ArgValue(int ordinal) => ordinal < args.Length ? args[ordinal] : FlowValue.Empty;
        // Made only when a fact needs it: most calls a body evaluates (often several times) are not the library's.
        Origin? here = null;
        Origin At() => here ??= new(Origin.OfCall(method), inv.Syntax.GetLocation());

        Role role = _k.RoleOf(method);
        switch (role)
        {
            case Role.PhysFromRaw:
                return Phys(ArgValue(0), At());
            case Role.DmaFromRaw:
            case Role.MapPage:
            case Role.MapSingle:
            case Role.MapPhys:
            case Role.MapResource:
                if (role != Role.DmaFromRaw)
                {
                    _recorder?.RecordDecisions(inv.Syntax, State.Decisions);
                    State = State.WithUnchecked(At().Source);
                }

                return FlowValue.Of(new Fact(FactKind.Dma, At()));
            case Role.MappingError:
                State = State.WithChecked(Sources(ArgValue(1)).Concat(Sources(RewidenedRaw(Arg(1)))));
                return FlowValue.Empty;
            case Role.MapSg:
                _recorder?.RecordDecisions(inv.Syntax, State.Decisions);
                return FlowValue.Of(new Fact(FactKind.SgMappedCount, At()));
            case Role.BusFromRaw:
            case Role.BusAddressOf:
                return FlowValue.Of(new Fact(FactKind.Bus, At()));
            case Role.MapP2P:
                return Bus(new Fact(FactKind.BusDma, At(), key: FactKey.Of(KeyKind.MaybeBus)));
            case Role.BusAddrMap:
                return Bus(new Fact(FactKind.BusDma, At(), key: FactKey.Of(KeyKind.DefiniteBus)));
            case Role.MapSgTable:
                MarkTable(Arg(1), new Fact(FactKind.P2PTable, At()));
                return FlowValue.Empty;
            case Role.MapSgAware:
                MarkTable(Arg(1), new Fact(FactKind.P2PTable, At()));
                return FlowValue.Of(new Fact(FactKind.SgMappedCount, At()));
            case Role.MapTypeQuery:
                State = State.AddDecision(new MapTypeDecision(KeyOf(Arg(0), ArgValue(0)), KeyOf(Arg(1), ArgValue(1))));
                return FlowValue.Of(new Fact(FactKind.MapTypeOf, At(), key: KeyOf(Arg(0), ArgValue(0))))
                    .Add(new Fact(FactKind.MapTypeClient, At(), key: KeyOf(Arg(1), ArgValue(1))));
            case Role.StateQuery:
                State = State.AddDecision(new MapTypeDecision(default, KeyOf(Arg(1), ArgValue(1))));
                return FlowValue.Empty;
            case Role.DescribeQuery:
                State = State.AddDecision(new MapTypeDecision(KeyOf(Arg(0), ArgValue(0)), KeyOf(Arg(1), ArgValue(1))));
                return FlowValue.Empty;
            case Role.Distance:
            case Role.DistanceMany:
                return FlowValue.Of(new Fact(FactKind.Distance, At()));
            case Role.DeviceBar:
                return BarIdentity(KeyOf(inv.Instance, receiver), Arg(0), At());
            case Role.ProviderGet:
                return BarIdentity(KeyOf(Arg(0), ArgValue(0)), Arg(1), At());
            case Role.PhysToPage:
                return ArgValue(0).Select(f => f.Kind == FactKind.CpuPhys && f.Memory == MemoryKind.Bar ? new Fact(FactKind.PeerPage, f.Origin, f.Memory, f.Key) : null);
            case Role.BufferVirtToPhys:
                return PeerOrRam(receiver, At());
            case Role.P2PMemAlloc:
                // pci_alloc_p2pmem / pci_p2pmem_alloc_sgl: the buffer or list is a peer's BAR memory, whatever maps it.
                return FlowValue.Of(new Fact(FactKind.PeerPage, At(), MemoryKind.Bar));
            case Role.AttachMap:
                return FlowValue.Of(new Fact(FactKind.ImportedTable, At()));
            case Role.SgAlloc:
                return FlowValue.Of(new Fact(FactKind.HandBuiltTable, At()));
            case Role.ResultOk:
                return ArgValue(0);
        }

        if (ThinWrappers.Of(method, _k) is ThinWrapper thin)
        {
            Role wrapped = _k.RoleOf(thin.Library);
            if (FactProducers.IsSingleMap(wrapped) || wrapped == Role.MapSg)
            {
                // The decisions in force where a wrapper of a generic map is called, as at the library's own call.
                _recorder?.RecordDecisions(inv.Syntax, State.Decisions);
            }

            if (FactProducers.IsSingleMap(wrapped))
            {
                // A thin wrapper of a single map (ib_dma_map_single) is that map where it is called: the mapping this
                // call makes must be checked here, as each call of the library's own map must.
                State = State.WithUnchecked(At().Source);
                return FlowValue.Of(new Fact(FactKind.Dma, At()));
            }

            // A thin wrapper of a P2P-aware table map (pci_p2pdma_map_sg over dma_map_sg) marks the table it is handed as
            // the call it wraps would; its count comes back through its return's summary.
            if (wrapped is Role.MapSgTable or Role.MapSgAware && thin.Argument(inv, thin.Library.Parameters[1].Name)?.Value is IOperation wrappedTable)
            {
                MarkTable(wrappedTable, new Fact(FactKind.P2PTable, At()));
            }
        }

        if (method.MethodKind == MethodKind.LocalFunction)
        {
            if (_k.AsksMapType(method, _context.Model))
            {
                State = State.AddDecision(default);
            }

            return LocalFunctionCall(method, args);
        }

        if (_k.AsksMapType(method, _context.Model))
        {
            // A helper that asks the map type decides; which provider and device it asks for is not followed.
            State = State.AddDecision(default);
        }

        AddedTo(inv, args);
        if (!State.Unchecked.IsEmpty && _k.IsSource(method))
        {
            // A helper of the compilation that asks MappingError of the mapping handed to it checks it; one that only
            // uses it (solo6x10's solo_p2m_dma_t programs the device with it) does not.
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i].Has(FactKind.Dma) && MappingUses.Checks(method, i))
                {
                    State = State.WithChecked(Sources(args[i]));
                }
            }
        }

        if (_k.User.IsBuilder(method))
        {
            // A builder the project named in .editorconfig: what it hands back was filled by hand.
            return FlowValue.Of(new Fact(FactKind.HandBuiltTable, At(), key: FactKey.Builder(method.Name)));
        }

        FlowValue annotated = Annotated(method, inv.Syntax, method.Name + "()");
        if (annotated.IsEmpty && _k.PassesValue(method) is int passed && passed < args.Length)
        {
            // cpu_to_le64(mapping): the address, as a cast of it would be.
            return args[passed];
        }

        FlowValue fromProgram = CallOfSource(inv, args);
        if (!annotated.IsEmpty)
        {
            // What the user declared (an attribute, the configuration) is the contract: it wins over what the body does.
            return annotated;
        }

        if (!fromProgram.IsEmpty)
        {
            return fromProgram;
        }

        // Address-type helpers keep the address (PhysAddr.PageAlignDown); tables hand their facts to entries and views.
        if (inv.Instance is not null && _k.Is(method.ReturnType, method.ContainingType) && IsAddressType(method.ContainingType))
        {
            return receiver;
        }

        FlowValue source = method.IsExtensionMethod && args.Length > 0 ? args[0] : receiver;
        return TableView(source, method.ReturnType);
    }

    /// <summary>A bus-or-DMA address made here, linked to the flags set earlier on this path.</summary>
    private FlowValue Bus(Fact bus)
    {
        LinkPendingFlags(bus);
        return FlowValue.Of(bus);
    }

    private FlowValue PropertyRead(IPropertyReferenceOperation property)
    {
        FlowValue receiver = Eval(property.Instance);
        foreach (IArgumentOperation a in property.Arguments)
        {
            Eval(a.Value);
        }

        AccessPath? path = PathOf(property);
        if (path is not null && State.Values.TryGetValue(path, out FlowValue stored))
        {
            return stored;
        }

        Origin? here = null;
        Origin At() => here ??= new(property.Property.ContainingType.Name + "." + property.Property.Name, property.Syntax.GetLocation());
        switch (_k.RoleOf(property.Property))
        {
            case Role.PhysRaw:
                return Phys(receiver, At());
            case Role.RangeStart:
                return Phys(receiver, At());
            case Role.BarCpuStart:
            case Role.BarCpuRange:
                return FlowValue.Of(new Fact(FactKind.CpuPhys, At(), MemoryKind.Bar, BarKey(property.Instance, receiver)));
            case Role.PagePhys:
                FlowValue peer = PeerPhys(receiver);
                return peer.IsEmpty ? FlowValue.Of(new Fact(FactKind.CpuPhys, At())) : peer;
            case Role.PagePfn:
                return FlowValue.Of(new Fact(FactKind.Pfn, At()));
            case Role.SgPhys:
                return FlowValue.Of(new Fact(FactKind.CpuPhys, At()));
            case Role.BufferPhys:
                return PeerOrRam(receiver, At());
            case Role.BufferPage:
                return receiver.Where(f => f.Kind == FactKind.PeerPage);
            case Role.BusStart:
                return FlowValue.Of(new Fact(FactKind.Bus, At()));
            case Role.BusRaw:
                FlowValue bus = receiver.Where(f => f.Kind == FactKind.Bus);
                return bus.IsEmpty ? FlowValue.Of(new Fact(FactKind.Bus, At())) : bus;
            case Role.DmaRaw:
                FlowValue dma = receiver.Where(f => f.Kind is FactKind.Dma or FactKind.BusDma);
                return dma.IsEmpty ? FlowValue.Of(new Fact(FactKind.Dma, At())) : dma;
            case Role.SgDmaAddress:
                return receiver.Has(FactKind.P2PEntry)
                    ? FlowValue.Of(new Fact(FactKind.BusDma, receiver.First(FactKind.P2PEntry)!.Value.Origin, key: FactKey.Of(KeyKind.EntryBus)))
                    : FlowValue.Of(new Fact(FactKind.Dma, At()));
            case Role.MappingAddress:
                return receiver.Where(f => f.Kind == FactKind.BusDma).Union(FlowValue.Of(new Fact(FactKind.Dma, At())));
            case Role.ResultValue:
                return receiver;
            case Role.BusOffset:
                return FlowValue.Of(new Fact(FactKind.BusOffset, At()));
            case Role.AttachPeer2Peer:
                return ArrivingAt(property.Property);
            case Role.ProviderBar:
                return KeyOf(property.Instance, receiver) is { IsNone: false } provider ? FlowValue.Of(new Fact(FactKind.Identity, At(), key: provider)) : FlowValue.Empty;
        }

        FlowValue annotated = Annotated(property.Property, property.Syntax, $"property '{property.Property.Name}'");
        if (!annotated.IsEmpty)
        {
            return annotated;
        }

        FlowValue view = TableView(receiver, property.Type);
        FlowValue elements = property.Arguments.IsEmpty ? FlowValue.Empty : ElementsOf(property.Instance);
        return (view.IsEmpty ? IdentityOf(property, property.Type) : view).Union(ArrivingAt(property.Property)).Union(elements);
    }

    private FlowValue FieldRead(IFieldReferenceOperation field)
    {
        Eval(field.Instance);
        AccessPath? path = PathOf(field);
        if (path is not null && State.Values.TryGetValue(path, out FlowValue stored))
        {
            return stored;
        }

        FlowValue annotated = Annotated(field.Field, field.Syntax, $"field '{field.Field.Name}'");
        return annotated.IsEmpty ? IdentityOf(field, field.Type).Union(ArrivingAt(field.Field)) : annotated;
    }

    /// <summary>
    /// A call of a local function: its parameters take the arguments' facts; the call is remembered so that the function's
    /// own sinks are checked with them, and its return value is computed with them (to a small depth).
    /// </summary>
    private FlowValue LocalFunctionCall(IMethodSymbol function, FlowValue[] args)
    {
        FlowState bound = State;
        for (int i = 0; i < function.Parameters.Length && i < args.Length; i++)
        {
            bound = bound.Set(AccessPath.Of(function.Parameters[i]), args[i]);
        }

        _recorder?.RecordLocalFunctionCall(function, _graph, bound);
        if (_depth >= MaxLocalFunctionDepth)
        {
            return FlowValue.Empty;
        }

        return FlowRunner.LocalFunctionGraph(_graph, function) is ControlFlowGraph body
            ? FlowRunner.ReturnValue(_context, body, bound, _depth + 1)
            : FlowValue.Empty;
    }

    private static IFlowAnonymousFunctionOperation? Lambda(IOperation value)
    {
        while (value is IConversionOperation or IDelegateCreationOperation)
        {
            value = value is IConversionOperation c ? c.Operand : ((IDelegateCreationOperation)value).Target;
        }

        return value as IFlowAnonymousFunctionOperation;
    }

    private void RecordLambda(IFlowAnonymousFunctionOperation lambda, FlowValue source)
    {
        FlowState state = State;
        if (lambda.Symbol.Parameters.Length > 0)
        {
            IParameterSymbol first = lambda.Symbol.Parameters[0];
            state = state.Set(AccessPath.Of(first), TableView(source, first.Type));
        }

        _recorder?.Lambdas.Add((lambda, _graph, state));
    }

    /// <summary>Facts from an address-space attribute on a parameter, field, property or method return.</summary>
    private FlowValue Annotated(ISymbol symbol, SyntaxNode at, string what)
    {
        AddressSpaceAnnotation space = _k.AnnotationOf(symbol);
        if (space == AddressSpaceAnnotation.None)
        {
            return FlowValue.Empty;
        }

        var origin = new Origin($"{what} is {_k.DescribeAnnotation(symbol, space)}", at.GetLocation());
        FactKind kind = space switch
        {
            AddressSpaceAnnotation.CpuPhysical => FactKind.CpuPhys,
            AddressSpaceAnnotation.PciBus => FactKind.Bus,
            _ => FactKind.Dma,
        };
        return FlowValue.Of(new Fact(kind, origin));
    }

    /// <summary>A CPU physical address: the input's own CPU-physical facts, or a fresh one from <paramref name="origin"/>.</summary>
    private static FlowValue Phys(FlowValue input, Origin origin)
    {
        FlowValue phys = input.Where(f => f.Kind == FactKind.CpuPhys);
        return phys.IsEmpty ? FlowValue.Of(new Fact(FactKind.CpuPhys, origin)) : phys;
    }

    /// <summary>Entries, enumerators and views of an imported or P2P-mapped table carry the table's facts.</summary>
    private FlowValue TableView(FlowValue source, ITypeSymbol? resultType)
    {
        if (!source.Facts.Any(f => IsTable(f.Kind)))
        {
            return FlowValue.Empty;
        }

        if (_k.Is(resultType, _k.Scatterlist))
        {
            return source.Select(f => f.Kind switch
            {
                FactKind.ImportedTable => f.With(FactKind.ImportedEntry),
                FactKind.P2PTable => f.With(FactKind.P2PEntry),
                FactKind.HandBuiltTable => f.With(FactKind.HandBuiltEntry),
                _ => null,
            });
        }

        bool sequence = _k.Is(resultType, _k.SgTable)
            || resultType is IArrayTypeSymbol { ElementType: var e } && _k.Is(e, _k.Scatterlist)
            || resultType is INamedTypeSymbol { TypeArguments.Length: 1 } n && (_k.Is(n.TypeArguments[0], _k.Scatterlist) || _k.Is(n.TypeArguments[0], _k.SgTable));
        return sequence ? source.Where(f => IsTable(f.Kind)) : FlowValue.Empty;
    }

    private static bool IsTable(FactKind kind) => kind is FactKind.ImportedTable or FactKind.P2PTable or FactKind.HandBuiltTable;

    private void MarkTable(IOperation? table, Fact fact)
    {
        if (PathOf(table) is AccessPath path)
        {
            State = State.Set(path, State.Get(path).Add(fact));
        }
    }

    /// <summary>A device, provider or BAR object's identity fact, from its canonical path.</summary>
    private FlowValue IdentityOf(IOperation op, ITypeSymbol? type)
    {
        if (Identities.PathOf(op) is not ObjectPath path)
        {
            return FlowValue.Empty;
        }

        FactKey key = _k.Is(type, _k.PciDevice) ? FactKey.Device(path)
            : _k.Is(type, _k.P2PProvider) ? FactKey.Provider(path)
            : _k.Is(type, _k.PciBar) ? FactKey.BarAt(path)
            : default;
        return key.IsNone ? FlowValue.Empty : FlowValue.Of(new Fact(FactKind.Identity, new Origin(path.Text, op.Syntax.GetLocation()), key: key));
    }

    /// <summary>BAR <paramref name="index"/> of the device named by <paramref name="device"/>.</summary>
    private static FlowValue BarIdentity(FactKey device, IOperation? index, Origin origin) =>
        device.Kind == KeyKind.Device
            ? FlowValue.Of(new Fact(FactKind.Identity, origin, key: FactKey.DeviceBar(device.Object, Identities.BarIndex(index), Identities.PathOf(index))))
            : FlowValue.Empty;

    private static FactKey KeyOf(IOperation? op, FlowValue value) => value.First(FactKind.Identity)?.Key ?? default;

    private static FactKey BarKey(IOperation? bar, FlowValue value) =>
        KeyOf(bar, value) is { IsNone: false } known ? known : Identities.PathOf(bar) is ObjectPath path ? FactKey.BarAt(path) : default;

    private bool IsAddressType(ITypeSymbol type) =>
        _k.Is(type, _k.PhysAddr) || _k.Is(type, _k.PciBusAddr) || _k.Is(type, _k.DmaAddr);

    /// <summary>
    /// For a check asked of a stored raw address made a DmaAddr again (axienet's <c>dma_mapping_error(dev,
    /// cur_p-&gt;phys)</c> of the descriptor's u32, <c>DmaAddr.FromRaw(curP.Phys)</c>): the mappings that raw value holds.
    /// Only there: elsewhere FromRaw starts a new address, as a ring slot read back in a loop holds another mapping
    /// on each turn. Only a read is evaluated again, never a call.
    /// </summary>
    private FlowValue RewidenedRaw(IOperation? address)
    {
        if (address is not IInvocationOperation { Arguments.Length: 1 } fromRaw || _k.RoleOf(fromRaw.TargetMethod) != Role.DmaFromRaw)
        {
            return FlowValue.Empty;
        }

        IOperation raw = fromRaw.Arguments[0].Value;
        while (raw is IConversionOperation conversion)
        {
            raw = conversion.Operand;
        }

        return raw is IFieldReferenceOperation or ILocalReferenceOperation or IParameterReferenceOperation
            or IPropertyReferenceOperation { Arguments.IsEmpty: true }
            ? Eval(raw).Where(f => f.Kind == FactKind.Dma)
            : FlowValue.Empty;
    }

    /// <summary>The map calls the DMA addresses of <paramref name="value"/> come from.</summary>
    private static System.Collections.Generic.IEnumerable<OriginSource> Sources(FlowValue value)
    {
        foreach (Fact fact in value.Facts)
        {
            if (fact.Kind == FactKind.Dma)
            {
                yield return fact.Origin.Source;
            }
        }
    }

    private void RecordUnchecked(SyntaxNode at)
    {
        if (!State.Unchecked.IsEmpty)
        {
            _recorder?.RecordUnchecked(at, State.Unchecked);
        }
    }

    // A buffer's physical address: BAR memory for P2P memory (pci_alloc_p2pmem), RAM otherwise.
    private static FlowValue PeerOrRam(FlowValue buffer, Origin at)
    {
        FlowValue peer = PeerPhys(buffer);
        return peer.IsEmpty ? FlowValue.Of(new Fact(FactKind.CpuPhys, at, MemoryKind.Ram)) : peer;
    }

    // The physical address of a peer page or of P2P memory: the BAR's, with the page's origin.
    private static FlowValue PeerPhys(FlowValue peer) =>
        peer.Select(f => f.Kind == FactKind.PeerPage ? new Fact(FactKind.CpuPhys, f.Origin, MemoryKind.Bar, f.Key) : null);
}
