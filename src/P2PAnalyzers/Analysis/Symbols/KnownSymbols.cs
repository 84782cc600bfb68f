using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The companion library's symbols and the address-space attributes, resolved once per compilation and shared by every
/// rule. Null when the compilation has neither, so that rules register nothing.
/// </summary>
internal sealed class KnownSymbols
{
    public const string Namespace = "P2PDma";
    public const string CpuPhysicalAttribute = "P2PDma.Addresses.CpuPhysicalAddressAttribute";
    public const string PciBusAttribute = "P2PDma.Addresses.PciBusAddressAttribute";
    public const string DmaAttribute = "P2PDma.Addresses.DmaAddressAttribute";

    private static readonly ConditionalWeakTable<Compilation, Holder> Cache = new();

    private readonly Dictionary<ISymbol, Role> _roles = new(SymbolEqualityComparer.Default);

    // The library's assembly: every member with a role is declared there (null when the library is not referenced;
    // should roles ever span assemblies, _anyAssembly turns the shortcut off).
    private readonly IAssemblySymbol? _roleAssembly;
    private readonly bool _anyAssembly;
    private readonly ConcurrentDictionary<ISymbol, AddressSpaceAnnotation> _annotations = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _asksMapType = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, int> _passesValue = new(SymbolEqualityComparer.Default);
    private readonly System.Lazy<ProgramSummary> _program;
    private ConcurrentDictionary<SyntaxNode, MethodFlow>? _summaryFlows;

