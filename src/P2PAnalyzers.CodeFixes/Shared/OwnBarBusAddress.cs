using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// A device's own BAR kept as the DMA address the device itself is given: nvme's <c>nvme_map_cmb</c> stored
/// <c>pci_resource_start(pdev, bar) + offset</c> as <c>dev-&gt;cmb_dma_addr</c> for queues in the controller's memory
/// buffer, fixed by "nvme-pci: Use PCI bus address for data/queues in CMB" (<c>pci_bus_address</c>). A device decodes
/// its own BAR at the bus address, never at the CPU address. P2P0001's fix when no importer or peer is in scope:
/// <c>DmaAddr.FromRaw(x)</c> becomes <c>DmaAddr.FromRaw(bar.BusAddressOf(PhysAddr.FromRaw(x)).Raw)</c>.
/// </summary>
/// <remarks>
/// Sound only where the device the address is for is the BAR's owner. The fix asks that the address is stored in the
/// object that holds the owner (<c>dev.CmbDmaAddr</c> beside <c>dev.Pdev</c>), that this object's type holds no other
/// device, and that no attachment and no other device is in scope; anything else declines.
/// </remarks>
internal static class OwnBarBusAddress
{
    public const string Title = "Use the BAR's bus address (the device addresses its own BAR)";

    public static SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic)
    {
        FactKey source = FactKey.Read(diagnostic.Properties);
        if (diagnostic.Properties.GetValueOrDefault(PropertyNames.Memory) != nameof(MemoryKind.Bar)
            || SourceExpressions.BarOwner(source) is not string owner
            || Holders.StoredFromRaw(root, diagnostic) is not (InvocationExpressionSyntax fromRaw, AssignmentExpressionSyntax store))
        {
            return null;
        }

        Compilation compilation = model.Compilation;
        int at = fromRaw.SpanStart;
        INamedTypeSymbol? device = compilation.GetTypeByMetadataName("P2PDma.Pci.Device");
        if (!StoredBesideOwner(model, store.Left, Qualified(owner), device)
            || Scope.OfType(model, at, compilation.GetTypeByMetadataName("P2PDma.DmaBuf.DmaBufAttachment")).Any()
            || Scope.OfType(model, at, compilation.GetTypeByMetadataName("P2PDma.Pci.PciDevice")).Any(s => Qualified(s.Name) != Qualified(owner))
            || SourceExpressions.Bar(source, model, at) is not ExpressionSyntax bar
            || !Scope.BindsTo(model, at, bar, compilation.GetTypeByMetadataName("P2PDma.Pci.PciBar")))
        {
            return null;
        }

        ExpressionSyntax raw = fromRaw.ArgumentList.Arguments[0].Expression;
        ExpressionSyntax busAddress = FixDocument.Generated(SyntaxFactory.ParseExpression($"{bar}.BusAddressOf({Names.PhysAddr}.FromRaw({raw.WithoutTrivia()})).Raw"));
        return root.ReplaceNode(raw, busAddress.WithTriviaFrom(raw));
    }

    /// <summary>
    /// Whether <paramref name="target"/> is a member of the object whose member <paramref name="owner"/> is, and that
    /// object's type holds exactly one device.
    /// </summary>
    private static bool StoredBesideOwner(SemanticModel model, ExpressionSyntax target, string owner, ITypeSymbol? device)
    {
        (string receiver, ITypeSymbol? type) = target switch
        {
            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } => ("this", model.GetEnclosingSymbol(target.SpanStart)?.ContainingType),
            MemberAccessExpressionSyntax member => (member.Expression.ToString(), model.GetTypeInfo(member.Expression).Type),
            IdentifierNameSyntax => ("this", model.GetEnclosingSymbol(target.SpanStart)?.ContainingType),
            _ => (string.Empty, null),
        };
        if (type is null || device is null || model.GetSymbolInfo(target).Symbol is not (IFieldSymbol or IPropertySymbol)
            || !owner.StartsWith(receiver + ".", System.StringComparison.Ordinal) || owner.IndexOf('.', receiver.Length + 1) >= 0)
        {
            return false;
        }

        return Holders.SingleDevice(type, device) is not null;
    }

    /// <summary>A member of the object in hand is written with <c>this.</c>, whichever way the path spelled it.</summary>
    private static string Qualified(string path) => path.IndexOf('.') >= 0 ? path : "this." + path;
}
