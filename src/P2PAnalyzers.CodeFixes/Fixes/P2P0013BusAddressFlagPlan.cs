using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// What "track the bus-address bit" must change for one unmap of an address that is a bus address on some paths
/// (P2P0013, kind Mixed): the member the unmap reads (<c>iod.DmaVecs[i].Addr</c>) gets a <c>bool</c> flag beside it
/// in its own type, every store of that member sets the flag from what it stores (true for
/// <c>PciP2PDma.BusAddrMap</c>, false for a mapping, the source's flag for a copy of another tracked member, followed
/// back to where the address is made), and the unmap runs only when the flag is clear. This is the kernel's
/// sg_dma_mark_bus_address / IOD_P2P_BUS_ADDR, kept per address so that a mix of bus addresses and mappings stays
/// exact. The plan is a set of edits at positions of the unchanged solution, so that plans of several unmaps merge
/// (Fix All) by union. Null whenever one store cannot be classified: a flag that misses one store would be a guess.
/// </summary>
internal static class P2P0013BusAddressFlagPlan
{
    /// <summary>One edit: add a flag after a member, set a flag after a store, or guard an unmap.</summary>
    internal enum EditKind
    {
        AddFlagAfter,
        SetFlagAfter,
        Guard,
    }

    internal sealed record Edit(DocumentId Document, TextSpan Span, EditKind Kind, string Text);

    private const int MaxHops = 4;

    /// <summary>The edits for the unmap at <paramref name="unmapSpan"/>, or null when the fix declines.</summary>
    public static async Task<ImmutableArray<Edit>?> ForUnmapAsync(Document document, TextSpan unmapSpan, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root?.FindNode(unmapSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call
            || call.Parent is not ExpressionStatementSyntax unmap
            || call.ArgumentList.Arguments.Count < 2
            || call.ArgumentList.Arguments[1] is not { NameColon: null, RefKindKeyword.RawKind: 0 } argument
            || model is null
            || Member(argument.Expression, model, cancellationToken) is not ISymbol address
            || address is not (IFieldSymbol or IPropertySymbol)
            || Receiver(argument.Expression) is not ExpressionSyntax receiver)
        {
            return null;
        }

        var edits = new HashSet<Edit>();
        var visited = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        var state = new Search(document.Project, edits, visited, cancellationToken);
        if (!await state.TrackAsync(address, 0).ConfigureAwait(false) || !state.FoundBus)
        {
            return null;
        }

        string guard = $"!{Text(receiver)}.{FlagName(address)}";
        edits.Add(new Edit(document.Id, unmap.Span, EditKind.Guard, guard));
        return edits.OrderBy(e => e.Document.Id).ThenBy(e => e.Span.Start).ThenBy(e => e.Kind).ToImmutableArray();
    }

    /// <summary>The flag's name: P2PBusAddr (nvme's IOD_P2P_BUS_ADDR) when the type keeps one address, else per member.</summary>
    internal static string FlagName(ISymbol address)
    {
        int addresses = address.ContainingType.GetMembers().Count(m => m is IFieldSymbol { IsImplicitlyDeclared: false } or IPropertySymbol && IsDmaAddr(TypeOf(m)));
        return addresses == 1 ? "P2PBusAddr" : address.Name + "IsBusAddr";
    }

    private sealed class Search
    {
        private readonly Project _project;
        private readonly HashSet<Edit> _edits;
        private readonly HashSet<ISymbol> _visited;
        private readonly Dictionary<ISymbol, int> _present = new(SymbolEqualityComparer.Default);
        private readonly CancellationToken _ct;

        public Search(Project project, HashSet<Edit> edits, HashSet<ISymbol> visited, CancellationToken ct)
        {
            _project = project;
            _edits = edits;
            _visited = visited;
            _ct = ct;
        }

        /// <summary>True once some store makes a bus address: without one there is nothing to track.</summary>
        public bool FoundBus { get; private set; }

        /// <summary>Gives <paramref name="address"/> a flag and every store of it a flag store; false to decline.</summary>
        public async Task<bool> TrackAsync(ISymbol address, int hops)
        {
            if (!_visited.Add(address.OriginalDefinition))
            {
                return true;
            }

            if (hops > MaxHops || address.IsStatic || !IsDmaAddr(TypeOf(address)) || Declaration(address) is not MemberDeclarationSyntax declaration
                || _project.GetDocument(declaration.SyntaxTree) is not Document declaringDocument
                || ExistingFlag(address) is not { } existing)
            {
                return false;
            }

            // A flag this fix added for another unmap of the same member (one unmap fixed, then the next) is reused; it
            // is checked below to be written only by the flag stores beside the address's stores.
            IFieldSymbol? flag = existing.Flag;
            if (flag is null)
            {
                _edits.Add(new Edit(declaringDocument.Id, declaration.Span, EditKind.AddFlagAfter, FlagDeclaration(address, declaration)));
            }
            foreach (Document document in _project.Documents)
            {
                SyntaxNode? root = await document.GetSyntaxRootAsync(_ct).ConfigureAwait(false);
                if (root is null || !root.DescendantTokens().Any(t => t.ValueText == address.Name))
                {
                    continue;
                }

                SemanticModel? model = await document.GetSemanticModelAsync(_ct).ConfigureAwait(false);
                if (model is null)
                {
                    return false;
                }

                foreach (SimpleNameSyntax name in root.DescendantNodes().OfType<SimpleNameSyntax>().Where(n => n.Identifier.ValueText == address.Name).ToList())
                {
                    if (!SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, _ct).Symbol?.OriginalDefinition, address.OriginalDefinition))
                    {
                        continue;
                    }

                    if (!await StoreAsync(document, model, address, name, hops).ConfigureAwait(false))
                    {
                        return false;
                    }
                }
            }

