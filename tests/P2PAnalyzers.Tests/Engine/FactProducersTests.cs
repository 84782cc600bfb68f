using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using P2PAnalyzers.Analysis;
using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Engine;

/// <summary>
/// The producer table (<see cref="FactProducers"/>) is what the rules' pre-filters and the whole-program summary's
/// starting bodies are derived from: it must say exactly what the evaluator makes. Each library member with a role is
/// evaluated here, and the facts it makes from nothing are compared with the table's row.
/// </summary>
public sealed class FactProducersTests
{
    // What each role is evaluated on: a statement to run first (or null) and the expression whose value is compared.
    private static readonly Dictionary<Role, (string? Before, string Probe)> Samples = new()
    {
        [Role.PhysRaw] = (null, "phys.Raw"),
        [Role.PhysFromRaw] = (null, "PhysAddr.FromRaw(raw)"),
        [Role.RangeStart] = (null, "range.Start"),
        [Role.BarCpuStart] = (null, "bar.CpuStart"),
        [Role.BarCpuRange] = (null, "bar.CpuRange"),
        [Role.PagePhys] = (null, "page.Phys"),
        [Role.PagePfn] = (null, "page.Pfn"),
        [Role.SgPhys] = (null, "sg.Phys"),
        [Role.BufferPhys] = (null, "buf.Phys"),
        [Role.BufferVirtToPhys] = (null, "buf.VirtToPhys(0)"),
        [Role.PhysToPage] = (null, "mem.PhysToPage(phys)"),
        [Role.P2PMemAlloc] = (null, "PciP2PDma.AllocMem(dev, 4096)"),
        [Role.BusStart] = (null, "bar.BusStart"),
        [Role.BusAddressOf] = (null, "bar.BusAddressOf(phys)"),
        [Role.BusRaw] = (null, "bus.Raw"),
        [Role.BusFromRaw] = (null, "PciBusAddr.FromRaw(raw)"),
        [Role.DmaRaw] = (null, "dma.Raw"),
        [Role.DmaFromRaw] = (null, "DmaAddr.FromRaw(raw)"),
        [Role.MapResource] = (null, "Dma.MapResource(dev, phys, 4096, DmaDirection.ToDevice)"),
        [Role.MapPhys] = (null, "Dma.MapPhys(dev, phys, 4096, DmaDirection.ToDevice)"),
        [Role.MapPage] = (null, "Dma.MapPage(dev, page, 0, 4096, DmaDirection.ToDevice)"),
        [Role.MapSingle] = (null, "Dma.MapSingle(dev, buf, 0, 4096, DmaDirection.ToDevice)"),
        [Role.MapSg] = (null, "Dma.LegacyMapSg(dev, table, 1, DmaDirection.ToDevice)"),
        [Role.MapSgAware] = (null, "Dma.MapSg(dev, table, 1, DmaDirection.ToDevice)"),
        [Role.MapP2P] = (null, "Dma.MapP2P(dev, provider, phys, 4096, DmaDirection.ToDevice)"),
        [Role.MapSgTable] = ("Dma.MapSgTable(dev, table, DmaDirection.ToDevice);", "table"),
        [Role.BusAddrMap] = (null, "PciP2PDma.BusAddrMap(provider, phys)"),
        [Role.MapTypeQuery] = (null, "PciP2PDma.MapType(provider, dev)"),
        [Role.Distance] = (null, "PciP2PDma.Distance(dev, dev)"),
        [Role.DistanceMany] = (null, "PciP2PDma.DistanceMany(dev, new[] { dev })"),
        [Role.SgAlloc] = (null, "SgTable.Alloc(1)"),
        [Role.SgDmaAddress] = (null, "sg.DmaAddress"),
        [Role.SgIsBusAddress] = (null, "sg.IsDmaBusAddress"),
        [Role.MappingAddress] = (null, "mapping.Address"),
        [Role.AttachMap] = (null, "attach.Map(DmaDirection.ToDevice)"),
        [Role.BusOffset] = (null, "bar.BusOffset"),
        [Role.DeviceBar] = (null, "dev.Bar(0)"),
        [Role.ProviderGet] = (null, "PciP2PDma.Provider(dev, 0)"),
        [Role.ProviderBar] = (null, "provider.Bar"),
    };

