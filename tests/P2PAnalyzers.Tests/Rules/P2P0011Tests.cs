using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0011DistanceAsMappingDecisionAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0011: a P2P distance compared with 0 or -1 decides a path that maps with a generic call. A non-negative distance
/// covers BusAddr and ThruHostBridge alike: it says P2P is possible, not how to map.
/// </summary>
public sealed class P2P0011Tests
{
    // Eight usings and a blank line: the test code starts on line 9.
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    // ---------------------------------------------------------------- the driver habits (section 4)

    [Fact]
    public Task AmdgpuAttachCheckFoldedIntoVramMap_DistanceThenMapResource_Reports() => Verifier.Analyzer(Usings + """
        class AmdgpuDmaBuf : DmaBufOps
        {
            PciDevice _adev;
            ulong[] _blockStarts;
            ulong[] _blockSizes;

            // amdgpu_dma_buf_attach's pci_p2pdma_distance() < 0 check, then amdgpu_vram_mgr_alloc_sgt's dma_map_resource.
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                if ({|#0:PciP2PDma.Distance(_adev, attach.Device) < 0|})
                {
                    return DmaError.RemoteIo;
                }

                SgTable sgt = SgTable.Alloc(_blockStarts.Length);
                for (int i = 0; i < _blockStarts.Length; i++)
                {
                    PhysAddr phys = _adev.Bar(0).CpuStart + _blockStarts[i];
                    DmaAddr addr = {|#1:Dma.MapResource(attach.Device, phys, _blockSizes[i], dir, DmaAttrs.SkipCpuSync)|};
                    if (Dma.MappingError(attach.Device, addr))
                    {
                        return DmaError.NoMemory;
                    }

                    sgt[i].SetPage(null, _blockSizes[i], 0);
                    sgt[i].DmaAddress = addr;
                    sgt[i].DmaLength = _blockSizes[i];
                }

                return sgt;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir)
            {
                foreach (Scatterlist sg in table)
                {
                    Dma.UnmapResource(attach.Device, sg.DmaAddress, sg.DmaLength, dir, DmaAttrs.SkipCpuSync);
                }
            }
        }
        """,
        Verifier.Diagnostic("P2P0011").WithLocation(0).WithLocation(1)
            .WithArguments("PciP2PDma.Distance(_adev, attach.Device) < 0", "Dma.MapResource"));

    [Fact]
    public Task XeDmaBufAttachCheckBeforeVramMap_Reports() => Verifier.Analyzer(Usings + """
        class XeDmaBuf
        {
            PciDevice _xe;

            // xe_dma_buf_attach: if (attach->peer2peer && pci_p2pdma_distance(...) < 0) ...; then xe_ttm_vram_mgr_alloc_sgt.
            DmaResult<SgTable> Map(DmaBufAttachment attach, ulong offset, ulong size, DmaDirection dir)
            {
                if (!attach.Peer2Peer || {|P2P0011:PciP2PDma.Distance(_xe, attach.Device) < 0|})
                {
                    return DmaError.NotSupported;
                }

                DmaAddr addr = Dma.MapResource(attach.Device, _xe.Bar(2).CpuStart + offset, Math.Min(size, 1UL << 31), dir, DmaAttrs.SkipCpuSync);
                if (Dma.MappingError(attach.Device, addr))
                {
                    return DmaError.NoMemory;
                }

                SgTable sgt = SgTable.Alloc(1);
                sgt[0].DmaAddress = addr;
                return sgt;
            }
        }
        """);

    [Fact]
    public Task HabanalabsDistanceInLocalThenMapResource_Reports() => Verifier.Analyzer(Usings + """
        class HlDevice { public PciDevice Pdev; }

        class HabanaDmaBuf
        {
            // hl_dmabuf_attach's distance check, then alloc_sgt_from_device_pages' dma_map_resource.
            DmaResult<SgTable> Map(HlDevice hdev, DmaBufAttachment attachment, ulong[] pages, ulong chunk, DmaDirection dir)
            {
                int rc = PciP2PDma.Distance(hdev.Pdev, attachment.Device);
                if ({|P2P0011:rc < 0|})
                {
                    return DmaError.RemoteIo;
                }

                SgTable sgt = SgTable.Alloc(pages.Length);
                for (int i = 0; i < pages.Length; i++)
                {
                    ulong barAddress = hdev.Pdev.Bar(4).CpuStart.Raw + pages[i];
                    sgt[i].DmaAddress = Dma.MapResource(attachment.Device, PhysAddr.FromRaw(barAddress), chunk, dir, DmaAttrs.SkipCpuSync);
                }

                return sgt;
            }
        }
        """);

