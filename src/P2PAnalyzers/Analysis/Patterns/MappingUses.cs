using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// How a mapping's address is used: as valid on the spot, or stored (the code may check after it, through what it
/// stored: <c>sg-&gt;dma_address = dma_map_page(..); if (dma_mapping_error(dev, sg-&gt;dma_address))</c> in
/// <c>dma_direct_map_sg</c>), into a scatterlist entry or into a declared DMA sink.
/// </summary>
internal enum MappingUseKind : byte
{
    Use,
    EntryStore,
    SinkStore,
}

/// <summary>A place where a mapping's DMA address is used: the operand, the call or store, in words, and how.</summary>
internal readonly record struct MappingUse(IOperation Operand, IOperation At, string Description, MappingUseKind Kind = MappingUseKind.Use)
{
    public bool Store => Kind != MappingUseKind.Use;
}

/// <summary>
/// Where a DMA address must already be known not to be <c>DMA_MAPPING_ERROR</c>: its unmap (where
/// <c>kernel/dma/debug.c</c> reports "device driver failed to check map error"), a sync of it, a device's transfer, a scatterlist
/// entry's DMA address, and the sinks the code declares as DMA addresses. Returns and stores into the code's own
/// structures are hand-offs (the caller or a later line may check), not uses; a store into an entry or a declared sink
/// is a use only when the function returns without checking. Shared by P2P0020 and its fix.
/// </summary>
internal static class MappingUses
{
    /// <summary>The uses <paramref name="op"/> makes of DMA addresses.</summary>
    public static IEnumerable<MappingUse> Of(IOperation op, ISymbol owner, KnownSymbols k)
    {
        switch (op)
        {
            case IInvocationOperation inv:
                Role role = k.RoleOf(inv.TargetMethod);
                if (FactProducers.IsSingleUnmap(role)
                    && inv.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1) is IArgumentOperation freed)
                {
                    yield return new MappingUse(freed.Value, inv, $"Dma.{inv.TargetMethod.Name}, which frees it");
                }
                else if (role == Role.SyncSingle && inv.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1) is IArgumentOperation synced)
                {
                    yield return new MappingUse(synced.Value, inv, $"Dma.{inv.TargetMethod.Name}");
                }
                else if (role == Role.DeviceDma)
                {
                    foreach (IArgumentOperation argument in inv.Arguments.Where(a => k.Is(a.Value.Type, k.DmaAddr)))
                    {
                        yield return new MappingUse(argument.Value, inv, $"the device ({inv.TargetMethod.ContainingType.Name}.{inv.TargetMethod.Name})");
                    }
                }

                break;
            case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation p } store when k.RoleOf(p.Property) == Role.SgDmaAddress:
                yield return new MappingUse(store.Value, store, "a scatterlist entry's DMA address", MappingUseKind.EntryStore);
                yield break;
        }

        if (op is not IReturnOperation && AddressSinks.IsCandidate(op, owner, k, rawConstructor: null, AddressSpaceAnnotation.Dma))
        {
            foreach (AddressSink sink in AddressSinks.Of(op, k, rawConstructor: null, AddressSpaceAnnotation.Dma))
            {
                yield return new MappingUse(sink.Operand, op, sink.Description, op is IAssignmentOperation ? MappingUseKind.SinkStore : MappingUseKind.Use);
            }
        }
    }

    /// <summary>
    /// Whether a method of the compilation checks the mapping handed to it as parameter <paramref name="ordinal"/>: its
    /// body asks <c>MappingError</c> of that parameter (by name: the body may be in another file, read as syntax).
    /// </summary>
    public static bool Checks(IMethodSymbol method, int ordinal)
    {
        if (ordinal >= method.Parameters.Length)
        {
            return false;
        }

        string name = method.Parameters[ordinal].Name;
        foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
        {
            foreach (Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax call in reference.GetSyntax().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax>())
            {
                if (call.Expression is Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax { Name.Identifier.ValueText: "MappingError" }
                    && call.ArgumentList.Arguments.Any(a => a.Expression.DescendantNodesAndSelf().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == name)))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
