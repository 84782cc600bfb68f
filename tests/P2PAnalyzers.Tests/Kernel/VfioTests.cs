namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// VFIO's dma-buf export of PCI BARs. The 2024 RFC (drivers/vfio/pci/dma_buf.c, "vfio/pci: Allow MMIO regions to be
/// exported through dma-buf") allocates the table in vfio_pci_dma_buf_map and hands it to populate_sgt, which maps each
/// chunk of each BAR range with dma_map_resource. The merged driver (drivers/vfio/pci/vfio_pci_dmabuf.c) keeps
/// phys_vec plus the BAR's provider and calls dma_buf_phys_vec_to_sgt.
/// </summary>
public sealed class VfioTests
{
    internal const string Core = """
        // struct vfio_region_dma_range
        struct VfioRegionDmaRange
        {
            public int RegionIndex;
            public ulong Offset;
            public ulong Length;
        }

        sealed class VfioPciCoreDevice
        {
            public PciDevice Pdev = null!;
        }
        """;

    internal const string RfcHead = """
        sealed class VfioPciDmaBuf : DmaBufOps
        {
            public VfioPciCoreDevice Vdev = null!;
            public VfioRegionDmaRange[] DmaRanges = Array.Empty<VfioRegionDmaRange>();
            public ulong Size;
            public int OrigNents;
            public bool Revoked;
        """;

    internal const string RfcMapUnmap = """

            // populate_sgt: fills the table it is handed, one dma_map_resource per chunk of each BAR range
            private int PopulateSgt(DmaBufAttachment attachment, DmaDirection dir, SgTable sgt, ulong sglSize)
            {
                foreach (Scatterlist s in sgt)
                {
                    s.SetPage(null, 0, 0);
                }

                int j = 0;
                for (int i = 0; i < DmaRanges.Length; i++)
                {
                    PhysAddr phys = Vdev.Pdev.Bar(DmaRanges[i].RegionIndex).CpuStart;
                    phys += DmaRanges[i].Offset;
                    for (ulong offset = 0; offset != DmaRanges[i].Length;)
                    {
                        ulong chunkSize = Math.Min(DmaRanges[i].Length - offset, sglSize);
                        DmaAddr dmaAddr = {|P2P0010:Dma.MapResource(attachment.Device, phys + offset, chunkSize, dir, {|P2P0014:DmaAttrs.SkipCpuSync|})|};
                        if (Dma.MappingError(attachment.Device, dmaAddr))
                        {
                            goto err;
                        }

                        Scatterlist sgl = sgt[j++];
                        sgl.SetPage(null, chunkSize, 0);
                        sgl.DmaAddress = dmaAddr;
                        sgl.DmaLength = chunkSize;
                        offset += chunkSize;
                    }
                }

                return 0;

            err:
                foreach (Scatterlist sgl in sgt)
                {
                    if (sgl.DmaLength == 0)
                    {
                        continue;
                    }

                    Dma.UnmapResource(attachment.Device, sgl.DmaAddress, sgl.DmaLength, dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
                }

                return -12;
            }

            // vfio_pci_dma_buf_map
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attachment, DmaDirection dir)
            {
                const ulong sglSize = 1UL << 32;  // dma_get_max_seg_size
                if (!%PEER2PEER%)
                {
                    return DmaError.NotSupported; // -EPERM
                }

                if (Revoked)
                {
                    return DmaError.NoDevice;
                }

                int nents = (int)((Size + sglSize - 1) / sglSize);
                SgTable sgt = SgTable.Alloc(nents);
                if (PopulateSgt(attachment, dir, sgt, sglSize) != 0)
                {
                    return DmaError.NoMemory;
                }

                // no CPU list: orig_nents 0 so that users walk only the DMA list
                OrigNents = sgt.OrigNents;
                sgt.OrigNents = 0;
                return {|P2P0003:sgt|};
            }

            // vfio_pci_dma_buf_unmap
            public override void UnmapDmaBuf(DmaBufAttachment attachment, SgTable sgt, DmaDirection dir)
            {
                foreach (Scatterlist sgl in sgt.DmaSegments)
                {
                    Dma.UnmapResource(attachment.Device, sgl.DmaAddress, sgl.DmaLength, dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
                }

                sgt.OrigNents = OrigNents;
            }
        }
        """;

