using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Solves the whole-program summary of a compilation: which facts reach each field, property, parameter, return and
/// out parameter, from every store, call site and return in the compilation.
/// </summary>
/// <remarks>
/// A worklist fixpoint over bodies. It starts from the bodies that name a member of the library (the only places a
/// fact is made) and reads a further body only when it names a node that has facts: a reader, another writer (so that
/// stores that disagree are seen), or the method a parameter belongs to. A body is read again when a node it read
/// changes. Values only grow (unions capped in size, origin chains that never repeat a node), so the fixpoint ends;
/// bodies are taken in file-path and source order, so the result does not depend on the order of the files or on
/// threads. Code without any use of the library costs one syntax walk per file, and no binding.
/// </remarks>
internal sealed partial class ProgramBuilder : IProgramValues
{
    /// <summary>How many times a body may be read again before the fixpoint settles for what it has.</summary>
    private const int MaxAnalysesPerBody = 8;

    private readonly KnownSymbols _symbols;
    private readonly ImmutableArray<TreeIndex> _trees;
    private readonly Dictionary<string, List<BodyRef>> _bodiesByName = new(System.StringComparer.Ordinal);
    private Dictionary<SummaryNode, FlowValue> _values = new();
    private Dictionary<SummaryNode, SortedDictionary<BodyRef, FlowValue>> _contributors = new();
    private Dictionary<SummaryNode, HashSet<BodyRef>> _readers = new();
    private Dictionary<BodyRef, BodySummary> _summaries = new();
    private readonly Dictionary<BodyRef, int> _analyses = new();
    private readonly SortedSet<BodyRef> _work = new();
    private readonly Dictionary<SyntaxTree, int> _treeOrdinals = new();
    private readonly Dictionary<SyntaxTree, SemanticModel> _models = new();
    private BodyRef _current;
    private Dictionary<SummaryNode, FlowValue>? _inputs;
    private readonly Dictionary<BodyRef, (MethodFlow Flow, Dictionary<SummaryNode, FlowValue> Inputs)> _flows = new();

    private ProgramBuilder(KnownSymbols symbols)
    {
        _symbols = symbols;
        _trees = symbols.Compilation.SyntaxTrees
            .Select((tree, i) => (tree, i))
            .OrderBy(t => t.tree.FilePath, System.StringComparer.Ordinal).ThenBy(t => t.i)
            .Select(t => TreeIndex.Of(t.tree))
            .ToImmutableArray();
        for (int i = 0; i < _trees.Length; i++)
        {
            _treeOrdinals[_trees[i].Tree] = i;
        }
    }

    public static ProgramSummary Build(KnownSymbols symbols, out Dictionary<SyntaxNode, MethodFlow> flows)
    {
        var builder = new ProgramBuilder(symbols);
        flows = builder.ReusableFlows();
        if (builder._trees.IsEmpty)
        {
            return ProgramSummary.Empty;
        }

        // The same files as a compilation solved before (the analyzer driver and the editor wrap one compilation in a
        // new one for each analysis): the same summary. A few files edited since: solved from the earlier solution.
        SolvedPrograms.Key key = SolvedPrograms.KeyOf(symbols, builder._trees.Select(t => t.Tree).ToImmutableArray());
        if (SolvedPrograms.Find(key) is ProgramSummary known)
        {
            return known;
        }

        ProgramSummary summary = SolvedPrograms.Earlier(key) is (Solution earlier, ImmutableArray<int> changed)
            ? builder.SolveAfter(earlier, changed)
            : builder.Solve();
        SolvedPrograms.Store(key, summary, builder.Solved());
        flows = builder.ReusableFlows();
        return summary;
    }

    /// <summary>A node's value so far; the body being read is remembered as its reader.</summary>
    public FlowValue Read(SummaryNode node)
    {
        if (!_readers.TryGetValue(node, out HashSet<BodyRef>? readers))
        {
            _readers[node] = readers = new HashSet<BodyRef>();
        }

        readers.Add(_current);
        FlowValue value = _values.TryGetValue(node, out FlowValue v) ? v : FlowValue.Empty;
        if (_inputs is not null)
        {
            _inputs[node] = value;
        }

        return value;
    }

    /// <summary>
    /// The bodies the solve starts from, by position in <paramref name="trees"/> and body ordinal: those naming a member
    /// of the fact table, in files that name the library (every file, when one imports it globally). Also the
    /// benchmarks' floor of the design, which binds exactly these.
    /// </summary>
    internal static IEnumerable<(int Tree, int Body)> FirstBodies(IReadOnlyList<TreeIndex> trees, KnownSymbols symbols)
    {
        bool everywhere = trees.Any(t => t.GloballyImportsLibrary);
        HashSet<string> producers = RoleTable.ProducerNames(symbols);
        for (int t = 0; t < trees.Count; t++)
        {
            if (!everywhere && !trees[t].ImportsLibrary)
            {
                continue;
            }

            foreach (string name in producers)
            {
                foreach (int b in trees[t].BodiesNaming(name))
                {
                    yield return (t, b);
                }
            }
        }
    }

