using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// A hand-built exporter table as kernel drivers write the builder (amdgpu_vram_mgr_alloc_sgt, habanalabs'
/// alloc_sgt_from_device_pages with its set_dma_sg helper, the VFIO RFC's vfio_pci_dma_buf_map), recognised statement by
/// statement in the builder: <c>SgTable t = SgTable.Alloc(n);</c>, loops that only reset the entries' pages, the
/// mappings (<c>Dma.MapResource(dev, phys, size, dir, ...)</c> in the builder, in a fill loop over the table, or in a
/// helper handed the entry that maps its parameters and fills the entry), their error checks, the entry stores, and an
/// error label after the last return that only unmaps entries. Every other statement that touches the table, an entry
/// or a mapped address, and the shape is not recognised.
/// </summary>
internal sealed partial class TableBuilderShape
{
    private TableBuilderShape() { }

    public MethodDeclarationSyntax Builder { get; private set; } = null!;

    public ILocalSymbol Table { get; private set; } = null!;

    public LocalDeclarationStatementSyntax Allocation { get; private set; } = null!;

    /// <summary>The entry count given to <c>SgTable.Alloc</c>: a fill loop over the table runs that many times.</summary>
    public ExpressionSyntax Count { get; private set; } = null!;

    /// <summary>Statements replaced: a mapping by its range, a fill loop by the same loop without entries.</summary>
    public Dictionary<StatementSyntax, StatementSyntax[]> Replace { get; } = new();

    /// <summary>Statements removed (page resets, error checks, entry stores, the error label and what follows it).</summary>
    public List<StatementSyntax> Remove { get; } = new();

    /// <summary>Where the finished table is made: the first statement after the filling that uses it.</summary>
    public StatementSyntax FirstUse { get; private set; } = null!;

    /// <summary>The device each range was mapped for, as written in the builder (<c>dev</c>, <c>attachment.Device</c>).</summary>
    public string Device { get; private set; } = "";

    public string Direction { get; private set; } = "";

    /// <summary>The expressions the ranges' addresses come from, in the builder (for the provider).</summary>
    public List<ExpressionSyntax> Sources { get; } = new();

    /// <summary>Helpers handed an entry whose calls were replaced.</summary>
    public HashSet<IMethodSymbol> Helpers { get; } = new(SymbolEqualityComparer.Default);

    /// <summary>The ranges as statements to add in the place of each mapping: <c>ranges.Add(...); total += size;</c>.</summary>
    private readonly List<(StatementSyntax At, string Phys, string Size)> _ranges = new();

    public IReadOnlyList<(StatementSyntax At, string Phys, string Size)> Ranges => _ranges;

    public static TableBuilderShape? Of(MethodDeclarationSyntax builder, SolutionModels models, CancellationToken cancellationToken)
    {
        if (builder.Body is not BlockSyntax body || !models.Has(builder))
        {
            return null;
        }

        var shape = new TableBuilderShape { Builder = builder };
        return shape.Read(body, models.ModelOf(builder), models, cancellationToken) ? shape : null;
    }

    private SemanticModel _model = null!;
    private SolutionModels _models = null!;
    private CancellationToken _ct;
    private readonly HashSet<ISymbol> _entries = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ISymbol> _mapped = new(SymbolEqualityComparer.Default);
    private readonly HashSet<string> _labels = new();

    /// <summary>The counter of the fill loop being read (<c>for (int i = 0; ...)</c>): <c>t[i]</c> is its entry.</summary>
    private ILocalSymbol? _counter;