    [Fact]
    public Task Vfio2022RfcDistanceManyThenMapResource_Reports() => Verifier.Analyzer(Usings + """
        class VfioPciDmaBuf { public PciDevice Vdev; public int Index; public ulong Offset; public ulong Size; }

        class VfioExporter
        {
            // vfio_pci_dma_buf_attach's pci_p2pdma_distance_many() < 0, then vfio_pci_dma_buf_map's dma_map_resource.
            DmaResult<SgTable> Map(DmaBufAttachment attachment, VfioPciDmaBuf priv, DmaDirection dir)
            {
                int rc = PciP2PDma.DistanceMany(priv.Vdev, new[] { attachment.Device });
                if ({|P2P0011:rc < 0|})
                {
                    return DmaError.RemoteIo;
                }

                DmaAddr dmaAddr = Dma.MapResource(attachment.Device, priv.Vdev.Bar(priv.Index).CpuStart + priv.Offset,
                    priv.Size, dir, DmaAttrs.SkipCpuSync);
                if (Dma.MappingError(attachment.Device, dmaAddr))
                {
                    return DmaError.NoMemory;
                }

                SgTable sgt = SgTable.Alloc(1);
                sgt[0].DmaAddress = dmaAddr;
                return sgt;
            }
        }
        """);

    [Theory]
    [InlineData("distance >= 0", true)]
    [InlineData("0 <= distance", true)]
    [InlineData("distance > -1", true)]
    [InlineData("-1 < distance", true)]
    [InlineData("distance != -1", true)]
    [InlineData("-1 != distance", true)]
    [InlineData("distance < 0", false)]
    [InlineData("0 > distance", false)]
    [InlineData("distance <= -1", false)]
    [InlineData("-1 >= distance", false)]
    [InlineData("distance == -1", false)]
    [InlineData("-1 == distance", false)]
    public Task EveryComparisonFormAndOperandOrder_Reports(string comparison, bool possibleWhenTrue)
    {
        string map = "Dma.MapResource(dev, gpu.Bar(0).CpuStart, size, DmaDirection.ToDevice)";
        string body = possibleWhenTrue
            ? $$"""
                    if ({|P2P0011:{{comparison}}|})
                    {
                        return {{map}};
                    }

                    return DmaAddr.MappingError;
            """
            : $$"""
                    if ({|P2P0011:{{comparison}}|})
                    {
                        return DmaAddr.MappingError;
                    }

                    return {{map}};
            """;
        return Verifier.Analyzer(Usings + $$"""
            class Exporter
            {
                DmaAddr Map(PciDevice gpu, PciDevice dev, ulong size)
                {
                    int distance = PciP2PDma.Distance(gpu, dev);
            {{body}}
                }
            }
            """);
    }