    private ProgramSummary Solve()
    {
        foreach ((int tree, int body) in FirstBodies(_trees, _symbols))
        {
            _work.Add(new BodyRef(tree, body));
        }

        // A name is not a call: a body that names a producer's member (Start, Map, Raw in ordinary code) but makes no fact
        // starts nothing; nor does one that makes only identities and mapped DMA addresses (RAM mapped and unmapped, the
        // bulk of mapping code), which no rule reports on and which matter only where they meet another address space.
        // Both are read once a node they name gains facts (Changed), which is when their stores can make a difference.
        _work.RemoveWhere(body => !StartsFacts(body));

        if (_work.Count == 0)
        {
            return ProgramSummary.Empty;
        }

        return Run();
    }

    /// <summary>
    /// True unless the body's operations show it makes no fact but identities and DMA addresses (one walk, shared with the
    /// rules' pre-filters); a body that maps memory itself starts too, so that its mappings reach the unmaps of other
    /// methods (P2P0021 compares them with their map calls).
    /// </summary>
    private bool StartsFacts(BodyRef body)
    {
        IOperation? root = RootOf(body);
        FactShapes made = root is null ? FactShapes.None : FactProducers.OfBody(root, _symbols);
        return root is null || !made.Except(Inert).IsEmpty || FactProducers.Maps(root, _symbols);
    }

    /// <summary>The body's top-level operation; null when it has syntax errors or no operations.</summary>
    private IOperation? RootOf(BodyRef body)
    {
        TreeIndex tree = _trees[body.Tree];
        SyntaxNode declaration = tree.Bodies[body.Body];
        IOperation? root = declaration.ContainsDiagnostics ? null : ModelOf(tree).GetOperation(declaration);
        while (root?.Parent is IOperation parent)
        {
            root = parent;
        }

        return root;
    }

    private static readonly FactShapes Inert = FactShapes.Of(FactKind.Identity).Union(FactShapes.Of(FactKind.Dma));

    /// <summary>Runs the worklist to the fixpoint.</summary>
    private ProgramSummary Run()
    {
        int total = 0;
        while (_work.Count > 0)
        {
            BodyRef body = _work.Min;
            _work.Remove(body);
            int seen = _analyses.TryGetValue(body, out int n) ? n : 0;
            if (seen >= MaxAnalysesPerBody)
            {
                continue;
            }

            _analyses[body] = seen + 1;
            total++;
            _current = body;
            BodySummary summary = SummaryOf(body);
            _summaries.TryGetValue(body, out BodySummary? previous);
            _summaries[body] = summary;
            foreach (SummaryNode node in Touched(previous, summary))
            {
                Recompute(node);
            }
        }

        return new ProgramSummary(new Dictionary<SummaryNode, FlowValue>(_values), _summaries.Count, total, Reused, ReferencesRead);
    }

    /// <summary>The body's summary: the one kept for its tree when what it read is unchanged, else read afresh.</summary>
    private BodySummary SummaryOf(BodyRef body)
    {
        TreeIndex tree = _trees[body.Tree];
        if (SummaryCache.Find(tree.Tree, body.Body, this) is SummaryCache.Entry cached)
        {
            Reused++;
            _flows.Remove(body);
            return cached.Summary;
        }

        var inputs = _inputs = new Dictionary<SummaryNode, FlowValue>();
        BodySummary summary = BodySummaries.Summarize(_symbols, ModelOf(tree), tree, body.Body, this, out MethodFlow? flow);
        SummaryCache.Store(tree.Tree, body.Body, new SummaryCache.Entry(summary, inputs));
        _inputs = null;
        if (flow is not null)
        {
            _flows[body] = (flow, inputs);
        }

        return summary;
    }

    /// <summary>One model per file for the whole solution (the analyzer driver hands back its own; elsewhere it is made once).</summary>
    private SemanticModel ModelOf(TreeIndex tree)
    {
        if (!_models.TryGetValue(tree.Tree, out SemanticModel? model))
        {
            _models[tree.Tree] = model = SemanticModels.Of(_symbols.Compilation, tree.Tree);
        }

        return model;
    }

    /// <summary>
    /// The analyses of bodies read in this solve whose last reading saw the final values, all with agreeing sources:
    /// what a rule's analysis of the body computes, so the rules use them instead of analysing the body again.
    /// </summary>
    private Dictionary<SyntaxNode, MethodFlow> ReusableFlows()
    {
        var flows = new Dictionary<SyntaxNode, MethodFlow>();
        foreach (KeyValuePair<BodyRef, (MethodFlow Flow, Dictionary<SummaryNode, FlowValue> Inputs)> entry in _flows)
        {
            if (entry.Value.Inputs.All(input => AddressFamilies.Agreed(input.Value).Equals(input.Value)
                && (_values.TryGetValue(input.Key, out FlowValue final) ? final : FlowValue.Empty).Equals(input.Value)))
            {
                flows[_trees[entry.Key.Tree].Bodies[entry.Key.Body]] = entry.Value.Flow;
            }
        }

        _flows.Clear();
        return flows;
    }