    // Roles that make facts on two values: the call's result (the probe) and an argument (here, the table it marks).
    private static readonly Dictionary<Role, string> AlsoMarked = new()
    {
        [Role.MapSgAware] = "table",
    };

    private const string Template = """
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        static class Probe
        {
            static void Run(PciDevice dev, PciBar bar, P2PProvider provider, Page page, Scatterlist sg, SgTable table,
                KernelBuffer buf, SystemMemory mem, DmaBufAttachment attach, PhysAddr phys, PhysRange range, PciBusAddr bus,
                DmaAddr dma, P2PDmaMapping mapping, ulong raw)
            {
                BEFORE
                var probe = PROBE;
                var also = ALSO;
            }
        }
        """;

    public static TheoryData<string> Roles() => new(Samples.Keys.OrderBy(r => r).Select(r => r.ToString()));

    [Theory]
    [MemberData(nameof(Roles))]
    public void Evaluator_MakesWhatTheTableSays(string name)
    {
        Role role = Enum.Parse<Role>(name);
        (string? before, string probe) = Samples[role];
        CSharpCompilation compilation = AllAnalyzers.Compile(Template.Replace("BEFORE", before ?? "").Replace("PROBE", probe)
            .Replace("ALSO", AlsoMarked.TryGetValue(role, out string? also) ? also : "0"));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        KnownSymbols symbols = KnownSymbols.TryGet(compilation)!;
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        SemanticModel model = compilation.GetSemanticModel(tree);
        MethodDeclarationSyntax method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single();
        IOperation body = model.GetOperation(method)!;
        ExpressionSyntax Declared(string name) =>
            tree.GetRoot().DescendantNodes().OfType<VariableDeclaratorSyntax>().Single(v => v.Identifier.ValueText == name).Initializer!.Value;

        MethodFlow flow = MethodFlow.Of(body, symbols, root => ControlFlowGraph.Create((Microsoft.CodeAnalysis.Operations.IMethodBodyOperation)root));
        FactShapes made = FactShapes.None;
        foreach (Fact fact in flow.ValueOf(Declared("probe")).Facts.Concat(flow.ValueOf(Declared("also")).Facts))
        {
            made = made.Union(FactShapes.Of(fact.Kind, fact.Memory));
        }

        Assert.Equal(Describe(FactProducers.Of(role)), Describe(made));
    }

    [Fact]
    public void EveryRoleThatMakesAFact_IsSampled()
    {
        Role[] missing = Enum.GetValues<Role>().Where(r => !FactProducers.Of(r).IsEmpty && !Samples.ContainsKey(r)).ToArray();
        Assert.Empty(missing);
    }

    [Fact]
    public void EveryShape_FitsTheBitSet() =>
        Assert.True(Enum.GetValues<FactKind>().Length * Enum.GetValues<MemoryKind>().Length <= 128, "FactShapes keeps one bit per kind and memory, in two words");

    [Fact]
    public void Derived_FollowsWhatAFactBecomes()
    {
        FactShapes bar = FactProducers.Derived(FactShapes.Of(FactKind.CpuPhys, MemoryKind.Bar));
        Assert.True(bar.Overlaps(FactShapes.Of(FactKind.PeerPage, MemoryKind.Bar)));
        Assert.False(bar.Overlaps(FactShapes.Of(FactKind.CpuPhys)));

        FactShapes table = FactProducers.Derived(FactShapes.Of(FactKind.P2PTable));
        Assert.True(table.Overlaps(FactShapes.Of(FactKind.BusDma)), "a P2P-mapped entry's address may be a bus address");
        Assert.True(table.Overlaps(FactShapes.Of(FactKind.BusFlag)));
    }

    private static string Describe(FactShapes shapes) => string.Join(", ",
        from kind in Enum.GetValues<FactKind>()
        from memory in Enum.GetValues<MemoryKind>()
        where shapes.Overlaps(FactShapes.Of(kind, memory))
        select memory == MemoryKind.Unknown ? kind.ToString() : $"{kind}@{memory}");
}
