using System;
using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>What a whole-program node stands for.</summary>
internal enum SummaryNodeKind : byte
{
    /// <summary>A field or property: the union of every store to it (and of a property getter's returns).</summary>
    Member,

    /// <summary>A parameter: the union of the arguments every call site passes.</summary>
    Parameter,

    /// <summary>What a method returns.</summary>
    Return,

    /// <summary>What a method hands back through an out or ref parameter.</summary>
    OutParameter,

    /// <summary>The elements of an array or collection held in a field or property: every element store and <c>Add</c>.</summary>
    Elements,

    /// <summary>A parameter (an entry or a table) whose entries the method fills with DMA addresses by hand (set_dma_sg).</summary>
    FillsEntries,

    /// <summary>
    /// A parameter of a delegate-typed field or property (an ops table's function pointer): the union of the arguments of
    /// every call through it, which reach the methods stored into it (<see cref="DelegateTargets"/>).
    /// </summary>
    DelegateParameter,
}

/// <summary>
/// A node of the whole-program summary, named by documentation-comment ID so that it means the same in every
/// compilation of a project: the editor's next compilation reuses the summaries of files that did not change.
/// </summary>
internal sealed class SummaryNode : IEquatable<SummaryNode>
{
    private SummaryNode(SummaryNodeKind kind, string id, int ordinal, string display)
    {
        Kind = kind;
        Id = id;
        Ordinal = ordinal;
        Display = display;
        int dot = display.LastIndexOf('.');
        Name = dot > 0 && display[dot - 1] == '.' ? display.Substring(0, dot - 1) : display.Substring(dot + 1);

        // Nodes are dictionary keys on every read of a field or parameter: the ID's hash is computed once.
        _hash = (id.GetHashCode() * 31 + ordinal) * 8 + (int)kind;
    }

    private readonly int _hash;

    public SummaryNodeKind Kind { get; }

    /// <summary>The documentation-comment ID of the field, property or method.</summary>
    public string Id { get; }

    /// <summary>The parameter's ordinal; 0 for members and returns.</summary>
    public int Ordinal { get; }

    /// <summary>For messages: <c>AmdgpuGmc.AperBase</c>, <c>HlDmaBuf.SetDmaSg</c>.</summary>
    public string Display { get; }

    /// <summary>
    /// The simple name a reader of this node writes in source (to find the bodies that may read it): for a constructor,
    /// its type's name, which <c>new</c> writes.
    /// </summary>
    public string Name { get; }

    public static SummaryNode? Member(ISymbol member) =>
        Create(SummaryNodeKind.Member, member, 0);

    public static SummaryNode? Elements(ISymbol member) => Create(SummaryNodeKind.Elements, member, 0);

    public static SummaryNode? Parameter(IMethodSymbol method, int ordinal) => Create(SummaryNodeKind.Parameter, method, ordinal);

    public static SummaryNode? Return(IMethodSymbol method) => Create(SummaryNodeKind.Return, method, 0);

    public static SummaryNode? OutParameter(IMethodSymbol method, int ordinal) => Create(SummaryNodeKind.OutParameter, method, ordinal);

    public static SummaryNode? FillsEntries(IMethodSymbol method, int ordinal) => Create(SummaryNodeKind.FillsEntries, method, ordinal);

    public static SummaryNode? DelegateParameter(ISymbol member, int ordinal) => Create(SummaryNodeKind.DelegateParameter, member, ordinal);

    // A symbol's documentation-comment ID is built from its whole signature: asked for every read of a field or
    // parameter, so kept with the symbol (which lives as long as its compilation).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ISymbol, System.Collections.Concurrent.ConcurrentDictionary<int, SummaryNode?>> Nodes = new();

    private static SummaryNode? Create(SummaryNodeKind kind, ISymbol symbol, int ordinal)
    {
        ISymbol definition = symbol.OriginalDefinition;
        System.Collections.Concurrent.ConcurrentDictionary<int, SummaryNode?> nodes = Nodes.GetValue(definition, static _ => new System.Collections.Concurrent.ConcurrentDictionary<int, SummaryNode?>());
        int slot = (ordinal * 8) + (int)kind;

        // Asked on every read: the found node is returned without allocating the factory's closure (made in Add only).
        return nodes.TryGetValue(slot, out SummaryNode? known) ? known : Add(nodes, slot, kind, definition, ordinal);
    }

    private static SummaryNode? Add(System.Collections.Concurrent.ConcurrentDictionary<int, SummaryNode?> nodes, int slot, SummaryNodeKind kind, ISymbol definition, int ordinal) =>
        nodes.GetOrAdd(slot, _ =>
        {
            string? id = DocumentationCommentId.CreateDeclarationId(definition);
            return id is null ? null : new SummaryNode(kind, id, ordinal, definition.ContainingType?.Name + "." + definition.Name);
        });

    public bool Equals(SummaryNode? other) =>
        ReferenceEquals(this, other) || (other is not null && other.Kind == Kind && other.Ordinal == Ordinal && other.Id == Id);

    public override bool Equals(object? obj) => Equals(obj as SummaryNode);

    public override int GetHashCode() => _hash;

    public override string ToString() => $"{Kind} {Id}#{Ordinal}";
}
