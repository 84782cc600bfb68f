using System;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The one table of which library member makes which fact from nothing (the evaluator's sources), and what each fact
/// can become in the same body. The rules' pre-filters are derived from it: a body is analysed for a rule only when
/// something in it can make a fact the rule needs (<see cref="FlowRuleAnalyzer"/>), and the whole-program summary starts
/// from the bodies that name such a member (<see cref="RoleTable.ProducerNames"/>).
/// </summary>
/// <remarks>
/// The evaluator (<c>Evaluator.Members.cs</c>) is the executable form of this table; <c>FactProducersTests</c> checks the
/// two agree member by member. Facts that only pass a receiver's or argument's facts on (a page's physical address, a
/// view of a table) are not made from nothing: they are in <see cref="Derived"/>.
/// </remarks>
internal static class FactProducers
{
    /// <summary>What a library member makes when the analysis evaluates a read or call of it.</summary>
    public static FactShapes Of(Role role) => role switch
    {
        Role.PhysRaw or Role.PhysFromRaw or Role.RangeStart or Role.PagePhys or Role.SgPhys => FactShapes.Of(FactKind.CpuPhys),
        Role.BufferPhys or Role.BufferVirtToPhys => FactShapes.Of(FactKind.CpuPhys, MemoryKind.Ram),
        Role.BarCpuStart or Role.BarCpuRange => FactShapes.Of(FactKind.CpuPhys, MemoryKind.Bar),
        Role.P2PMemAlloc => FactShapes.Of(FactKind.PeerPage, MemoryKind.Bar),
        Role.PagePfn => FactShapes.Of(FactKind.Pfn),
        Role.BusStart or Role.BusAddressOf or Role.BusRaw or Role.BusFromRaw => FactShapes.Of(FactKind.Bus),
        Role.DmaRaw or Role.DmaFromRaw or Role.MapResource or Role.MapPhys or Role.MapPage or Role.MapSingle
            or Role.SgDmaAddress or Role.MappingAddress => FactShapes.Of(FactKind.Dma),
        Role.MapP2P or Role.BusAddrMap => FactShapes.Of(FactKind.BusDma),
        Role.MapSgTable => FactShapes.Of(FactKind.P2PTable),
        Role.MapSgAware => FactShapes.Of(FactKind.P2PTable).Union(FactShapes.Of(FactKind.SgMappedCount)),
        Role.MapSg => FactShapes.Of(FactKind.SgMappedCount),
        Role.MapTypeQuery => FactShapes.Of(FactKind.MapTypeOf).Union(FactShapes.Of(FactKind.MapTypeClient)),
        Role.Distance or Role.DistanceMany => FactShapes.Of(FactKind.Distance),
        Role.AttachMap => FactShapes.Of(FactKind.ImportedTable),
        Role.SgAlloc => FactShapes.Of(FactKind.HandBuiltTable),
        Role.BusOffset => FactShapes.Of(FactKind.BusOffset),
        Role.DeviceBar or Role.ProviderGet or Role.ProviderBar => FactShapes.Of(FactKind.Identity),
        _ => FactShapes.None,
    };

    /// <summary>
    /// True for a library member whose value the compilation sets and the summary keeps, like its own fields: the
    /// attachment's peer2peer flag, which the exporter's attach clears when the distance says P2P is not possible
    /// (amdgpu, xe, habanalabs, the VFIO RFC), so that a map callback reading it reads that verdict. Only what the
    /// compilation stores is kept (<c>Evaluator.VerdictStored</c>): a distance verdict, or a mark that spoils it.
    /// </summary>
    public static bool KeptBySummary(Role role) => role == Role.AttachPeer2Peer;

    /// <summary>
    /// What an operation of a body makes from nothing: a library member's facts, an annotated or configured member's
    /// space, a configured table builder's table, DMA attributes with SkipCpuSync.
    /// </summary>
    public static FactShapes Of(IOperation op, KnownSymbols symbols)
    {
        ISymbol? member = op switch
        {
            IInvocationOperation inv => inv.TargetMethod,
            IPropertyReferenceOperation p => p.Property,
            IFieldReferenceOperation f => f.Field,
            IParameterReferenceOperation p => p.Parameter,
            _ => null,
        };

        FactShapes made = FactShapes.None;
        if (member is not null)
        {
            made = Of(symbols.RoleOf(member)).Union(Annotated(symbols.AnnotationOf(member)));
            if (op is IInvocationOperation call && symbols.User.IsBuilder(call.TargetMethod))
            {
                made = made.Union(FactShapes.Of(FactKind.HandBuiltTable));
            }

            // A thin wrapper of the library (pci_p2pdma_map_sg over dma_map_sg) makes what the call it wraps makes.
            if (op is IInvocationOperation wrapped && made.IsEmpty)
            {
                made = Of(ThinWrappers.WrappedRole(wrapped.TargetMethod, symbols));
            }
        }

        if (op.ConstantValue is { HasValue: true, Value: int attrs } && (attrs & DmaAttrsSkipCpuSync) != 0 && symbols.Is(op.Type, symbols.DmaAttrs))
        {
            made = made.Union(FactShapes.Of(FactKind.SkipCpuSyncAttrs));
        }

        return made;
    }

    /// <summary>The value of <c>DmaAttrs.SkipCpuSync</c> (<c>DMA_ATTR_SKIP_CPU_SYNC</c>).</summary>
    public const int DmaAttrsSkipCpuSync = 1 << 5;

    /// <summary>
    /// <paramref name="made"/> and every fact it can become in the same body: a BAR's address a peer page and back, a
    /// distance a verdict kept in a bool, a table its entries (a P2P-mapped entry's address possibly a bus address), a
    /// bus address the flag set beside it, a bus start less a CPU start the bus offset, and a CPU address plus that offset
    /// a bus address.
    /// </summary>
    public static FactShapes Derived(FactShapes made)
    {
        FactShapes all = made;
        FactShapes last;
        do
        {
            last = all;
            all = all
                .If(FactKind.CpuPhys, MemoryKind.Bar, FactShapes.Of(FactKind.PeerPage, MemoryKind.Bar))
                .If(FactKind.PeerPage, MemoryKind.Bar, FactShapes.Of(FactKind.CpuPhys, MemoryKind.Bar))
                .If(FactKind.Distance, MemoryKind.Unknown, FactShapes.Of(FactKind.DistanceVerdict))
                .If(FactKind.ImportedTable, MemoryKind.Unknown, FactShapes.Of(FactKind.ImportedEntry))
                .If(FactKind.HandBuiltTable, MemoryKind.Unknown, FactShapes.Of(FactKind.HandBuiltEntry))
                .If(FactKind.P2PTable, MemoryKind.Unknown, FactShapes.Of(FactKind.P2PEntry))
                .If(FactKind.P2PEntry, MemoryKind.Unknown, FactShapes.Of(FactKind.BusDma))
                .If(FactKind.BusDma, MemoryKind.Unknown, FactShapes.Of(FactKind.BusFlag))
                .If(FactKind.Bus, MemoryKind.Unknown, FactShapes.Of(FactKind.BusOffset))
                .If(FactKind.BusOffset, MemoryKind.Unknown, FactShapes.Of(FactKind.Bus));
        }
        while (!all.Equals(last));

        return all;
    }

    /// <summary>What a body can make, with <see cref="Derived"/>: one walk per body, shared by every rule.</summary>
    public static FactShapes OfBody(IOperation root, KnownSymbols symbols) => BodyOf(root, symbols).Shapes;

    private static FactShapes.Box BodyOf(IOperation root, KnownSymbols symbols) =>
        Bodies.GetValue(root, r =>
        {
            FactShapes made = FactShapes.None;
            bool maps = false;
            foreach (IOperation op in r.DescendantsAndSelf())
            {
                if (op.Kind is OperationKind.Invocation or OperationKind.PropertyReference or OperationKind.FieldReference
                    or OperationKind.ParameterReference || op.ConstantValue.HasValue)
                {
                    made = made.Union(Of(op, symbols));
                    maps |= op is IInvocationOperation call && IsSingleMap(symbols.RoleOf(call.TargetMethod));
                }
            }

            return new FactShapes.Box(Derived(made), maps);
        });

    /// <summary>The single-address maps (<c>dma_map_page/single/phys/resource</c>): one streaming mapping per call.</summary>
    public static bool IsSingleMap(Role role) => role is Role.MapPage or Role.MapSingle or Role.MapPhys or Role.MapResource;

    /// <summary>Their unmaps (<c>dma_unmap_page/single/phys/resource</c>).</summary>
    public static bool IsSingleUnmap(Role role) => role is Role.UnmapPage or Role.UnmapSingle or Role.UnmapPhys or Role.UnmapResource;

    /// <summary>
    /// Whether a body calls a single-address map: its DMA addresses are worth carrying to other methods, where they are
    /// unmapped. Found in the same walk as <see cref="OfBody"/>.
    /// </summary>
    public static bool Maps(IOperation root, KnownSymbols symbols) => BodyOf(root, symbols).Maps;

    private static FactShapes Annotated(AddressSpaceAnnotation space) => space switch
    {
        AddressSpaceAnnotation.CpuPhysical => FactShapes.Of(FactKind.CpuPhys),
        AddressSpaceAnnotation.PciBus => FactShapes.Of(FactKind.Bus),
        AddressSpaceAnnotation.Dma => FactShapes.Of(FactKind.Dma),
        _ => FactShapes.None,
    };

    private static readonly ConditionalWeakTable<IOperation, FactShapes.Box> Bodies = new();
}

/// <summary>
/// A set of fact shapes (kind and, for addresses, the memory they point into), as a 128-bit set: what a member or a body
/// can make, what a rule needs.
/// </summary>
internal readonly struct FactShapes : IEquatable<FactShapes>
{
    /// <summary>The memories a shape tells apart; kinds times memories must stay within the set's 128 bits.</summary>
    internal const int Memories = 3;

    private static readonly Origin Prototype = new("", Location.None);

    // Two words: the kinds times the memories no longer fit in one (FactProducersTests says when two stop fitting).
    private readonly ulong _low;
    private readonly ulong _high;

    private FactShapes(ulong low, ulong high)
    {
        _low = low;
        _high = high;
    }

    public static FactShapes None => default;

    public bool IsEmpty => (_low | _high) == 0;

    public static FactShapes Of(FactKind kind, MemoryKind memory = MemoryKind.Unknown)
    {
        int bit = Bit(kind, memory);
        return bit < 64 ? new(1UL << bit, 0) : new(0, 1UL << (bit - 64));
    }

    /// <summary>Every shape for which <paramref name="needs"/> holds of a fact of that shape.</summary>
    public static FactShapes Where(Func<Fact, bool> needs)
    {
        FactShapes all = None;
        foreach (FactKind kind in (FactKind[])Enum.GetValues(typeof(FactKind)))
        {
            for (int m = 0; m < Memories; m++)
            {
                if (needs(new Fact(kind, Prototype, (MemoryKind)m)))
                {
                    all = all.Union(Of(kind, (MemoryKind)m));
                }
            }
        }

        return all;
    }

    public FactShapes Union(FactShapes other) => new(_low | other._low, _high | other._high);

    public bool Overlaps(FactShapes other) => ((_low & other._low) | (_high & other._high)) != 0;

    public FactShapes Except(FactShapes other) => new(_low & ~other._low, _high & ~other._high);

    /// <summary>This set, with <paramref name="then"/> added when it holds the shape (<paramref name="kind"/>, <paramref name="memory"/>).</summary>
    public FactShapes If(FactKind kind, MemoryKind memory, FactShapes then) => Overlaps(Of(kind, memory)) ? Union(then) : this;

    public bool Equals(FactShapes other) => _low == other._low && _high == other._high;

    public override bool Equals(object? obj) => obj is FactShapes other && Equals(other);

    public override int GetHashCode() => (_low * 31 ^ _high).GetHashCode();

    private static int Bit(FactKind kind, MemoryKind memory) => ((int)kind * Memories) + (int)memory;

    /// <summary>A set kept per body in a <see cref="ConditionalWeakTable{TKey, TValue}"/>, which holds classes only.</summary>
    internal sealed class Box
    {
        public Box(FactShapes shapes, bool maps = false)
        {
            Shapes = shapes;
            Maps = maps;
        }

        public FactShapes Shapes { get; }

        /// <summary>For a body: whether it calls a single-address map (<see cref="FactProducers.Maps"/>).</summary>
        public bool Maps { get; }
    }
}