    [Fact]
    public Task NegatedComparison_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(PciDevice gpu, PciDevice dev, ulong size)
            {
                if (!({|P2P0011:PciP2PDma.Distance(gpu, dev) >= 0|}))
                {
                    return DmaAddr.MappingError;
                }

                return Dma.MapPhys(dev, gpu.Bar(0).CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
            }
        }
        """);

    [Fact]
    public Task DistanceCopiedThroughLocals_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(PciDevice gpu, PciDevice dev, ulong size)
            {
                int d = PciP2PDma.Distance(gpu, dev);
                int hops;
                hops = d;
                if ({|P2P0011:hops >= 0|})
                {
                    return Dma.MapResource(dev, gpu.Bar(0).CpuStart, size, DmaDirection.ToDevice);
                }

                return DmaAddr.MappingError;
            }
        }
        """);

    [Fact]
    public Task PeerPathOrBounceBuffer_ElseBranchMapsRam_Reports() => Verifier.Analyzer(Usings + """
        class Copier
        {
            DmaAddr Map(PciDevice gpu, PciDevice dev, KernelBuffer bounce, ulong size)
            {
                DmaAddr addr;
                if ({|P2P0011:PciP2PDma.Distance(gpu, dev) >= 0|})
                {
                    addr = Dma.MapResource(dev, gpu.Bar(0).CpuStart, size, DmaDirection.ToDevice);
                }
                else
                {
                    addr = Dma.MapSingle(dev, bounce, 0, size, DmaDirection.ToDevice);
                }

                return addr;
            }
        }
        """);

    [Fact]
    public Task DistanceCheckPerImporterWithContinue_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            void MapAll(PciDevice gpu, IReadOnlyList<PciDevice> importers, DmaAddr[] out_, ulong size)
            {
                for (int i = 0; i < importers.Count; i++)
                {
                    if ({|P2P0011:PciP2PDma.Distance(gpu, importers[i]) < 0|})
                    {
                        continue;
                    }

                    out_[i] = Dma.MapResource(importers[i], gpu.Bar(0).CpuStart, size, DmaDirection.ToDevice);
                }
            }
        }
        """);

    [Fact]
    public Task DistanceManyThenLegacyMapSgOfPeerTable_Reports() => Verifier.Analyzer(Usings + """
        class RdmaRw
        {
            int MapTable(PciDevice provider, PciDevice dev, SgTable table)
            {
                if ({|P2P0011:PciP2PDma.DistanceMany(provider, new[] { dev }) == -1|})
                {
                    return 0;
                }

                return Dma.LegacyMapSg(dev, table, table.OrigNents, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task DistanceManyThenMapSg_MapSgIsP2PAwareSince62_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class RdmaRw
        {
            int MapTable(PciDevice provider, PciDevice dev, SgTable table)
            {
                if (PciP2PDma.DistanceMany(provider, new[] { dev }) == -1)
                {
                    return 0;
                }

                // dma_map_sg asks the map type of every P2P page itself since Linux 6.2.
                return Dma.MapSg(dev, table, table.OrigNents, DmaDirection.ToDevice);
            }
        }
        """);

    // ---------------------------------------------------------------- correct code and look-alikes

    [Fact]
    public Task AmdgpuDmaBufAttachClearsPeer2Peer_GatesNoMapping_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class AmdgpuDmaBuf : DmaBufOps
        {
            PciDevice _adev;

            // amdgpu_dma_buf_attach: the distance only decides whether the importer may get VRAM at all.
            public override DmaError Attach(DmaBufAttachment attach)
            {
                if (PciP2PDma.Distance(_adev, attach.Device) < 0)
                {
                    attach.Peer2Peer = false;
                }

                return DmaError.None;
            }

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir) => DmaError.NotSupported;

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir)
            {
            }
        }
        """);

    [Fact]
    public Task DistanceClearsFlagAndMappingFollowsOnBothPaths_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(PciDevice gpu, DmaBufAttachment attach, KernelBuffer staging, ulong size)
            {
                if (PciP2PDma.Distance(gpu, attach.Device) >= 0)
                {
                    Console.WriteLine("peer-to-peer possible");
                }
                else
                {
                    attach.Peer2Peer = false;
                }

                return Dma.MapSingle(attach.Device, staging, 0, size, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task DistanceChoosesClosestProvider_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class P2PMemFinder
        {
            // pci_p2pmem_find_many: the distance ranks candidates; the map type decides the mapping.
            DmaAddr MapFromClosest(IReadOnlyList<PciDevice> candidates, PciDevice client, ulong size)
            {
                PciDevice closest = null;
                int closestDistance = int.MaxValue;
                foreach (PciDevice candidate in candidates)
                {
                    int distance = PciP2PDma.DistanceMany(candidate, new[] { client });
                    if (distance < 0)
                    {
                        continue;
                    }

                    if (distance < closestDistance)
                    {
                        closest = candidate;
                        closestDistance = distance;
                    }
                }

                if (closest == null)
                {
                    return DmaAddr.MappingError;
                }

                P2PProvider provider = PciP2PDma.Provider(closest, 0);
                switch (PciP2PDma.MapType(provider, client))
                {
                    case P2PMapType.BusAddr:
                        return PciP2PDma.BusAddrMap(provider, provider.Bar.CpuStart);
                    case P2PMapType.ThruHostBridge:
                        return Dma.MapPhys(client, provider.Bar.CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                    default:
                        return DmaAddr.MappingError;
                }
            }
        }
        """);

    [Fact]
    public Task DistanceAsPossibilityCheckThenMapP2P_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            P2PDmaMapping Map(PciDevice gpu, P2PProvider provider, PciDevice dev, ulong size)
            {
                if (PciP2PDma.Distance(gpu, dev) < 0)
                {
                    return null;
                }

                P2PDmaMapping mapping = Dma.MapP2P(dev, provider, provider.Bar.CpuStart, size, DmaDirection.ToDevice);
                return mapping.Failed ? null : mapping;
            }
        }
        """);

    [Fact]
    public Task DistanceAsPossibilityCheckThenMapTypeSwitch_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(PciDevice gpu, P2PProvider provider, PciDevice dev, ulong size)
            {
                if (PciP2PDma.Distance(gpu, dev) < 0)
                {
                    return DmaAddr.MappingError;
                }

                // The distance only says P2P is possible; the map type decides how.
                switch (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr:
                        return PciP2PDma.BusAddrMap(provider, provider.Bar.CpuStart);
                    case P2PMapType.ThruHostBridge:
                        return Dma.MapPhys(dev, provider.Bar.CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                    default:
                        return DmaAddr.MappingError;
                }
            }
        }
        """);

    [Theory]
    [InlineData("distance >= 0")]
    [InlineData("0 <= distance")]
    [InlineData("distance > -1")]
    [InlineData("-1 < distance")]
    [InlineData("distance != -1")]
    [InlineData("-1 != distance")]
    [InlineData("distance < 0")]
    [InlineData("0 > distance")]
    [InlineData("distance <= -1")]
    [InlineData("-1 >= distance")]
    [InlineData("distance == -1")]
    [InlineData("-1 == distance")]
    public Task EveryComparisonForm_MappingReachedFromBothSides_NoDiagnostic(string comparison) => Verifier.Analyzer(Usings + $$"""
        class Exporter
        {
            DmaAddr Map(PciDevice gpu, PciDevice dev, KernelBuffer staging, ulong size)
            {
                int distance = PciP2PDma.Distance(gpu, dev);
                bool p2p = false;
                if ({{comparison}})
                {
                    p2p = !p2p;
                }

                Console.WriteLine(p2p);
                return Dma.MapSingle(dev, staging, 0, size, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task DistanceOnlyLogged_MappingAfterJoin_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(PciDevice gpu, PciDevice dev, ulong size)
            {
                int distance = PciP2PDma.Distance(gpu, dev);
                if (distance >= 0)
                {
                    Console.WriteLine($"P2P distance {distance}");
                }

                return Dma.MapResource(dev, gpu.Bar(0).CpuStart, size, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task OtherIntegerComparedWithZero_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(PciDevice gpu, PciDevice dev, ulong size, int slot)
            {
                int hops = gpu.Bars.Count - 1;
                if (slot >= 0 && hops != -1)
                {
                    return Dma.MapResource(dev, gpu.Bar(0).CpuStart, size, DmaDirection.ToDevice);
                }

                return DmaAddr.MappingError;
            }
        }
        """);

    [Fact]
    public Task BlkDmaMapIterStart_NoDiagnostic() => Verifier.Analyzer(CanonicalSources.BlkDmaMapIterStart);

    [Fact]
    public Task DmaBufPhysVecToSgt_NoDiagnostic() => Verifier.Analyzer(CanonicalSources.DmaBufPhysVecToSgt);

    [Fact]
    public Task LookAlikeDistanceInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Vendor.Topology
        {
            static class PciP2PDma
            {
                public static int Distance(PciDevice a, PciDevice b) => 0;
            }
        }

        class Exporter
        {
            DmaAddr Map(PciDevice gpu, PciDevice dev, ulong size)
            {
                if (Vendor.Topology.PciP2PDma.Distance(gpu, dev) < 0)
                {
                    return DmaAddr.MappingError;
                }

                return Dma.MapResource(dev, gpu.Bar(0).CpuStart, size, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task WithoutCompanionLibrary_NoDiagnostic() => Verifier.Analyzer("""
        namespace P2PLike
        {
            static class PciP2PDma { public static int Distance(object a, object b) => 0; }
            static class Dma { public static ulong MapResource(object dev, ulong phys, ulong size) => phys; }

            class Exporter
            {
                ulong Map(object gpu, object dev, ulong bar)
                {
                    if (PciP2PDma.Distance(gpu, dev) < 0)
                    {
                        return ulong.MaxValue;
                    }

                    return Dma.MapResource(dev, bar, 4096);
                }
            }
        }
        """, withLibrary: false);
}