    private bool Read(BlockSyntax body, SemanticModel model, SolutionModels models, CancellationToken cancellationToken)
    {
        _model = model;
        _models = models;
        _ct = cancellationToken;
        SyntaxList<StatementSyntax> statements = body.Statements;
        int alloc = statements.IndexOf(s => s is LocalDeclarationStatementSyntax { Declaration.Variables: [{ Initializer.Value: InvocationExpressionSyntax call }] }
            && Is(call, "SgTable", "Alloc"));
        if (alloc < 0)
        {
            return false;
        }

        Allocation = (LocalDeclarationStatementSyntax)statements[alloc];
        VariableDeclaratorSyntax declarator = Allocation.Declaration.Variables[0];
        if (model.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol table
            || ((InvocationExpressionSyntax)declarator.Initializer!.Value).ArgumentList.Arguments is not [var count])
        {
            return false;
        }

        Table = table;
        Count = count.Expression;
        for (int i = alloc + 1; i < statements.Count; i++)
        {
            StatementSyntax s = statements[i];
            if (FirstUse is not null)
            {
                if (s is LabeledStatementSyntax label && Jumps(statements[i - 1]))
                {
                    // The error label after the last return: only reached by the gotos the rewrite removes.
                    Remove.AddRange(statements.Skip(i));
                    _labels.Remove(label.Identifier.ValueText);
                    return _labels.Count == 0 && Done(body);
                }

                if (MentionsMapped(s))
                {
                    return false;
                }

                continue;
            }

            if (!Top(s))
            {
                return false;
            }
        }

        return FirstUse is not null && _labels.Count == 0 && Done(body);
    }

    /// <summary>One statement between the allocation and the first use of the finished table.</summary>
    private bool Top(StatementSyntax s)
    {
        if (MapDeclaration(s) is var (phys, size))
        {
            AddRange(s, phys, size);
            return true;
        }

        if (ErrorCheck(s) || PageReset(s))
        {
            Remove.Add(s);
            return true;
        }

        if (s is ForEachStatementSyntax or ForStatementSyntax or WhileStatementSyntax && Mentions(s))
        {
            return Loop(s);
        }

        // sgt.Nents = n, the count the table was allocated with: PhysVecToSgt sets its own (an entry per range, more
        // where one is split at UINT_MAX), which this store would overwrite.
        if (s is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Nents", Expression: var t }, Right: var n } }
            && IsTable(t) && n.IsEquivalentTo(Count))
        {
            Remove.Add(s);
            return true;
        }

        if (Mentions(s, Table))
        {
            FirstUse = s;
            return true;
        }

        return !MentionsMapped(s);
    }

    private bool Loop(StatementSyntax loop)
    {
        StatementSyntax inner = loop switch
        {
            ForEachStatementSyntax e => e.Statement,
            ForStatementSyntax f => f.Statement,
            _ => loop,
        };
        if (inner == loop)
        {
            return false;
        }

        bool overTable = false;
        if (loop is ForEachStatementSyntax each)
        {
            if (!IsTable(each.Expression) || _model.GetDeclaredSymbol(each, _ct) is not ILocalSymbol entry)
            {
                return false;
            }

            _entries.Add(entry);
            overTable = true;
        }
        else if (loop is ForStatementSyntax f && (f.Declaration is not null && Mentions(f.Declaration) || f.Initializers.Any(Mentions) || f.Incrementors.Any(Mentions)
            || f.Condition is not null && (MentionsMapped(f.Condition) || Mentions(f.Condition, Table) && !CountOfTable(f.Condition))))
        {
            return false;
        }

        _counter = loop is ForStatementSyntax { Declaration.Variables: [var counter] } && _model.GetDeclaredSymbol(counter, _ct) is ILocalSymbol c ? c : null;
        int before = _ranges.Count;
        var removed = new List<StatementSyntax>();
        foreach (StatementSyntax s in inner is BlockSyntax b ? b.Statements : new SyntaxList<StatementSyntax>(inner))
        {
            if (s is LocalDeclarationStatementSyntax { Declaration.Variables: [var v] } && v.Initializer?.Value is ElementAccessExpressionSyntax { Expression: var t } && IsTable(t)
                && _model.GetDeclaredSymbol(v, _ct) is ILocalSymbol e)
            {
                _entries.Add(e);
                removed.Add(s);
            }
            else if (MapDeclaration(s) is var (phys, size))
            {
                _ranges.Add((s, phys, size));
            }
            else if (HelperCall(s) is var (hp, hs))
            {
                _ranges.Add((s, hp, hs));
            }
            else if (RawStore(s, inner) is var (rp, rs))
            {
                _ranges.Add((s, rp, rs));
            }
            else if (ErrorCheck(s) || EntryStore(s))
            {
                removed.Add(s);
            }
            else if (Mentions(s))
            {
                return false;
            }
        }

        if (_ranges.Count == before)
        {
            // A loop that only cuts one earlier mapping into entries (the 2022 VFIO RFC): it goes with the mapping, if
            // its counters are its own.
            if (_mapped.Count == 0 || overTable || !OwnCounters(loop))
            {
                return false;
            }

            Remove.Add(loop);
            return true;
        }

        // The rewritten header runs Count times where it ran over the table (a for loop of its own keeps its condition).
        bool countsTable = overTable || loop is ForStatementSyntax { Condition: { } condition } && Mentions(condition, Table);
        if (countsTable && !CountInvariant())
        {
            return false;
        }

        Remove.AddRange(removed);
        LoopHeaders.Add(loop);
        return true;
    }

