namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// The correct code the rules must stay silent on, transliterated from the P2PDMA core: pci_p2pmem_find_many
/// (drivers/pci/p2pdma.c) ranks providers by distance, and dma_buf_phys_vec_to_sgt's per-range switch
/// (drivers/dma-buf/dma-buf-mapping.c) written out in a driver's helper.
/// </summary>
public sealed class P2PDmaCoreTests
{
    [Fact]
    public Task PciP2PmemFindMany_RanksProvidersByDistance_NoDiagnostic() => KernelVerify.RunAsync(
        """
        static class P2PDmaCore
        {
            // pci_p2pmem_find_many: the closest published provider, ties broken at random
            public static PciDevice? P2PmemFindMany(IReadOnlyList<PciDevice> publishers, IReadOnlyList<PciDevice> clients, Random rng)
            {
                var closest = new List<PciDevice>();
                int closestDistance = int.MaxValue;
                foreach (PciDevice pdev in publishers)
                {
                    int distance = PciP2PDma.DistanceMany(pdev, clients);
                    if (distance < 0 || distance > closestDistance)
                    {
                        continue;
                    }

                    if (distance < closestDistance)
                    {
                        closest.Clear();
                        closestDistance = distance;
                    }

                    closest.Add(pdev);
                }

                return closest.Count == 0 ? null : closest[rng.Next(closest.Count)];
            }
        }
        """);

    [Fact]
    public Task DmaBufPhysVecToSgt_WrittenOutPerRange_NoDiagnostic() => KernelVerify.RunAsync(
        """
        sealed class PhysVecMapper
        {
            // dma_buf_phys_vec_to_sgt's loop body for one range: bus address, IOVA link as MMIO, or dma_map_phys(MMIO)
            public static DmaError MapRange(PciDevice dev, P2PProvider provider, DmaIovaState state, bool useIova, PhysRange range,
                ulong mapped, DmaDirection dir, Scatterlist sg)
            {
                DmaAddr addr;
                switch (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr:
                        addr = PciP2PDma.BusAddrMap(provider, range.Start);
                        sg.MarkBusAddress();
                        break;
                    case P2PMapType.ThruHostBridge:
                        if (useIova)
                        {
                            DmaError err = Dma.IovaLink(dev, state, range.Start, mapped, range.Size, dir, DmaAttrs.Mmio);
                            if (err != DmaError.None)
                            {
                                return err;
                            }

                            addr = state.Addr + mapped;
                        }
                        else
                        {
                            addr = Dma.MapPhys(dev, range.Start, range.Size, dir, DmaAttrs.Mmio);
                            if (Dma.MappingError(dev, addr))
                            {
                                return DmaError.NoMemory;
                            }
                        }

                        break;
                    default:
                        return DmaError.Invalid;
                }

                sg.DmaAddress = addr;
                sg.DmaLength = range.Size;
                return DmaError.None;
            }

            // dma_buf_free_sgt's loop body: bus addresses are never unmapped
            public static void UnmapRange(PciDevice dev, Scatterlist sg, DmaDirection dir)
            {
                if (sg.IsDmaBusAddress)
                {
                    return;
                }

                Dma.UnmapPhys(dev, sg.DmaAddress, sg.DmaLength, dir, DmaAttrs.Mmio);
            }
        }
        """);

    // pci_p2pdma_add_resource keeps bus_offset = pci_bus_address() - pci_resource_start() per pagemap.
    internal const string Pagemap = """
        sealed class PciP2PDmaPagemap
        {
            public PciDevice Provider = null!;
            public long BusOffset;
        }

        static class P2PDmaAddResource
        {
            // pci_p2pdma_add_resource
            public static PciP2PDmaPagemap AddResource(PciDevice pdev, int bar) => new()
            {
                Provider = pdev,
                BusOffset = (long)(pdev.Bar(bar).BusStart.Raw - pdev.Bar(bar).CpuStart.Raw),
            };
        }
        """;

    // __pci_p2pdma_map_sg before v5.15 ("PCI/P2PDMA: Apply bus offset correctly in DMA address calculation"):
    // s->dma_address = sg_phys(s) - p2p_pgmap->bus_offset, the offset applied with the wrong sign.
    [Fact]
    public Task PciP2PDmaMapSgBus_BeforeV515_SubtractsBusOffset_Reports() => KernelVerify.RunAsync(Pagemap, MapSgBusV510);