            return flag is null || await WritesAsync(flag).ConfigureAwait(false) == Present(address);
        }

        /// <summary>The flag member already there: none (null Flag), a plain instance <c>bool</c> field, or another member (decline).</summary>
        private static (IFieldSymbol? Flag, bool _)? ExistingFlag(ISymbol address) => address.ContainingType.GetMembers(FlagName(address)) switch
        {
            { Length: 0 } => (null, true),
            [IFieldSymbol { Type.SpecialType: SpecialType.System_Boolean, IsStatic: false, IsReadOnly: false } field] => (field, true),
            _ => null,
        };

        /// <summary>How many places in the project write <paramref name="member"/>.</summary>
        private async Task<int> WritesAsync(ISymbol member)
        {
            int writes = 0;
            foreach (Document document in _project.Documents)
            {
                SyntaxNode? root = await document.GetSyntaxRootAsync(_ct).ConfigureAwait(false);
                SemanticModel? model = root is null || !root.DescendantTokens().Any(t => t.ValueText == member.Name) ? null
                    : await document.GetSemanticModelAsync(_ct).ConfigureAwait(false);
                writes += model is null ? 0 : root!.DescendantNodes().OfType<SimpleNameSyntax>()
                    .Count(n => n.Identifier.ValueText == member.Name && IsWritten(Access(n))
                        && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, _ct).Symbol?.OriginalDefinition, member.OriginalDefinition));
            }

            return writes;
        }

        /// <summary>A reference of the address member: reads need nothing; a plain store gets its flag; other writes decline.</summary>
        private async Task<bool> StoreAsync(Document document, SemanticModel model, ISymbol address, SimpleNameSyntax name, int hops)
        {
            ExpressionSyntax access = Access(name);
            if (name.Parent is MemberDeclarationSyntax or VariableDeclaratorSyntax || !IsWritten(access))
            {
                return true;
            }

            if (access.Parent is not AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Parent: ExpressionStatementSyntax store } assignment
                || Receiver(access) is not ExpressionSyntax receiver)
            {
                return false;
            }

            string target = $"{Text(receiver)}.{FlagName(address)}";
            string? value = await ValueAsync(model, assignment.Right, hops).ConfigureAwait(false);
            if (value is null)
            {
                return false;
            }

            // Already there (the flag of an earlier fix of another unmap of this member): counted, not added again.
            string flagStore = $"{target} = {value};";
            if (Next(store) is ExpressionStatementSyntax next && next.WithoutTrivia().ToString() == flagStore)
            {
                _present[address.OriginalDefinition] = Present(address) + 1;
                return true;
            }

            _edits.Add(new Edit(document.Id, store.Span, EditKind.SetFlagAfter, flagStore));
            return true;
        }

        private int Present(ISymbol address) => _present.TryGetValue(address.OriginalDefinition, out int n) ? n : 0;

        private static StatementSyntax? Next(StatementSyntax statement)
        {
            SyntaxList<StatementSyntax> siblings = statement.Parent switch
            {
                BlockSyntax b => b.Statements,
                SwitchSectionSyntax s => s.Statements,
                _ => default,
            };
            int index = siblings.IndexOf(statement);
            return index >= 0 && index + 1 < siblings.Count ? siblings[index + 1] : null;
        }

        /// <summary>What the flag becomes for a stored value: true, false, or the copied member's flag; null to decline.</summary>
        private async Task<string?> ValueAsync(SemanticModel model, ExpressionSyntax value, int hops)
        {
            if (model.GetSymbolInfo(value, _ct).Symbol is IMethodSymbol method && IsLibrary(method.ContainingType, "P2PDma.P2P", "PciP2PDma") && method.Name == "BusAddrMap")
            {
                FoundBus = true;
                return "true";
            }

            if (model.GetSymbolInfo(value, _ct).Symbol is IMethodSymbol map && IsLibrary(map.ContainingType, "P2PDma.Mapping", "Dma")
                && map.Name is "MapPhys" or "MapPage" or "MapResource" or "MapSingle")
            {
                return "false";
            }

            // No address at all (a reset): nothing to skip.
            if (value is LiteralExpressionSyntax { RawKind: (int)SyntaxKind.DefaultLiteralExpression } or DefaultExpressionSyntax
                || (model.GetSymbolInfo(value, _ct).Symbol is { Name: "MappingError", IsStatic: true } error && IsDmaAddr(error.ContainingType)))
            {
                return "false";
            }

            if (Member(value, model, _ct) is ISymbol source && source is IFieldSymbol or IPropertySymbol && Receiver(value) is ExpressionSyntax receiver
                && source.ContainingType.Locations.Any(l => l.IsInSource))
            {
                return await TrackAsync(source, hops + 1).ConfigureAwait(false) ? $"{Text(receiver)}.{FlagName(source)}" : null;
            }

            return null;
        }
    }

    private static ExpressionSyntax Access(SimpleNameSyntax name) => name.Parent is MemberAccessExpressionSyntax m && m.Name == name ? m : name;

    /// <summary>Assigned, incremented, passed by <c>ref</c>/<c>out</c>, or a target inside a deconstruction or initializer.</summary>
    private static bool IsWritten(ExpressionSyntax access) =>
        access.Parent is AssignmentExpressionSyntax a0 && a0.Left == access
        || access.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression }
            or PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression }
        || access.Parent is ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword }
        || access.Ancestors().OfType<AssignmentExpressionSyntax>().Any(a => a.Left.Span.Contains(access.Span) && a.Left != access);

    /// <summary><c>public bool P2PBusAddr;</c> with the address member's accessibility, after it.</summary>
    private static string FlagDeclaration(ISymbol address, MemberDeclarationSyntax declaration)
    {
        string access = string.Join(" ", declaration.Modifiers.Where(m => m.IsKind(SyntaxKind.PublicKeyword) || m.IsKind(SyntaxKind.InternalKeyword)
            || m.IsKind(SyntaxKind.PrivateKeyword) || m.IsKind(SyntaxKind.ProtectedKeyword)).Select(m => m.ValueText));
        return $"{(access.Length == 0 ? "" : access + " ")}bool {FlagName(address)}; // {address.Name} is a PCI bus address: never mapped, so never unmapped (sg_dma_mark_bus_address)";
    }

    /// <summary>The field's declaration, or an auto-property's (a property with bodies may keep the address elsewhere).</summary>
    private static MemberDeclarationSyntax? Declaration(ISymbol address) => address.DeclaringSyntaxReferences.Length != 1 ? null
        : address.DeclaringSyntaxReferences[0].GetSyntax() switch
        {
            VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax field } when !field.Modifiers.Any(SyntaxKind.ReadOnlyKeyword) => field,
            PropertyDeclarationSyntax { AccessorList: { } accessors } property when accessors.Accessors.All(a => a.Body is null && a.ExpressionBody is null)
                && accessors.Accessors.Any(a => a.IsKind(SyntaxKind.SetAccessorDeclaration)) => property,
            _ => null,
        };

    private static ISymbol? Member(ExpressionSyntax expression, SemanticModel model, CancellationToken cancellationToken) =>
        expression is MemberAccessExpressionSyntax or IdentifierNameSyntax ? model.GetSymbolInfo(expression, cancellationToken).Symbol : null;

    /// <summary>The object whose member is read or stored, when naming it again has no side effect: <c>iod.DmaVecs[i]</c>, <c>this</c>.</summary>
    private static ExpressionSyntax? Receiver(ExpressionSyntax access)
    {
        ExpressionSyntax receiver = access is MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } m ? m.Expression : SyntaxFactory.ThisExpression();
        return access is MemberAccessExpressionSyntax or IdentifierNameSyntax && Pure(receiver) ? receiver : null;
    }

    private static bool Pure(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax or ThisExpressionSyntax => true,
        MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } m => Pure(m.Expression),
        ElementAccessExpressionSyntax e => Pure(e.Expression) && e.ArgumentList.Arguments.All(a => a.RefKindKeyword.RawKind == 0 && (a.Expression is LiteralExpressionSyntax || Pure(a.Expression))),
        ParenthesizedExpressionSyntax p => Pure(p.Expression),
        _ => false,
    };

    private static string Text(ExpressionSyntax expression) => expression.WithoutTrivia().ToString();

    private static bool IsDmaAddr(ITypeSymbol? type) => type is INamedTypeSymbol named && IsLibrary(named, "P2PDma.Addresses", "DmaAddr");

    private static bool IsLibrary(INamedTypeSymbol? type, string ns, string name) =>
        type is not null && type.Name == name && type.ContainingNamespace.ToDisplayString() == ns;

    private static ITypeSymbol? TypeOf(ISymbol symbol) => symbol switch
    {
        IFieldSymbol f => f.Type,
        IPropertySymbol p => p.Type,
        _ => null,
    };
}
