using P2PAnalyzers.Rules;

namespace P2PAnalyzers.Tests.Engine;

/// <summary>
/// A map type asked at attach and kept in a field counts, where the field is read, as a decision for the provider it was
/// asked for: an exporter with two BARs (VRAM and doorbells, as amdgpu and KFD have) that asks only for VRAM and maps a
/// doorbell page is reported. A field also set from a map type whose provider is unknown counts for any provider.
/// </summary>
public sealed class DecisionsKeptInFieldsTests
{
    private const string Exporter = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        sealed partial class PeerExporter
        {
            private readonly P2PProvider _vram;
            private readonly P2PProvider _doorbell;
            private P2PMapType _vramMapType;

            public PeerExporter(P2PProvider vram, P2PProvider doorbell)
            {
                _vram = vram;
                _doorbell = doorbell;
            }

            // attach: pci_p2pdma_map_type asked once, for the VRAM provider only
            public void Attach(PciDevice client) => _vramMapType = PciP2PDma.MapType(_vram, client);
        }

        """;

    [Fact]
    public Task MapTypeOfOneProvider_KeptInField_DoesNotCoverAnotherProvider() => Run(
        Exporter,
        """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        sealed partial class PeerExporter
        {
            public DmaAddr MapDoorbell(PciDevice client)
            {
                if (_vramMapType == P2PMapType.NotSupported)
                {
                    return default;
                }

                return {|P2P0010:Dma.MapResource(client, _doorbell.Bar.CpuStart, 4096, DmaDirection.Bidirectional)|};
            }

            public DmaAddr MapVram(PciDevice client)
            {
                if (_vramMapType == P2PMapType.NotSupported)
                {
                    return default;
                }

                return Dma.MapResource(client, _vram.Bar.CpuStart, 4096, DmaDirection.Bidirectional);
            }
        }
        """);

    [Fact]
    public Task FieldAlsoSetFromUnknownProvider_CountsForAny() => Run(
        Exporter,
        """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        sealed partial class PeerExporter
        {
            // a caller that asked elsewhere hands the answer in: which provider it was for is not known
            public void Restore(P2PMapType saved) => _vramMapType = saved;

            public DmaAddr MapDoorbell(PciDevice client)
            {
                if (_vramMapType == P2PMapType.NotSupported)
                {
                    return default;
                }

                return Dma.MapResource(client, _doorbell.Bar.CpuStart, 4096, DmaDirection.Bidirectional);
            }
        }
        """);

    // The device side: a map type asked for the exporter's own peer (a field of the same object) does not cover a
    // mapping for a device handed in at the call.
    [Fact]
    public Task MapTypeForOneDevice_KeptInField_DoesNotCoverAnotherDevice() => Run(
        """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        sealed class PairedExporter
        {
            private readonly P2PProvider _vram;
            private readonly PciDevice _peer;
            private P2PMapType _peerMapType;

            public PairedExporter(P2PProvider vram, PciDevice peer)
            {
                _vram = vram;
                _peer = peer;
            }

            public void Probe() => _peerMapType = PciP2PDma.MapType(_vram, _peer);

            public DmaAddr MapForPeer()
            {
                if (_peerMapType == P2PMapType.NotSupported)
                {
                    return default;
                }

                return Dma.MapResource(_peer, _vram.Bar.CpuStart, 4096, DmaDirection.Bidirectional);
            }

            public DmaAddr MapForOther(PciDevice other)
            {
                if (_peerMapType == P2PMapType.NotSupported)
                {
                    return default;
                }

                return {|P2P0010:Dma.MapResource(other, _vram.Bar.CpuStart, 4096, DmaDirection.Bidirectional)|};
            }
        }
        """);

    // A decision kept by one type for its own provider field, read by another type that maps a provider handed to it:
    // the two may be the same object, so the decision counts.
    [Fact]
    public Task MapTypeKeptByAnotherType_ForAProviderItCannotName_Counts() => Run(
        """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        sealed class Attachment
        {
            public static P2PMapType LastMapType;
            private readonly P2PProvider _vram;

            public Attachment(P2PProvider vram) => _vram = vram;

            public void Attach(PciDevice client) => LastMapType = PciP2PDma.MapType(_vram, client);
        }

        static class Mapper
        {
            public static DmaAddr Map(P2PProvider provider, PciDevice client)
            {
                if (Attachment.LastMapType == P2PMapType.NotSupported)
                {
                    return default;
                }

                return Dma.MapResource(client, provider.Bar.CpuStart, 4096, DmaDirection.Bidirectional);
            }
        }
        """);

    private static Task Run(params string[] files) => WholeProgramTests.Run<P2P0010PeerMemoryMappedWithoutMapTypeAnalyzer>(files);
}
