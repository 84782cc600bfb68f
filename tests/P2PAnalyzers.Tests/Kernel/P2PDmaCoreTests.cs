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
}
