using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace EditorFixture;

// Opened over LSP by CSharpLsDiagnosticsTests. It holds exactly one P2P violation: P2P0014 at the attributes argument of
// Dma.MapResource below. The test finds the flagged text, and the comment that its edit replaces, by searching this file.
public sealed class Exporter
{
    public DmaAddr MapWindow(P2PProvider provider, PciDevice dev)
    {
        if (PciP2PDma.MapType(provider, dev) != P2PMapType.ThruHostBridge)
        {
            return DmaAddr.MappingError;
        }

        return Dma.MapResource(dev, provider.Bar.CpuStart, 4096, DmaDirection.ToDevice, DmaAttrs.SkipCpuSync);
    }

    public ulong BarStart(PciDevice dev)
    {
        // edit here
        return dev.Bar(0).CpuStart.Raw;
    }
}
