using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Whether a body found by a node's name really refers to the node, asked before the body is read for the node.
/// </summary>
/// <remarks>
/// The syntax index finds bodies by simple name, and names repeat: every driver has its <c>Addr</c>, <c>_handles</c> and
/// <c>Map</c>. A body that only shares the name would be read for nothing (in the driver corpus, two bodies in three read
/// this way contributed nothing). The members a body refers to are taken from its operations, which the analyzer driver
/// builds for every body anyway, on the semantic model it shares; control flow graphs and flow analysis, the solve's
/// cost, are spent only on bodies that mention the node. A virtual or interface member counts as a mention of every
/// member of its name and kind, and a body without operations (broken code) as a mention of everything, so the filter
/// only drops bodies that cannot read or write the node.
/// </remarks>
internal sealed partial class ProgramBuilder
{
    private readonly Dictionary<SummaryNode, ImmutableArray<(ISymbol Symbol, string? Id)>> _nodeSymbols = new();
    private readonly Dictionary<ISymbol, string?> _declarationIds = new(SymbolEqualityComparer.Default);

    /// <summary>How many bodies' references were read from their operations in this solve.</summary>
    private int ReferencesRead { get; set; }

    private bool Mentions(BodyRef body, SummaryNode node)
    {
        ImmutableArray<(ISymbol Symbol, string? Id)> targets = SymbolsOf(node);
        if (targets.IsDefaultOrEmpty || Referenced(body) is not References references)
        {
            return true;
        }

        foreach ((ISymbol target, string? id) in targets)
        {
            if ((id is not null && references.Ids.Contains(id))
                || references.Polymorphic.Contains((target.Name, target.Kind))
                || (Polymorphic(target) && references.Names.Contains((target.Name, target.Kind))))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// What a body refers to, by declaration ID and by name, so that it holds in the next compilation over the same tree.
    /// </summary>
    /// <param name="Ids">The members the body reads, writes, calls or creates, and those its method implements or overrides.</param>
    /// <param name="Names">The same members by name and kind.</param>
    /// <param name="Polymorphic">Those of them a call or read may reach through dispatch, by name and kind.</param>
    private sealed record References(HashSet<string> Ids, HashSet<(string, SymbolKind)> Names, HashSet<(string, SymbolKind)> Polymorphic);

    /// <summary>
    /// Each tree's bodies' references, kept with the tree: the editor's next compilation reuses the trees of unchanged
    /// files, and a solve after an edit asks about bodies of every file that names a changed node (names such as
    /// <c>Map</c> or <c>Addr</c> are everywhere); reading them again would bind those bodies in the new compilation. What
    /// is not checked, as for <see cref="SummaryCache"/>: that a body still binds to the same members when another file
    /// changed a declaration it uses, that its method still implements or overrides the same members (another partial
    /// part or a base type may change that), and that those members are still polymorphic. Each can only make a body be
    /// skipped that now refers to the node, until its own file changes or the project is built again; the target's own
    /// polymorphism is read from the current compilation, and a cached broken body still counts as mentioning everything.
    /// </summary>
    private static readonly ConditionalWeakTable<SyntaxTree, ConcurrentDictionary<int, References?>> ReferencesPerTree = new();

    /// <summary>
    /// The members a body reads, writes, calls or creates, from its operations (which the analyzer driver builds for
    /// every body anyway), and those its method implements or overrides; null when the body has no operations to show
    /// (broken code), which counts as mentioning everything.
    /// </summary>
    private References? Referenced(BodyRef body)
    {
        ConcurrentDictionary<int, References?> bodies = ReferencesPerTree.GetValue(_trees[body.Tree].Tree, _ => new ConcurrentDictionary<int, References?>());
        if (bodies.TryGetValue(body.Body, out References? known))
        {
            return known;
        }

        ReferencesRead++;
        IOperation? root = RootOf(body);
        References? found = null;
        if (root is not null)
        {
            var members = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (IOperation op in root.DescendantsAndSelf())
            {
                ISymbol? member = op switch
                {
                    IMemberReferenceOperation reference => reference.Member,
                    IInvocationOperation call => call.TargetMethod,
                    IObjectCreationOperation creation => creation.Constructor,
                    _ => null,
                };
                if (member is not null)
                {
                    members.Add((member is IMethodSymbol { ReducedFrom: IMethodSymbol extension } ? extension : member).OriginalDefinition);
                }
            }

            // A body mentions the members it implements or overrides: what callers pass to those reaches its parameters.
            if (ModelOf(_trees[body.Tree]).GetDeclaredSymbol(_trees[body.Tree].Bodies[body.Body]) is IMethodSymbol owner)
            {
                foreach (IMethodSymbol related in Dispatch.Related(owner))
                {
                    members.Add(related.OriginalDefinition);
                }
            }

            found = new References(new HashSet<string>(System.StringComparer.Ordinal), new HashSet<(string, SymbolKind)>(), new HashSet<(string, SymbolKind)>());
            foreach (ISymbol member in members)
            {
                if (DeclarationId(member) is string id)
                {
                    found.Ids.Add(id);
                }

                found.Names.Add((member.Name, member.Kind));
                if (Polymorphic(member))
                {
                    found.Polymorphic.Add((member.Name, member.Kind));
                }
            }
        }

        return bodies.GetOrAdd(body.Body, found);
    }

    /// <summary>A member a call or read may reach through dispatch, or whose parts are separate symbols.</summary>
    private static bool Polymorphic(ISymbol symbol) =>
        symbol.IsAbstract || symbol.IsVirtual || symbol.IsOverride
        || symbol.ContainingType?.TypeKind == TypeKind.Interface
        || (symbol.DeclaredAccessibility == Accessibility.Public && symbol.ContainingType is { AllInterfaces.IsEmpty: false })
        || symbol is IMethodSymbol { PartialDefinitionPart: not null } or IMethodSymbol { PartialImplementationPart: not null }
        || symbol is IMethodSymbol { ExplicitInterfaceImplementations.IsEmpty: false }
        || symbol is IPropertySymbol { ExplicitInterfaceImplementations.IsEmpty: false };

    /// <summary>A member's declaration ID, made once per solve: the same library members are referenced by every body.</summary>
    private string? DeclarationId(ISymbol member)
    {
        if (!_declarationIds.TryGetValue(member, out string? id))
        {
            _declarationIds[member] = id = DocumentationCommentId.CreateDeclarationId(member);
        }

        return id;
    }

    private ImmutableArray<(ISymbol Symbol, string? Id)> SymbolsOf(SummaryNode node)
    {
        if (!_nodeSymbols.TryGetValue(node, out ImmutableArray<(ISymbol Symbol, string? Id)> symbols))
        {
            var found = ImmutableArray.CreateBuilder<(ISymbol, string?)>();
            foreach (ISymbol symbol in DocumentationCommentId.GetSymbolsForDeclarationId(node.Id, _symbols.Compilation))
            {
                found.Add((symbol.OriginalDefinition, DeclarationId(symbol.OriginalDefinition)));
            }

            _nodeSymbols[node] = symbols = found.ToImmutable();
        }

        return symbols;
    }
}
