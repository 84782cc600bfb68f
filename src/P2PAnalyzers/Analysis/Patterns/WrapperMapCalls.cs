using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// What a map call inside a <see cref="ThinWrapper"/> was given for a parameter the wrapper hands on
/// (<c>ib_dma_map_single(dev, buf, size, DMA_TO_DEVICE)</c>: the library call inside sees only <c>direction</c>): the
/// constants at the wrapper's calls whose result went where the unmap's address is read from. Those calls are the ones
/// of the unmap's own function that store into the same storage (by its text), else the compilation's that store into
/// the same member (<c>tx_desc-&gt;dma_addr = ib_dma_map_single(..)</c> at init, unmapped at teardown), directly or
/// through a local of the same function. For P2P0021.
/// </summary>
internal static class WrapperMapCalls
{
    /// <summary>One call of the wrapper and the constant it gives.</summary>
    public readonly record struct Site(InvocationExpressionSyntax Call, MapArgument Given);

    /// <summary>
    /// The constants the map was made with, when <paramref name="given"/> (the library map call's argument) is a
    /// parameter its thin wrapper hands on; null when it is not, or a call's argument is no constant, or none is found.
    /// </summary>
    public static IReadOnlyList<Site>? Of(ExpressionSyntax? given, string parameter, IInvocationOperation unmap, IOperation address, KnownSymbols k)
    {
        if (given is not IdentifierNameSyntax name || given.FirstAncestorOrSelf<MethodDeclarationSyntax>() is not MethodDeclarationSyntax declaration
            || SemanticModels.Of(k.Compilation, declaration.SyntaxTree).GetDeclaredSymbol(declaration) is not IMethodSymbol wrapper
            || ThinWrappers.Of(wrapper, k) is not ThinWrapper thin
            || !thin.Forwarded.TryGetValue(parameter, out int ordinal) || wrapper.Parameters[ordinal].Name != name.Identifier.ValueText)
        {
            return null;
        }

        string target = AddressKey.Of(address).Text;
        var calls = Calls(MethodFlow.RootOf(unmap), wrapper, store => AddressKey.Of(store).Text == target).ToList();
        if (calls.Count == 0 && k.User.WholeProgramEnabled && AddressKey.MemberOf(address) is ISymbol member)
        {
            calls = CallsStoringInto(member, wrapper, k).ToList();
        }

        var sites = new List<Site>();
        foreach (IInvocationOperation call in calls)
        {
            if (thin.Argument(call, parameter) is not IArgumentOperation argument || call.Syntax is not InvocationExpressionSyntax syntax
                || MapArguments.Read(argument.Value.Syntax as ExpressionSyntax, parameter, k) is not MapArgument constant)
            {
                return null;
            }

            sites.Add(new Site(syntax, constant));
        }

        return sites.Count == 0 ? null : sites;
    }

    // The compilation's calls of the wrapper whose result is stored into the member, in file and source order; only the
    // bodies that name both are bound.
    private static IEnumerable<IInvocationOperation> CallsStoringInto(ISymbol member, IMethodSymbol wrapper, KnownSymbols k)
    {
        foreach (SyntaxTree tree in k.Compilation.SyntaxTrees.OrderBy(t => t.FilePath, System.StringComparer.Ordinal))
        {
            TreeIndex index = TreeIndex.Of(tree);
            ImmutableArray<int> naming = index.BodiesNaming(member.Name);
            SemanticModel? model = null;
            foreach (int body in index.BodiesNaming(wrapper.Name).Where(naming.Contains))
            {
                model ??= SemanticModels.Of(k.Compilation, tree);
                if (model.GetOperation(index.Bodies[body]) is IOperation root)
                {
                    foreach (IInvocationOperation call in Calls(root, wrapper, store => SymbolEqualityComparer.Default.Equals(AddressKey.MemberOf(store), member)))
                    {
                        yield return call;
                    }
                }
            }
        }
    }

    // The wrapper's calls in a body stored where `into` says, directly or through a local that is then stored there.
    private static IEnumerable<IInvocationOperation> Calls(IOperation root, IMethodSymbol wrapper, System.Func<IOperation, bool> into)
    {
        var stores = root.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>().ToList();
        var locals = new HashSet<ILocalSymbol>(stores.Where(s => into(s.Target) && AddressKey.Value(s.Value) is ILocalReferenceOperation)
            .Select(s => ((ILocalReferenceOperation)AddressKey.Value(s.Value)).Local), SymbolEqualityComparer.Default);
        foreach (IInvocationOperation call in root.DescendantsAndSelf().OfType<IInvocationOperation>()
            .Where(c => SymbolEqualityComparer.Default.Equals(c.TargetMethod.OriginalDefinition, wrapper)))
        {
            IOperation? parent = call.Parent;
            while (parent is IConversionOperation or IParenthesizedOperation)
            {
                parent = parent.Parent;
            }

            bool stored = parent switch
            {
                ISimpleAssignmentOperation a => into(a.Target) || (AddressKey.Value(a.Target) is ILocalReferenceOperation l && locals.Contains(l.Local)),
                IVariableInitializerOperation { Parent: IVariableDeclaratorOperation d } => locals.Contains(d.Symbol),
                _ => false,
            };
            if (stored)
            {
                yield return call;
            }
        }
    }
}