    private KnownSymbols(Compilation compilation, UserModel user)
    {
        Compilation = compilation;
        User = user;
        _sourceMayMakeFacts = new System.Lazy<bool>(
            () => !user.IsEmpty || compilation.SyntaxTrees.Any(TreeIndex.MayNameLibrary),
            System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);
        PhysAddr = Type("P2PDma.Addresses.PhysAddr");
        PciBusAddr = Type("P2PDma.Addresses.PciBusAddr");
        DmaAddr = Type("P2PDma.Addresses.DmaAddr");
        PhysRange = Type("P2PDma.Addresses.PhysRange");
        PciBar = Type("P2PDma.Pci.PciBar");
        PciDevice = Type("P2PDma.Pci.PciDevice");
        P2PProvider = Type("P2PDma.P2P.P2PProvider");
        PciP2PDma = Type("P2PDma.P2P.PciP2PDma");
        P2PMapType = Type("P2PDma.P2P.P2PMapType");
        Page = Type("P2PDma.Memory.Page");
        Dma = Type("P2PDma.Mapping.Dma");
        DmaAttrs = Type("P2PDma.Mapping.DmaAttrs");
        DmaDirection = Type("P2PDma.Mapping.DmaDirection");
        Scatterlist = Type("P2PDma.Mapping.Scatterlist");
        SgTable = Type("P2PDma.Mapping.SgTable");
        P2PDmaMapping = Type("P2PDma.Mapping.P2PDmaMapping");
        DmaResult = Type("P2PDma.Mapping.DmaResult`1");
        DmaBufOps = Type("P2PDma.DmaBuf.DmaBufOps");
        DmaBufAttachment = Type("P2PDma.DmaBuf.DmaBufAttachment");
        DmaBufMapping = Type("P2PDma.DmaBuf.DmaBufMapping");
        HasAttributes = new[] { CpuPhysicalAttribute, PciBusAttribute, DmaAttribute }.Any(n => !compilation.GetTypesByMetadataName(n).IsEmpty);
        RoleTable.Fill(this, _roles);
        var assemblies = _roles.Keys.Select(k => k.ContainingAssembly).Distinct(SymbolEqualityComparer.Default).ToList();
        _roleAssembly = assemblies.Count == 1 ? (IAssemblySymbol?)assemblies[0] : null;
        _anyAssembly = assemblies.Count > 1;
        _program = new System.Lazy<ProgramSummary>(SolveProgram, System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// The whole-program summary, or none when solving it failed: a defect of the summary must not silence every rule
    /// for the compilation (a failed lazy value is kept and thrown again on every read), only cost their cross-method
    /// reach. Tests let the defect through (<see cref="AnalysisGuard.Rethrow"/>).
    /// </summary>
    private ProgramSummary SolveProgram()
    {
        if (!User.WholeProgramEnabled)
        {
            return ProgramSummary.Empty;
        }

        try
        {
            ProgramSummary summary = ProgramBuilder.Build(this, out Dictionary<SyntaxNode, MethodFlow> flows);
            _summaryFlows = new ConcurrentDictionary<SyntaxNode, MethodFlow>(flows);
            return summary;
        }
        catch (System.Exception e) when (!AnalysisGuard.Rethrow && e is not System.OperationCanceledException)
        {
            return ProgramSummary.Empty;
        }
    }

    /// <summary>
    /// The analysis the whole-program summary made of the body <paramref name="body"/> in this compilation, when the
    /// summary read it last with exactly the values a rule sees (no node it read had disagreeing sources); handed out
    /// once (the rules then share it through <see cref="RecentFlows"/>), so it is not kept for longer than needed.
    /// </summary>
    public MethodFlow? TakeSummaryFlow(SyntaxNode body) =>
        _summaryFlows is { } flows && flows.TryRemove(body, out MethodFlow? flow) ? flow : null;

    /// <summary>True when <paramref name="symbol"/> is the companion library's.</summary>
    public bool IsLibrary(ISymbol symbol) => SymbolEqualityComparer.Default.Equals(symbol.ContainingAssembly, Dma?.ContainingAssembly);

    /// <summary>True for the runtime's own members (namespace <c>System</c> and below): they keep no mapping or table.</summary>
    public static bool IsRuntime(ISymbol symbol) =>
        symbol.ContainingNamespace?.ToDisplayString() is string ns && (ns == "System" || ns.StartsWith("System.", System.StringComparison.Ordinal));

    /// <summary>True when <paramref name="symbol"/> is declared in the compilation's own source (it has a summary node).</summary>
    public bool IsSource(ISymbol symbol) => SymbolEqualityComparer.Default.Equals(symbol.ContainingAssembly, Compilation.Assembly);

    /// <summary>
    /// True for a field or property whose stores the whole-program summary keeps: the compilation's own, and the library
    /// members the summary follows (<see cref="FactProducers.KeptBySummary"/>).
    /// </summary>
    public bool IsSummarised(ISymbol member) => IsSource(member) || FactProducers.KeptBySummary(RoleOf(member));

    public Compilation Compilation { get; }

    /// <summary>What the project configured about code it cannot annotate (.editorconfig).</summary>
    public UserModel User { get; }

    /// <summary>
    /// The whole-program summary of the compilation, solved on first use (by the first rule that analyses a body) and
    /// shared by all rules; every analysis waits for the one solution.
    /// </summary>
    public ProgramSummary Program => _program.Value;

    /// <summary>The flow analyses of the bodies analysed last, shared by the rules (see <see cref="MethodFlow.Of"/>).</summary>
    public RecentFlows RecentFlows { get; } = new();

    public INamedTypeSymbol? PhysAddr { get; }
    public INamedTypeSymbol? PciBusAddr { get; }
    public INamedTypeSymbol? DmaAddr { get; }
    public INamedTypeSymbol? PhysRange { get; }
    public INamedTypeSymbol? PciBar { get; }
    public INamedTypeSymbol? PciDevice { get; }
    public INamedTypeSymbol? P2PProvider { get; }
    public INamedTypeSymbol? PciP2PDma { get; }
    public INamedTypeSymbol? P2PMapType { get; }
    public INamedTypeSymbol? Page { get; }
    public INamedTypeSymbol? Dma { get; }
    public INamedTypeSymbol? DmaAttrs { get; }
    public INamedTypeSymbol? DmaDirection { get; }
    public INamedTypeSymbol? Scatterlist { get; }
    public INamedTypeSymbol? SgTable { get; }
    public INamedTypeSymbol? P2PDmaMapping { get; }
    public INamedTypeSymbol? DmaResult { get; }
    public INamedTypeSymbol? DmaBufOps { get; }
    public INamedTypeSymbol? DmaBufAttachment { get; }
    public INamedTypeSymbol? DmaBufMapping { get; }

    /// <summary>True when the companion library is referenced.</summary>
    public bool HasLibrary => DmaAddr is not null && Dma is not null;

    /// <summary>
    /// False when no file of the compilation names the library (a using, a qualified name, an address-space attribute)
    /// and .editorconfig models nothing: then no body can make a fact, and the rules register nothing. A project that
    /// references the package for code elsewhere pays one search of each file's text, kept per tree.
    /// </summary>
    public bool SourceMayMakeFacts => _sourceMayMakeFacts.Value;

    private readonly System.Lazy<bool> _sourceMayMakeFacts;

    /// <summary>True when the address-space attributes exist (the library's or a project's own copy).</summary>
    public bool HasAttributes { get; }

    /// <summary>
    /// The shared instance for <paramref name="compilation"/>, or null when there is nothing to analyze. The options
    /// (the project's configuration) are read by the first caller; later callers get the same instance.
    /// </summary>
    public static KnownSymbols? TryGet(Compilation compilation, Microsoft.CodeAnalysis.Diagnostics.AnalyzerOptions? options = null)
    {
        KnownSymbols symbols = Cache.GetValue(compilation, c => new Holder(new KnownSymbols(c, UserModel.Read(options, c)))).Symbols;
        return symbols.HasLibrary || symbols.HasAttributes ? symbols : null;
    }

    /// <summary>The role of a library member (methods and properties, compared by original definition).</summary>
    public Role RoleOf(ISymbol? member) =>
        // Asked for every call and property read of the compilation: members of other assemblies are answered by one
        // reference comparison, without hashing the symbol.
        member is not null && (_anyAssembly || ReferenceEquals(member.ContainingAssembly, _roleAssembly))
        && _roles.TryGetValue(member.OriginalDefinition, out Role role) ? role : Role.None;

    /// <summary>The address space a parameter, field, property or method return is annotated with (cached).</summary>
    public AddressSpaceAnnotation AnnotationOf(ISymbol symbol) =>
        // Most parameters and members carry no attribute at all: that is read off the symbol, with no lookup, unless the
        // project configured members by name.
        User.IsEmpty && (symbol is IMethodSymbol method ? method.GetReturnTypeAttributes() : symbol.GetAttributes()).IsEmpty ? AddressSpaceAnnotation.None :
        _annotations.GetOrAdd(symbol, s => s switch
        {
            IMethodSymbol m => Or(AddressSpaceAnnotations.From(m.GetReturnTypeAttributes()), User.SpaceOf(m)),
            IParameterSymbol p => AddressSpaceAnnotations.From(p.GetAttributes()),
            _ => Or(AddressSpaceAnnotations.From(s.GetAttributes()), User.SpaceOf(s)),
        });

    /// <summary>
    /// The space a member's own attribute declares, for sinks: a member the project configured in .editorconfig is a
    /// source it trusts (code it cannot change), never a place that is judged.
    /// </summary>
    public AddressSpaceAnnotation DeclaredAnnotationOf(ISymbol symbol) =>
        User.IsEmpty || symbol is IParameterSymbol ? AnnotationOf(symbol)
        : AddressSpaceAnnotations.From(symbol is IMethodSymbol m ? m.GetReturnTypeAttributes() : symbol.GetAttributes());

    /// <summary>How a member came to have its space, for messages: its attribute or the project's configuration.</summary>
    public string DescribeAnnotation(ISymbol symbol, AddressSpaceAnnotation space) =>
        symbol is not IParameterSymbol && User.SpaceOf(symbol) == space && AddressSpaceAnnotations.From(
            symbol is IMethodSymbol m ? m.GetReturnTypeAttributes() : symbol.GetAttributes()) == AddressSpaceAnnotation.None
            ? $"configured as {AddressSpaceAnnotations.Words(space)} in .editorconfig"
            : AddressSpaceAnnotations.Describe(space);

    private static AddressSpaceAnnotation Or(AddressSpaceAnnotation a, AddressSpaceAnnotation b) => a != AddressSpaceAnnotation.None ? a : b;

    /// <summary>
    /// The parameter a method of the compilation hands back as it is, in another width or byte order
    /// (<see cref="ValueHelpers"/>: <c>cpu_to_le64</c>); null for any other method.
    /// </summary>
    public int? PassesValue(IMethodSymbol method)
    {
        if (method.DeclaringSyntaxReferences.IsEmpty || method.Parameters.IsEmpty)
        {
            return null;
        }

        int ordinal = _passesValue.GetOrAdd(method.OriginalDefinition, static m => ValueHelpers.Passes(m) ?? -1);
        return ordinal < 0 ? null : ordinal;
    }

    /// <summary>
    /// True when <paramref name="method"/> is declared in the tree of <paramref name="model"/> and asks the map type
    /// itself (a helper such as <c>bool UsesBusAddress(...) =&gt; MapType(...) == BusAddr</c>). Cached.
    /// </summary>
    public bool AsksMapType(IMethodSymbol method, SemanticModel? model)
    {
        if (model is null || method.DeclaringSyntaxReferences.IsEmpty)
        {
            return false;
        }

        return _asksMapType.GetOrAdd(method, m =>
        {
            foreach (SyntaxReference reference in m.DeclaringSyntaxReferences)
            {
                SyntaxNode declaration = reference.GetSyntax();
                if (reference.SyntaxTree != model.SyntaxTree)
                {
                    // No semantic model for another file here (RS1030): a syntactic look errs towards "decided", i.e. silence.
                    if (declaration.DescendantNodes().OfType<MemberAccessExpressionSyntax>().Any(IsMapTypeQuerySyntax))
                    {
                        return true;
                    }
                }
                else if (model.GetOperation(declaration) is IOperation body
                    && body.DescendantsAndSelf().OfType<IInvocationOperation>()
                        .Any(i => RoleOf(i.TargetMethod) is Role.MapTypeQuery or Role.StateQuery or Role.DescribeQuery))
                {
                    return true;
                }
            }

            return false;
        });
    }

    private static bool IsMapTypeQuerySyntax(MemberAccessExpressionSyntax access) =>
        access.Name.Identifier.ValueText is "MapType" or "State" or "Describe"
        && access.Expression is SimpleNameSyntax { Identifier.ValueText: "PciP2PDma" } or MemberAccessExpressionSyntax { Name.Identifier.ValueText: "PciP2PDma" };

    public bool Is(ITypeSymbol? type, INamedTypeSymbol? known) =>
        type is not null && known is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, known);

    private INamedTypeSymbol? Type(string metadataName) => Compilation.GetTypeByMetadataName(metadataName);

    private sealed class Holder
    {
        public Holder(KnownSymbols symbols) => Symbols = symbols;

        public KnownSymbols Symbols { get; }
    }
}