    [Fact]
    public Task PopulateSgt_FillsTheTableVfioPciDmaBufMapHandsIt_Reports() => KernelVerify.RunAsync(
        Core,
        RfcHead + RfcMapUnmap.Replace("%PEER2PEER%", "attachment.Peer2Peer"));

    // vfio_pci_dma_buf_attach: pci_p2pdma_distance_many() < 0 clears peer2peer; the map refuses without it.
    [Fact]
    public Task VfioPciDmaBufAttach_DistanceManyClearsPeer2Peer_VfioPciDmaBufMapRefusesWithoutIt_Reports() => KernelVerify.RunAsync(
        Core,
        RfcHead + RfcAttach + RfcMapUnmap.Replace("%PEER2PEER%", "{|P2P0011:attachment.Peer2Peer|}"));

    // The merged driver: vfio_pci_core_feature_dma_buf fills phys_vec and takes the provider; map and unmap are the
    // dma-buf core's helpers.
    [Fact]
    public Task VfioPciDmaBufMap_WithDmaBufPhysVecToSgtAndPcimP2PDmaProvider_NoDiagnostic() => KernelVerify.RunAsync(
        Core,
        """
        sealed class VfioPciDmaBuf : DmaBufOps
        {
            public VfioPciCoreDevice Vdev = null!;
            public P2PProvider Provider = null!;
            public List<PhysRange> PhysVec = new();
            public ulong Size;
            public bool Revoked;

            // vfio_pci_dma_buf_attach
            public override DmaError Attach(DmaBufAttachment attachment) =>
                attachment.Peer2Peer ? DmaError.None : DmaError.NotSupported;

            // vfio_pci_dma_buf_map
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attachment, DmaDirection dir)
            {
                if (Revoked)
                {
                    return DmaError.NoDevice;
                }

                return DmaBufMapping.PhysVecToSgt(attachment, Provider, PhysVec, Size, dir);
            }

            // vfio_pci_dma_buf_unmap
            public override void UnmapDmaBuf(DmaBufAttachment attachment, SgTable sgt, DmaDirection dir) =>
                DmaBufMapping.FreeSgt(attachment, sgt, dir);
        }

        static class VfioPciDmabufFeature
        {
            // vfio_pci_core_fill_phys_vec + pcim_p2pdma_provider in vfio_pci_core_feature_dma_buf
            public static int FeatureDmaBuf(VfioPciCoreDevice vdev, VfioRegionDmaRange[] dmaRanges, VfioPciDmaBuf priv)
            {
                priv.Vdev = vdev;
                if (PciP2PDma.Init(vdev.Pdev) != DmaError.None)
                {
                    return -22;
                }

                foreach (VfioRegionDmaRange range in dmaRanges)
                {
                    P2PProvider? provider = PciP2PDma.Provider(vdev.Pdev, range.RegionIndex);
                    if (provider is null)
                    {
                        return -22;
                    }

                    priv.Provider = provider;
                    priv.PhysVec.Add(new PhysRange(provider.Bar.CpuStart + range.Offset, range.Length));
                    priv.Size += range.Length;
                }

                return 0;
            }
        }
        """);

    // The 2022 RFC ("vfio/pci: Allow MMIO regions to be exported through dma-buf", Gunthorpe): one dma_map_resource of
    // the whole BAR range in vfio_pci_dma_buf_map, then the table is cut into max-sized entries of that mapping.
    internal const string Rfc2022Head = """
        sealed class VfioPciDmaBuf2022 : DmaBufOps
        {
            public VfioPciCoreDevice Vdev = null!;
            public int Index;
            public ulong Offset;
            public ulong Size;
            public int OrigNents;
            public bool Revoked;
        """;

