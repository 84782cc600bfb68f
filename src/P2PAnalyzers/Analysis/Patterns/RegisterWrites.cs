using System.Collections.Concurrent;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// A driver's register write: a method of the compilation that does nothing with a value but store it into an element
/// of a word array it is handed (<c>writel(val, base + reg)</c> transliterated as <c>regs[reg / 4] = value</c>, mxs-dcp's
/// command pointer register), called with a field or property no unmap in the compilation reads an address from. Handing
/// a mapping's address to one programs the device; it does not hand the mapping on (mxs_dcp_start_dma must still unmap
/// it on its timeout return). A ring of descriptors the completion unmaps from is a hand-off, and stays one.
/// </summary>
internal static class RegisterWrites
{
    private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<(IMethodSymbol, int), int>> Targets = new();
    private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<ISymbol, bool>> ReadBack = new();

    /// <summary>Whether <paramref name="argument"/> of <paramref name="call"/> is written to a register and kept nowhere else.</summary>
    public static bool Writes(IInvocationOperation call, IArgumentOperation argument, KnownSymbols k)
    {
        if (argument.Parameter is not IParameterSymbol parameter || k.IsLibrary(call.TargetMethod)
            || WordArrayStoredInto(call.TargetMethod.OriginalDefinition, parameter.Ordinal, k) is not int window
            || call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == window) is not IArgumentOperation registers
            || AddressKey.MemberOf(registers.Value) is not ISymbol member)
        {
            return false;
        }

        return !ReadBack.GetValue(k.Compilation, _ => new ConcurrentDictionary<ISymbol, bool>(SymbolEqualityComparer.Default))
            .GetOrAdd(member, m => UnmapsFrom(m, k));
    }

    // The ordinal of the word array parameter the method's only use of parameter `ordinal` stores into; -1 for none.
    private static int? WordArrayStoredInto(IMethodSymbol method, int ordinal, KnownSymbols k)
    {
        int found = Targets.GetValue(k.Compilation, _ => new ConcurrentDictionary<(IMethodSymbol, int), int>())
            .GetOrAdd((method, ordinal), key => Find(key.Item1, key.Item2, k));
        return found < 0 ? null : found;
    }

    private static int Find(IMethodSymbol method, int ordinal, KnownSymbols k)
    {
        if (method is not { MethodKind: MethodKind.Ordinary, IsVirtual: false, IsAbstract: false, IsOverride: false, DeclaringSyntaxReferences.Length: 1 }
            || method.DeclaringSyntaxReferences[0].GetSyntax() is not MethodDeclarationSyntax { ContainsDiagnostics: false } declaration
            || ((SyntaxNode?)declaration.Body ?? declaration.ExpressionBody) is not SyntaxNode body
            || SemanticModels.Of(k.Compilation, declaration.SyntaxTree).GetOperation(body) is not IOperation root)
        {
            return -1;
        }

        int window = -1;
        foreach (IParameterReferenceOperation use in root.DescendantsAndSelf().OfType<IParameterReferenceOperation>().Where(p => p.Parameter.Ordinal == ordinal))
        {
            IOperation value = use;
            while (value.Parent is IConversionOperation or IParenthesizedOperation)
            {
                value = value.Parent;
            }

            if (value.Parent is not ISimpleAssignmentOperation store || store.Value != value
                || store.Target is not IArrayElementReferenceOperation { ArrayReference: IParameterReferenceOperation array }
                || array.Type is not IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_UInt32 or SpecialType.System_UInt64 or SpecialType.System_Int32 or SpecialType.System_Int64 }
                || (window >= 0 && window != array.Parameter.Ordinal))
            {
                return -1;
            }

            window = array.Parameter.Ordinal;
        }

        return window;
    }

    // Whether any single unmap of the compilation is given an address read out of the member.
    private static bool UnmapsFrom(ISymbol member, KnownSymbols k)
    {
        foreach (SyntaxTree tree in k.Compilation.SyntaxTrees)
        {
            TreeIndex index = TreeIndex.Of(tree);
            foreach (int b in index.BodiesNaming(member.Name))
            {
                SemanticModel? model = null;
                foreach (InvocationExpressionSyntax syntax in index.Bodies[b].DescendantNodes().OfType<InvocationExpressionSyntax>())
                {
                    if (!syntax.ArgumentList.Arguments.Any(a => a.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == member.Name)))
                    {
                        continue;
                    }

                    model ??= SemanticModels.Of(k.Compilation, tree);
                    if (model.GetOperation(syntax) is IInvocationOperation call && ThinWrappers.LibraryOf(call.TargetMethod, k) is IMethodSymbol library
                        && FactProducers.IsSingleUnmap(k.RoleOf(library))
                        && ThinWrappers.Argument(call, library.Parameters[1].Name, k) is IArgumentOperation address
                        && address.Value.DescendantsAndSelf().Any(o => SymbolEqualityComparer.Default.Equals(AddressKey.MemberOf(o), member)))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }
}
