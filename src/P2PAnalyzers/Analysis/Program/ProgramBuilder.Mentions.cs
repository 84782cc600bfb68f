using System.Collections.Generic;
using System.Collections.Immutable;
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
    private readonly Dictionary<SummaryNode, ImmutableArray<ISymbol>> _nodeSymbols = new();
    private readonly Dictionary<BodyRef, ISymbol[]?> _referenced = new();

    private bool Mentions(BodyRef body, SummaryNode node)
    {
        ImmutableArray<ISymbol> targets = SymbolsOf(node);
        if (targets.IsDefaultOrEmpty)
        {
            return true;
        }

        if (Referenced(body) is not ISymbol[] referencedMembers)
        {
            return true;
        }

        foreach (ISymbol referenced in referencedMembers)
        {
            if (referenced.Name == targets[0].Name && Refers(referenced, targets))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The members a body reads, writes, calls or creates, from its operations (which the analyzer driver builds for
    /// every body anyway), and those its method implements or overrides; null when the body has no operations to show
    /// (broken code), which counts as mentioning everything.
    /// </summary>
    private ISymbol[]? Referenced(BodyRef body)
    {
        if (_referenced.TryGetValue(body, out ISymbol[]? known))
        {
            return known;
        }

        IOperation? root = RootOf(body);
        ISymbol[]? found = null;
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

            found = new ISymbol[members.Count];
            members.CopyTo(found);
        }

        _referenced[body] = found;
        return found;
    }

    private static bool Refers(ISymbol referenced, ImmutableArray<ISymbol> targets)
    {
        ISymbol definition = referenced;
        foreach (ISymbol target in targets)
        {
            if (SymbolEqualityComparer.Default.Equals(definition, target)
                || (definition.Kind == target.Kind && (Polymorphic(definition) || Polymorphic(target))))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A member a call or read may reach through dispatch, or whose parts are separate symbols.</summary>
    private static bool Polymorphic(ISymbol symbol) =>
        symbol.IsAbstract || symbol.IsVirtual || symbol.IsOverride
        || symbol.ContainingType?.TypeKind == TypeKind.Interface
        || (symbol.DeclaredAccessibility == Accessibility.Public && symbol.ContainingType is { AllInterfaces.IsEmpty: false })
        || symbol is IMethodSymbol { PartialDefinitionPart: not null } or IMethodSymbol { PartialImplementationPart: not null }
        || symbol is IMethodSymbol { ExplicitInterfaceImplementations.IsEmpty: false }
        || symbol is IPropertySymbol { ExplicitInterfaceImplementations.IsEmpty: false };

    private ImmutableArray<ISymbol> SymbolsOf(SummaryNode node)
    {
        if (!_nodeSymbols.TryGetValue(node, out ImmutableArray<ISymbol> symbols))
        {
            var found = ImmutableArray.CreateBuilder<ISymbol>();
            foreach (ISymbol symbol in DocumentationCommentId.GetSymbolsForDeclarationId(node.Id, _symbols.Compilation))
            {
                found.Add(symbol.OriginalDefinition);
            }

            _nodeSymbols[node] = symbols = found.ToImmutable();
        }

        return symbols;
    }
}
