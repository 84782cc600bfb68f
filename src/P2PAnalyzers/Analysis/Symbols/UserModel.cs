using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// What a project says in <c>.editorconfig</c> (or a global config) about code it cannot annotate (generated or
/// third-party): members, by documentation-comment ID, that give CPU physical, PCI bus or mapped DMA addresses, methods
/// that hand back tables filled by hand, and whether values are followed across methods at all. docs/configuration.md.
/// </summary>
internal sealed class UserModel
{
    /// <summary>Members (fields, properties, method returns) that hold or return CPU physical addresses.</summary>
    public const string CpuPhysicalSources = "p2p_analyzers.cpu_physical_sources";

    /// <summary>Members that hold or return PCI bus addresses.</summary>
    public const string PciBusSources = "p2p_analyzers.pci_bus_sources";

    /// <summary>Members that hold or return DMA addresses (a project's own mapping wrapper: what it returns is mapped).</summary>
    public const string DmaSources = "p2p_analyzers.dma_sources";

    /// <summary>Methods that hand back a scatterlist table they filled with DMA addresses by hand.</summary>
    public const string TableBuilders = "p2p_analyzers.table_builders";

    /// <summary><c>false</c> turns the whole-program summary off: values are followed within methods and through annotations only.</summary>
    public const string WholeProgram = "p2p_analyzers.whole_program";

    public static readonly UserModel Empty = new(new Dictionary<string, AddressSpaceAnnotation>(), new HashSet<string>(), wholeProgram: true);

    private readonly Dictionary<string, AddressSpaceAnnotation> _spaces;
    private readonly HashSet<string> _builders;

    private UserModel(Dictionary<string, AddressSpaceAnnotation> spaces, HashSet<string> builders, bool wholeProgram)
    {
        _spaces = spaces;
        _builders = builders;
        WholeProgramEnabled = wholeProgram;
    }

    /// <summary>False when the project turned the whole-program summary off.</summary>
    public bool WholeProgramEnabled { get; }

    /// <summary>True when no member is configured (the common case: nothing to look up).</summary>
    public bool IsEmpty => _spaces.Count == 0 && _builders.Count == 0;

    /// <summary>
    /// Reads the options from the global configuration and from the options of every file (an <c>.editorconfig</c>
    /// section); a list names members separated by <c>;</c>.
    /// </summary>
    public static UserModel Read(AnalyzerOptions? options, Compilation compilation)
    {
        if (options is null)
        {
            return Empty;
        }

        var spaces = new Dictionary<string, AddressSpaceAnnotation>(StringComparer.Ordinal);
        var builders = new HashSet<string>(StringComparer.Ordinal);
        bool wholeProgram = true;
        var sources = new List<AnalyzerConfigOptions> { options.AnalyzerConfigOptionsProvider.GlobalOptions };
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            sources.Add(options.AnalyzerConfigOptionsProvider.GetOptions(tree));
        }

        foreach (AnalyzerConfigOptions source in sources)
        {
            Add(source, CpuPhysicalSources, id => spaces[id] = AddressSpaceAnnotation.CpuPhysical);
            Add(source, PciBusSources, id => spaces[id] = AddressSpaceAnnotation.PciBus);
            Add(source, DmaSources, id => spaces[id] = AddressSpaceAnnotation.Dma);
            Add(source, TableBuilders, id => builders.Add(id));
            if (source.TryGetValue(WholeProgram, out string? value) && string.Equals(value.Trim(), "false", StringComparison.OrdinalIgnoreCase))
            {
                wholeProgram = false;
            }
        }

        return spaces.Count == 0 && builders.Count == 0 && wholeProgram ? Empty : new UserModel(spaces, builders, wholeProgram);
    }

    /// <summary>The address space configured for a field, property or method (its return); None when not named.</summary>
    public AddressSpaceAnnotation SpaceOf(ISymbol symbol) =>
        _spaces.Count > 0 && Id(symbol) is string id && _spaces.TryGetValue(id, out AddressSpaceAnnotation space) ? space : AddressSpaceAnnotation.None;

    /// <summary>True when the method is configured as a builder of hand-filled tables.</summary>
    public bool IsBuilder(IMethodSymbol method) => _builders.Count > 0 && Id(method) is string id && _builders.Contains(id);

    /// <summary>
    /// The documentation-comment ID as a user writes it: Roslyn appends <c>~ReturnType</c> to some method IDs, which the
    /// C# compiler's XML documentation only does for conversion operators.
    /// </summary>
    private static string? Id(ISymbol symbol)
    {
        string? id = DocumentationCommentId.CreateDeclarationId(symbol.OriginalDefinition);
        int tilde = id?.IndexOf('~') ?? -1;
        return tilde < 0 || symbol.Name is "op_Implicit" or "op_Explicit" ? id : id!.Substring(0, tilde);
    }

    private static void Add(AnalyzerConfigOptions source, string key, Action<string> add)
    {
        if (!source.TryGetValue(key, out string? value))
        {
            return;
        }

        foreach (string item in value.Split(';'))
        {
            string id = item.Trim();
            if (id.Length > 2 && id[1] == ':')
            {
                add(id);
            }
        }
    }
}