    /// <summary>Fill loops over the table: <c>foreach (e in t)</c> or <c>i &lt; t.Count</c>, run <see cref="Count"/> times after the rewrite.</summary>
    public List<StatementSyntax> LoopHeaders { get; } = new();

    /// <summary>Locals only a removed cutting loop used (<c>int i = 0;</c>): their declarations go too.</summary>
    public IEnumerable<StatementSyntax> UnusedCounters() =>
        Builder.Body!.Statements.OfType<LocalDeclarationStatementSyntax>()
            .Where(d => d.Declaration.Variables.Count == 1 && d.Declaration.Variables[0].Initializer?.Value is LiteralExpressionSyntax
                && _model.GetDeclaredSymbol(d.Declaration.Variables[0], _ct) is ILocalSymbol l
                && Builder.Body.DescendantNodes().OfType<IdentifierNameSyntax>().Where(n => n.Identifier.ValueText == l.Name && SymbolEqualityComparer.Default.Equals(Bind(n), l))
                    .All(n => Remove.Any(r => r is ForStatementSyntax && r.Span.Contains(n.Span)))
                && Builder.Body.DescendantNodes().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == l.Name));

    private bool CountOfTable(ExpressionSyntax condition) =>
        condition.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Where(n => SymbolEqualityComparer.Default.Equals(Bind(n), Table))
            .All(n => n.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Count" } m && m.Expression == n);

    /// <summary>The count given to Alloc has the same value at the loop: a constant or a name not assigned in the builder.</summary>
    /// <remarks>
    /// A name, or a member of one (<c>blocks.Count</c>, <c>pages.Length</c>): the root a read-only field, or a local or
    /// parameter the builder never assigns.
    /// </remarks>
    private bool CountInvariant()
    {
        if (_model.GetConstantValue(Count, _ct).HasValue)
        {
            return true;
        }

        ExpressionSyntax root = Count;
        while (root is MemberAccessExpressionSyntax m)
        {
            root = m.Expression;
        }

        ISymbol? name = root is IdentifierNameSyntax ? Bind(root) : null;
        return name is IFieldSymbol { IsReadOnly: true } or IFieldSymbol { IsConst: true }
            || name is ILocalSymbol or IParameterSymbol && !Assignments.WrittenIn(Builder.Body!, name, _model, _ct);
    }

    private (string Phys, string Size)? MapDeclaration(StatementSyntax s)
    {
        if (s is not LocalDeclarationStatementSyntax { Declaration.Variables: [var v] } || v.Initializer?.Value is not InvocationExpressionSyntax map
            || _model.GetDeclaredSymbol(v, _ct) is not ILocalSymbol local)
        {
            return null;
        }

        // A helper that only returns the mapping stands for it; it goes once nothing else calls it.
        if (!Is(map, "Dma", "MapResource") && ForwardedMapping(map) is var (helper, device, phys, size, direction, sources))
        {
            if (!SameDevice(device, direction))
            {
                return null;
            }

            _mapped.Add(local);
            Sources.AddRange(sources);
            Helpers.Add(helper);
            return (phys, size);
        }

        if (!Is(map, "Dma", "MapResource") || map.ArgumentList.Arguments.Count < 4 || map.ArgumentList.Arguments.Any(a => a.NameColon is not null))
        {
            return null;
        }

        SeparatedSyntaxList<ArgumentSyntax> args = map.ArgumentList.Arguments;
        if (!SameDevice(args[0].Expression.WithoutTrivia().ToString(), args[3].Expression.WithoutTrivia().ToString()))
        {
            return null;
        }

        _mapped.Add(local);
        Sources.Add(args[1].Expression);
        return (args[1].Expression.WithoutTrivia().ToString(), args[2].Expression.WithoutTrivia().ToString());
    }

    private bool SameDevice(string device, string direction)
    {
        if (Device.Length == 0)
        {
            Device = device;
            Direction = direction;
            return true;
        }

        return Device == device && Direction == direction;
    }

    private bool ErrorCheck(StatementSyntax s) =>
        s is IfStatementSyntax { Condition: InvocationExpressionSyntax check, Else: null } i && Is(check, "Dma", "MappingError")
        && check.ArgumentList.Arguments.Count == 2 && _model.GetSymbolInfo(check.ArgumentList.Arguments[1].Expression, _ct).Symbol is ILocalSymbol l && _mapped.Contains(l)
        && Leaves(i.Statement);

    /// <summary>The check's own way out: a return, or a goto to the error label (which then goes too).</summary>
    private bool Leaves(StatementSyntax s)
    {
        StatementSyntax only = s is BlockSyntax { Statements: [var one] } ? one : s;
        if (only is GotoStatementSyntax { Expression: IdentifierNameSyntax label })
        {
            _labels.Add(label.Identifier.ValueText);
            return true;
        }

        return only is ReturnStatementSyntax;
    }

    private static bool Jumps(StatementSyntax s) => s is ReturnStatementSyntax or ThrowStatementSyntax or GotoStatementSyntax;

    /// <summary><c>foreach (Scatterlist s in sgt) { s.SetPage(null, 0, 0); }</c>.</summary>
    private bool PageReset(StatementSyntax s) =>
        s is ForEachStatementSyntax each && IsTable(each.Expression) && _model.GetDeclaredSymbol(each, _ct) is ILocalSymbol entry && _entries.Add(entry)
        && (each.Statement is BlockSyntax b ? b.Statements.ToList() : new List<StatementSyntax> { each.Statement }).All(EntryStore);

    private bool EntryStore(StatementSyntax s) => s is ExpressionStatementSyntax { Expression: var e } && EntryReceiver(e) is ExpressionSyntax receiver && IsEntry(receiver)
        && !e.DescendantNodes().OfType<IdentifierNameSyntax>().Any(n => _model.GetSymbolInfo(n, _ct).Symbol is ISymbol x && !_entries.Contains(x) && !_mapped.Contains(x)
            && x is ILocalSymbol && !SymbolEqualityComparer.Default.Equals(x, Table) && !OwnLoopLocal(n, x));

    /// <summary>What a statement fills: <c>e.SetPage(...)</c>, <c>e.DmaAddress = ...</c>, <c>e.DmaLength = ...</c> (<c>e</c>, or <c>t[i]</c>).</summary>
    private static ExpressionSyntax? EntryReceiver(ExpressionSyntax e) => e switch
    {
        InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "SetPage", Expression: var receiver } } => receiver,
        AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaAddress" or "DmaLength", Expression: var receiver } } => receiver,
        _ => null,
    };

    /// <summary>The entry parameter a helper's statement fills.</summary>
    private static ISymbol? EntryTarget(ExpressionSyntax e, SemanticModel model) =>
        EntryReceiver(e) is IdentifierNameSyntax id ? model.GetSymbolInfo(id).Symbol : null;

    private static bool OwnLoopLocal(SyntaxNode at, ISymbol local) =>
        local.DeclaringSyntaxReferences.Any(r => at.Ancestors().OfType<StatementSyntax>().Any(a => a is ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax && a.Span.Contains(r.Span)));

    /// <summary>A cutting loop's variables are declared in it, or only it reads them (<c>int i = 0;</c> before it).</summary>
    private bool OwnCounters(StatementSyntax loop) =>
        loop.DescendantNodes().OfType<IdentifierNameSyntax>()
            .Select(n => _model.GetSymbolInfo(n, _ct).Symbol)
            .OfType<ILocalSymbol>()
            .Where(l => !_entries.Contains(l) && !_mapped.Contains(l) && !l.DeclaringSyntaxReferences.Any(r => loop.Span.Contains(r.Span)))
            .All(l => !Assignments.WrittenIn(loop, l, _model, _ct) || !ReadOutside(loop, l));

    private bool ReadOutside(StatementSyntax loop, ILocalSymbol local) =>
        Builder.Body!.DescendantNodes().OfType<IdentifierNameSyntax>().Any(n => !loop.Span.Contains(n.Span) && SymbolEqualityComparer.Default.Equals(Bind(n), local)
            && n.Parent is not VariableDeclaratorSyntax);

    private ISymbol? Bind(ExpressionSyntax e) => _model.GetSymbolInfo(e, _ct).Symbol;

    private bool IsTable(ExpressionSyntax e) => e switch
    {
        IdentifierNameSyntax => SymbolEqualityComparer.Default.Equals(Bind(e), Table),
        MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaSegments" } m => IsTable(m.Expression),
        _ => false,
    };

    /// <summary>An entry of the table: a loop's entry variable, or <c>t[i]</c> with the fill loop's own counter.</summary>
    private bool IsEntry(ExpressionSyntax e) => e switch
    {
        IdentifierNameSyntax => Bind(e) is ISymbol s && _entries.Contains(s),
        ElementAccessExpressionSyntax { ArgumentList.Arguments: [var index] } element => _counter is not null && IsTable(element.Expression)
            && SymbolEqualityComparer.Default.Equals(Bind(index.Expression), _counter),
        _ => false,
    };

    private bool Mentions(SyntaxNode node, ISymbol symbol) =>
        node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == symbol.Name && SymbolEqualityComparer.Default.Equals(Bind(n), symbol));

    private bool Mentions(SyntaxNode node) => Mentions(node, Table) || MentionsMapped(node) || _entries.Any(e => Mentions(node, e));

    private bool MentionsMapped(SyntaxNode node) => _mapped.Any(m => Mentions(node, m));

    private void AddRange(StatementSyntax at, string phys, string size) => _ranges.Add((at, phys, size));

    /// <summary>After the walk: nothing kept still reads an entry or a mapped address.</summary>
    private bool Done(BlockSyntax body) => _ranges.Count > 0 && (Raw ? Device.Length == 0 : Device.Length > 0);

    private bool Is(InvocationExpressionSyntax call, string type, string method) => Is(call, type, method, _model);

    private bool Is(InvocationExpressionSyntax call, string type, string method, SemanticModel model) =>
        model.GetSymbolInfo(call, _ct).Symbol is IMethodSymbol m && m.Name == method && m.ContainingType.Name == type
        && m.ContainingNamespace.ToDisplayString().StartsWith("P2PDma", System.StringComparison.Ordinal);
}