    /// <summary>How many body summaries came from the cache of their tree.</summary>
    private int Reused { get; set; }

    private static IEnumerable<SummaryNode> Touched(BodySummary? previous, BodySummary current) =>
        (previous?.Contributions.Select(c => c.Node) ?? Enumerable.Empty<SummaryNode>())
            .Concat(current.Contributions.Select(c => c.Node))
            .Distinct();

    private void Recompute(SummaryNode node)
    {
        if (!_contributors.TryGetValue(node, out SortedDictionary<BodyRef, FlowValue>? contributors))
        {
            _contributors[node] = contributors = new SortedDictionary<BodyRef, FlowValue>();
        }

        FlowValue mine = FlowValue.Empty;
        foreach (Contribution c in _summaries[_current].Contributions)
        {
            if (c.Node.Equals(node))
            {
                mine = mine.Union(c.Value);
            }
        }

        contributors.TryGetValue(_current, out FlowValue before);
        _values.TryGetValue(node, out FlowValue old);
        FlowValue value;
        if (mine.Union(before).Equals(mine) && !old.IsEmpty)
        {
            // The body's contribution only grew (the common case while the fixpoint rises): add what is new.
            contributors[_current] = mine;
            value = old.Union(mine);
        }
        else
        {
            if (mine.IsEmpty)
            {
                contributors.Remove(_current);
            }
            else
            {
                contributors[_current] = mine;
            }

            value = FlowValue.Empty;
            foreach (FlowValue contribution in contributors.Values)
            {
                value = value.Union(contribution);
            }
        }

        if (value.Equals(old))
        {
            return;
        }

        _values[node] = value;
        Changed(node);
    }

    /// <summary>
    /// A node gained facts: its readers are read again, and every body that may read or write it is read (found by name,
    /// kept when it refers to the node: <see cref="Mentions"/>).
    /// </summary>
    private void Changed(SummaryNode node)
    {
        if (_readers.TryGetValue(node, out HashSet<BodyRef>? readers))
        {
            _work.UnionWith(readers);
        }

        foreach (BodyRef body in BodiesNaming(node.Name))
        {
            if (!_summaries.ContainsKey(body) && !_work.Contains(body) && Mentions(body, node))
            {
                _work.Add(body);
            }
        }

        if (node.Kind == SummaryNodeKind.Parameter)
        {
            // The method's own body reads its parameters without naming the method.
            foreach (BodyRef declaring in Declarations(node.Id))
            {
                _work.Add(declaring);
            }
        }
        else if (node.Kind == SummaryNodeKind.DelegateParameter)
        {
            // Nor do the bodies of the methods stored into the delegate member.
            foreach (IMethodSymbol target in DelegateTargets.MethodsStoredInto(node.Id, _symbols.Compilation))
            {
                foreach (BodyRef declaring in Declarations(DocumentationCommentId.CreateDeclarationId(target)))
                {
                    _work.Add(declaring);
                }
            }
        }
    }

    /// <summary>Every body of the compilation that names <paramref name="name"/> (looked up once per name).</summary>
    private List<BodyRef> BodiesNaming(string name)
    {
        if (!_bodiesByName.TryGetValue(name, out List<BodyRef>? bodies))
        {
            bodies = new List<BodyRef>();
            for (int t = 0; t < _trees.Length; t++)
            {
                foreach (int b in _trees[t].BodiesNaming(name))
                {
                    bodies.Add(new BodyRef(t, b));
                }
            }

            _bodiesByName[name] = bodies;
        }

        return bodies;
    }

    private IEnumerable<BodyRef> Declarations(string id)
    {
        foreach (ISymbol symbol in DocumentationCommentId.GetSymbolsForDeclarationId(id, _symbols.Compilation))
        {
            foreach (SyntaxReference reference in symbol.DeclaringSyntaxReferences)
            {
                if (_treeOrdinals.TryGetValue(reference.SyntaxTree, out int t)
                    && _trees[t].BodyContaining(reference.GetSyntax()) is int b and >= 0)
                {
                    yield return new BodyRef(t, b);
                }
            }
        }
    }
}

/// <summary>A body of the compilation: its file's ordinal (files in path order) and its ordinal in the file.</summary>
internal readonly record struct BodyRef(int Tree, int Body) : System.IComparable<BodyRef>
{
    public int CompareTo(BodyRef other) => Tree != other.Tree ? Tree.CompareTo(other.Tree) : Body.CompareTo(other.Body);
}