    internal const string Rfc2022MapUnmap = """

            // vfio_pci_dma_buf_map (2022)
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attachment, DmaDirection dir)
            {
                const ulong sglSize = 1UL << 32;
                if (!%PEER2PEER%)
                {
                    return DmaError.NotSupported; // -EPERM
                }

                if (Revoked)
                {
                    return DmaError.NoDevice;
                }

                int nents = (int)((Size + sglSize - 1) / sglSize);
                SgTable sgt = SgTable.Alloc(nents);
                // device memory is never in CPU caches
                DmaAddr dmaAddr = %MAPPING%;
                if (Dma.MappingError(attachment.Device, dmaAddr))
                {
                    return DmaError.NoMemory;
                }

                int i = 0;
                for (ulong offset = 0; offset != Size;)
                {
                    ulong chunkSize = Math.Min(Size - offset, sglSize);
                    Scatterlist sgl = sgt[i++];
                    sgl.SetPage(null, chunkSize, 0);
                    sgl.DmaAddress = dmaAddr + offset;
                    sgl.DmaLength = chunkSize;
                    offset += chunkSize;
                }

                OrigNents = sgt.OrigNents;
                sgt.OrigNents = 0;
                return {|P2P0003:sgt|};
            }

            // vfio_pci_dma_buf_unmap (2022): one unmap of the whole range
            public override void UnmapDmaBuf(DmaBufAttachment attachment, SgTable sgt, DmaDirection dir)
            {
                Dma.UnmapResource(attachment.Device, sgt[0].DmaAddress, Size, dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
                sgt.OrigNents = OrigNents;
            }
        }
        """;

    internal const string Rfc2022Mapping =
        "Dma.MapResource(attachment.Device, Vdev.Pdev.Bar(Index).CpuStart + Offset, Size, dir, {|P2P0014:DmaAttrs.SkipCpuSync|})";

    [Fact]
    public Task VfioPciDmaBufMap2022_DmaMapResourceOfPciResourceStart_Reports() => KernelVerify.RunAsync(
        Core,
        Rfc2022Head + Rfc2022MapUnmap
            .Replace("%PEER2PEER%", "attachment.Peer2Peer")
            .Replace("%MAPPING%", "{|P2P0010:" + Rfc2022Mapping + "|}"));

    // With the 2022 attach callback the distance verdict decides the mapping in the same method: P2P0011 at the test,
    // and P2P0010 yields to it for the gated call (docs/rules/P2P0010.md).
    [Fact]
    public Task VfioPciDmaBufAttach2022_DistanceManyVerdictGatesDmaMapResource_Reports() => KernelVerify.RunAsync(
        Core,
        Rfc2022Head + Rfc2022Attach + Rfc2022MapUnmap
            .Replace("%PEER2PEER%", "{|P2P0011:attachment.Peer2Peer|}")
            .Replace("%MAPPING%", Rfc2022Mapping));

    // vfio_pci_dma_buf_attach (2022)
    internal const string Rfc2022Attach = """

            // vfio_pci_dma_buf_attach (2022)
            public override DmaError Attach(DmaBufAttachment attachment)
            {
                if (PciP2PDma.DistanceMany(Vdev.Pdev, new[] { attachment.Device }) < 0)
                {
                    attachment.Peer2Peer = false;
                }

                return DmaError.None;
            }
        """;

    // vfio_pci_dma_buf_attach (2024)
    internal const string RfcAttach = """

            // vfio_pci_dma_buf_attach
            public override DmaError Attach(DmaBufAttachment attachment)
            {
                if (PciP2PDma.DistanceMany(Vdev.Pdev, new[] { attachment.Device }) < 0)
                {
                    attachment.Peer2Peer = false;
                }

                return DmaError.None;
            }
        """;
}
