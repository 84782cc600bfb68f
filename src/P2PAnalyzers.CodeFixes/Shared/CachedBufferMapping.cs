using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// A kernel buffer's CPU physical address kept as its DMA address: spi-rockchip-sfc's probe before "spi: rockchip-sfc:
/// Fix DMA-API usage" (2025) stored <c>virt_to_phys(sfc-&gt;buffer)</c> in <c>sfc-&gt;dma_buffer</c>, and the transfers
/// synced and programmed that address. The fix maps the buffer there instead, as the kernel's did
/// (<c>dma_map_single(dev, buffer, size, DMA_BIDIRECTIONAL)</c> and its <c>dma_mapping_error</c> check):
/// <c>x.Dma = DmaAddr.FromRaw(buf.VirtToPhys(off).Raw);</c> becomes
/// <c>x.Dma = Dma.MapSingle(x.Dev, buf, off, buf.Size - off, DmaDirection.Bidirectional);</c> and the check.
/// </summary>
/// <remarks>
/// Sound where the buffer, the device and the extent are certain: the argument is exactly a <c>KernelBuffer</c>'s
/// <c>VirtToPhys</c>, so the mapping covers the buffer from that offset to its end, which is all a device may be given;
/// the address is kept in a field or property of an object (or of this, named alone) whose type holds exactly one PCI
/// device (the device the
/// address is for, as in <see cref="OwnBarBusAddress"/>), and no other device is in scope. A kept address is synced and
/// used in both directions by other methods, and a bidirectional mapping allows every sync (kernel/dma/debug.c
/// check_sync), so the direction is <c>Bidirectional</c>. The unmap the kernel added at remove is the driver's to add:
/// the fix cannot know where the buffer is released.
/// </remarks>
internal static class CachedBufferMapping
{
    public const string Title = "Map the buffer with Dma.MapSingle and check it";

    public static SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic)
    {
        if (diagnostic.Properties.GetValueOrDefault(PropertyNames.Memory) != nameof(MemoryKind.Ram)
            || Holders.StoredFromRaw(root, diagnostic) is not (InvocationExpressionSyntax fromRaw, { Left: MemberAccessExpressionSyntax or IdentifierNameSyntax } store)
            || store.Parent is not ExpressionStatementSyntax statement || statement.Parent is not BlockSyntax
            || fromRaw.ArgumentList.Arguments[0].Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Raw", Expression: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "VirtToPhys" } virtToPhys } toPhys }
            || toPhys.ArgumentList.Arguments.Count > 1)
        {
            return null;
        }

        Compilation compilation = model.Compilation;
        int at = statement.SpanStart;
        INamedTypeSymbol? device = compilation.GetTypeByMetadataName("P2PDma.Pci.PciDevice");
        ExpressionSyntax buffer = virtToPhys.Expression;
        // The holder: the object named before the member, or this for a member of the enclosing type named alone.
        ExpressionSyntax target = store.Left;
        ExpressionSyntax? receiver = target is MemberAccessExpressionSyntax access ? access.Expression : null;
        ITypeSymbol? holder = receiver is null ? model.GetEnclosingSymbol(at)?.ContainingType : model.GetTypeInfo(receiver).Type;
        if (device is null || holder is null || (receiver is null && model.GetSymbolInfo(target).Symbol is { IsStatic: true })
            || !NameChain(buffer) || !NameChain(toPhys.ArgumentList.Arguments.Count == 1 ? toPhys.ArgumentList.Arguments[0].Expression : buffer)
            || !Scope.BindsTo(model, at, buffer, compilation.GetTypeByMetadataName("P2PDma.Memory.KernelBuffer"))
            || model.GetSymbolInfo(target).Symbol is not (IFieldSymbol or IPropertySymbol)
            || Holders.SingleDevice(holder, device) is not ISymbol member
            || Scope.OfType(model, at, device).Any(s => receiver is not (null or ThisExpressionSyntax) || s.Name != member.Name))
        {
            return null;
        }

        string dev = receiver is null ? member.Name : $"{receiver.WithoutTrivia()}.{member.Name}";
        string offset = toPhys.ArgumentList.Arguments.Count == 1 ? toPhys.ArgumentList.Arguments[0].Expression.WithoutTrivia().ToString() : "0";
        string size = offset == "0" ? $"{buffer.WithoutTrivia()}.Size" : $"{buffer.WithoutTrivia()}.Size - ({offset})";
        string map = $"{Names.Dma}.MapSingle({dev}, {buffer.WithoutTrivia()}, {offset}, {size}, global::P2PDma.Mapping.DmaDirection.Bidirectional)";
        // The failure leaves through the function's unwinding label if it has one (rockchip_sfc_probe's err_dma, which
        // frees the buffer), as the kernel's fix did.
        if (EarlyExits.Failure(model, statement, SyntaxFactory.ParseExpression(Names.DmaError + ".NoMemory"), kept: true) is not StatementSyntax[] failure)
        {
            return null;
        }

        StatementSyntax check = SyntaxFactory.IfStatement(
            SyntaxFactory.ParseExpression($"{Names.Dma}.MappingError({dev}, {target.WithoutTrivia()})"), SyntaxFactory.Block(failure));
        StatementSyntax mapped = statement.ReplaceNode(fromRaw, FixDocument.Generated(SyntaxFactory.ParseExpression(map)).WithTriviaFrom(fromRaw));
        return root.ReplaceNode(statement, new[] { mapped, FixDocument.Generated(check).WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed) });
    }

    /// <summary>A literal, a name or a chain of member names: written twice by the fix, so it must read the same twice.</summary>
    private static bool NameChain(ExpressionSyntax expression) => expression switch
    {
        LiteralExpressionSyntax or IdentifierNameSyntax or ThisExpressionSyntax => true,
        MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } m => NameChain(m.Expression),
        PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } p => NameChain(p.Operand),
        _ => false,
    };
}