    internal const string MapSgBusV510 = """
        static class P2PDmaMapSg
        {
            // __pci_p2pdma_map_sg (v5.10)
            public static int MapSgBus(PciP2PDmaPagemap p2pPgmap, SgTable sg, int nents)
            {
                for (int i = 0; i < nents; i++)
                {
                    Scatterlist s = sg[i];
                    PhysAddr paddr = s.Phys;
                    s.DmaAddress = {|P2P0001:DmaAddr.FromRaw(paddr.Raw - (ulong)p2pPgmap.BusOffset)|};
                    s.DmaLength = s.Length;
                }

                return nents;
            }
        }
        """;

    // v5.15+: the offset added, reached only from the BUS_ADDR arm of pci_p2pdma_map_sg_attrs.
    [Fact]
    public Task PciP2PDmaMapSgAttrs_V515_AddsBusOffsetInTheBusAddrArm_NoDiagnostic() => KernelVerify.RunAsync(
        Pagemap,
        """
        static class P2PDmaMapSg
        {
            // __pci_p2pdma_map_sg (v5.15)
            private static int MapSgBus(PciP2PDmaPagemap p2pPgmap, SgTable sg, int nents)
            {
                for (int i = 0; i < nents; i++)
                {
                    Scatterlist s = sg[i];
                    PhysAddr paddr = s.Phys;
                    s.DmaAddress = DmaAddr.FromRaw(paddr.Raw + (ulong)p2pPgmap.BusOffset);
                    s.DmaLength = s.Length;
                }

                return nents;
            }

            // pci_p2pdma_map_sg_attrs (v5.15)
            public static int MapSgAttrs(PciDevice dev, PciP2PDmaPagemap p2pPgmap, SgTable sg, int nents, DmaDirection dir, DmaAttrs attrs)
            {
                P2PProvider? provider = sg[0].Page?.Provider;
                switch (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.ThruHostBridge:
                        return Dma.MapSg(dev, sg, nents, dir, attrs);
                    case P2PMapType.BusAddr:
                        return MapSgBus(p2pPgmap, sg, nents);
                    default:
                        return 0;
                }
            }
        }
        """);

    // dma_direct_map_sg / dma_direct_unmap_sg (kernel/dma/direct.c): per segment, the bus-address arm marks the entry
    // and continues; unmap skips marked entries.
    [Fact]
    public Task DmaDirectMapSg_AndDmaDirectUnmapSg_NoDiagnostic() => KernelVerify.RunAsync(
        """
        static class DmaDirect
        {
            // dma_direct_map_sg
            public static int MapSg(PciDevice dev, SgTable sgl, int nents, DmaDirection dir, DmaAttrs attrs)
            {
                var p2pdmaState = new P2PMapState();
                for (int i = 0; i < nents; i++)
                {
                    Scatterlist sg = sgl[i];
                    Page page = sg.Page!;
                    if (page.IsP2P)
                    {
                        switch (PciP2PDma.State(p2pdmaState, dev, page))
                        {
                            case P2PMapType.BusAddr:
                                // pci_p2pdma_map_segment
                                sg.DmaAddress = PciP2PDma.BusAddrMap(p2pdmaState.Provider!, sg.Phys);
                                sg.DmaLength = sg.Length;
                                sg.MarkBusAddress();
                                continue;
                            case P2PMapType.ThruHostBridge:
                                // traverses the host bridge: mapped with the CPU physical address below
                                attrs |= DmaAttrs.Mmio;
                                break;
                            default:
                                return -121;
                        }
                    }

                    sg.DmaAddress = Dma.MapPage(dev, page, sg.Offset, sg.Length, dir, attrs);
                    if (Dma.MappingError(dev, sg.DmaAddress))
                    {
                        return -5;
                    }

                    sg.DmaLength = sg.Length;
                }

                return nents;
            }

            // dma_direct_unmap_sg
            public static void UnmapSg(PciDevice dev, SgTable sgl, int nents, DmaDirection dir, DmaAttrs attrs)
            {
                for (int i = 0; i < nents; i++)
                {
                    Scatterlist sg = sgl[i];
                    if (sg.IsDmaBusAddress)
                    {
                        sg.UnmarkBusAddress();
                    }
                    else
                    {
                        Dma.UnmapPage(dev, sg.DmaAddress, sg.DmaLength, dir, attrs);
                    }
                }
            }
        }
        """);
}
