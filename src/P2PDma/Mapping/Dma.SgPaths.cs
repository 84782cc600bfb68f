using System;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Mapping;

/// <summary>The two scatterlist back ends: dma-direct (kernel/dma/direct.c) and the IOMMU (drivers/iommu/dma-iommu.c).</summary>
public static partial class Dma
{
    /// <summary>
    /// The segment boundary of a PCI device (<c>dma_get_seg_boundary</c>: <c>pci_device_add</c> sets 0xffffffff). A
    /// segment that would start on such a boundary is not merged into the previous one.
    /// </summary>
    internal const ulong SegmentBoundaryMask = 0xFFFF_FFFF;

    /// <summary>
    /// Maps the first <paramref name="nents"/> entries and returns the number of DMA segments, or a negative
    /// <see cref="DmaError"/> after undoing what it mapped (<c>__dma_map_sg_attrs</c>). With
    /// <paramref name="p2pAware"/> false every page is treated as RAM (the pre-6.2 behaviour).
    /// </summary>
    private static int MapSgCore(PciDevice dev, SgTable table, int nents, DmaDirection dir, DmaAttrs attrs, bool p2pAware) =>
        dev.IommuDomain is IommuDomain domain
            ? MapSgIommu(dev, domain, table, nents, dir, attrs, p2pAware)
            : MapSgDirect(dev, table, nents, dir, attrs, p2pAware);

    private static P2PMapType Classify(P2PMapState state, PciDevice dev, Scatterlist sg, bool p2pAware) =>
        p2pAware ? PciP2PDma.State(state, dev, PageOf(sg)) : P2PMapType.None;

    /// <summary>
    /// <c>dma_direct_map_sg</c>: THRU_HOST_BRIDGE falls through to the RAM case (<c>dma_direct_map_phys</c> of
    /// <c>sg_phys</c> with the caller's attributes, so <c>phys_to_dma</c> applies), -EIO when the device cannot reach
    /// a page; BUS_ADDR gets <c>pci_p2pdma_bus_addr_map</c> and the mark; anything else is -EREMOTEIO.
    /// </summary>
    private static int MapSgDirect(PciDevice dev, SgTable table, int nents, DmaDirection dir, DmaAttrs attrs, bool p2pAware)
    {
        var state = new P2PMapState();
        for (int i = 0; i < nents; i++)
        {
            Scatterlist sg = table[i];
            PhysAddr phys = PhysOf(sg);
            switch (Classify(state, dev, sg, p2pAware))
            {
                case P2PMapType.ThruHostBridge:
                case P2PMapType.None:
                    DmaAddr address = MapRange(dev, phys, sg.Length, dir, attrs, mmio: (attrs & DmaAttrs.Mmio) != 0);
                    if (address == DmaAddr.MappingError)
                    {
                        UnmapTable(dev, table, i, skipBusAddresses: true);
                        return (int)DmaError.Io;
                    }

                    sg.DmaAddress = address;
                    break;
                case P2PMapType.BusAddr:
                    sg.DmaAddress = PciP2PDma.BusAddrMap(state.Provider!, phys);
                    sg.MarkBusAddress();
                    break;
                default:
                    UnmapTable(dev, table, i, skipBusAddresses: true);
                    return (int)DmaError.RemoteIo;
            }

            sg.DmaLength = sg.Length;
        }

        table.SgIova = null;
        return nents;
    }

    /// <summary>
    /// <c>iommu_dma_map_sg</c>: bus-address entries are set aside with their bus address; every other entry (RAM and
    /// THRU_HOST_BRIDGE alike, with the caller's attributes) gets a granule-aligned slot in one IOVA allocation for
    /// the whole list; NOT_SUPPORTED is -EREMOTEIO, no IOVA space -ENOMEM. Then <c>__finalise_sg</c> merges.
    /// </summary>
    private static int MapSgIommu(PciDevice dev, IommuDomain domain, SgTable table, int nents, DmaDirection dir, DmaAttrs attrs, bool p2pAware)
    {
        var state = new P2PMapState();
        var busAddresses = new DmaAddr?[nents];
        ulong iovaLength = 0;
        for (int i = 0; i < nents; i++)
        {
            Scatterlist sg = table[i];
            switch (Classify(state, dev, sg, p2pAware))
            {
                case P2PMapType.ThruHostBridge:
                case P2PMapType.None:
                    iovaLength += Paging.AlignUp(PhysOf(sg).PageOffset + sg.Length);
                    break;
                case P2PMapType.BusAddr:
                    busAddresses[i] = PciP2PDma.BusAddrMap(state.Provider!, PhysOf(sg));
                    break;
                default:
                    return (int)DmaError.RemoteIo; // nothing mapped yet: __invalidate_sg only restores the list
            }
        }

        ulong iova = 0;
        if (iovaLength != 0)
        {
            if (domain.AllocIova(iovaLength, dev.DmaMask) is not ulong allocated)
            {
                return (int)DmaError.NoMemory;
            }

            iova = allocated;
            ulong cursor = iova;
            for (int i = 0; i < nents; i++)
            {
                if (busAddresses[i] is null)
                {
                    PhysAddr phys = PhysOf(table[i]);
                    domain.Map(cursor, phys.PageAlignDown(), phys.PageOffset + table[i].Length, IommuDomain.ProtFor(dir, attrs), synced: true);
                    cursor += Paging.AlignUp(phys.PageOffset + table[i].Length);
                }
            }
        }

        table.SgIova = iovaLength == 0 ? null : (iova, iovaLength);
        return FinaliseSg(table, nents, iova, busAddresses);
    }

    /// <summary>
    /// <c>__finalise_sg</c>: every entry starts as <see cref="DmaAddr.MappingError"/> / 0; output segments are written
    /// from entry 0 on. A bus-address entry is its own segment (carrying the mark); an IOVA entry joins the previous
    /// segment when it starts on a granule boundary, not on a segment boundary, the segment stays within the maximum
    /// segment size, and the previous entry filled its granule.
    /// </summary>
    private static int FinaliseSg(SgTable table, int nents, ulong iova, DmaAddr?[] busAddresses)
    {
        var inputs = new (ulong Offset, ulong Length)[nents];
        for (int i = 0; i < nents; i++)
        {
            inputs[i] = (PhysOf(table[i]).PageOffset, table[i].Length);
            table[i].DmaAddress = DmaAddr.MappingError;
            table[i].DmaLength = 0;
            table[i].UnmarkBusAddress();
        }

        int cur = -1;
        ulong curLength = 0;
        ulong dmaAddress = iova;
        for (int i = 0; i < nents; i++)
        {
            (ulong offset, ulong length) = inputs[i];
            if (busAddresses[i] is DmaAddr bus)
            {
                cur++;
                table[cur].DmaAddress = bus;
                table[cur].DmaLength = length;
                table[cur].MarkBusAddress();
                curLength = 0;
                continue;
            }

            if (curLength != 0 && offset == 0 && (dmaAddress & SegmentBoundaryMask) != 0 && MaxSegmentSize - curLength >= length)
            {
                curLength += length;
            }
            else
            {
                cur++;
                curLength = length;
                table[cur].DmaAddress = DmaAddr.FromRaw(dmaAddress + offset);
            }

            table[cur].DmaLength = curLength;
            ulong granules = Paging.AlignUp(offset + length);
            dmaAddress += granules;
            if (offset + length < granules)
            {
                curLength = 0; // a partly used granule: the next entry cannot continue this segment
            }
        }

        return cur + 1;
    }

    private static Memory.Page PageOf(Scatterlist sg) =>
        sg.RawPage ?? throw new InvalidOperationException($"entry {sg.Index} has no page; only CPU tables can be mapped.");

    private static PhysAddr PhysOf(Scatterlist sg) => PageOf(sg).Phys + sg.Offset;

    /// <summary>
    /// Undoes the mapping of the first <paramref name="count"/> entries (<c>dma_direct_unmap_sg</c>,
    /// <c>iommu_dma_unmap_sg</c>): the P2P-aware unmaps skip and unmark bus-address entries; the legacy one treats
    /// them as mappings (reported under DMA debugging).
    /// </summary>
    private static void UnmapTable(PciDevice dev, SgTable table, int count, bool skipBusAddresses)
    {
        for (int i = 0; i < Math.Min(count, table.Count); i++)
        {
            Scatterlist sg = table[i];
            if (sg.IsDmaBusAddress)
            {
                if (!skipBusAddresses && dev.Topology.DmaDebug.Enabled)
                {
                    dev.Topology.DmaDebug.Report(DmaDebugFindingKind.UnmapBusAddress, dev, sg.DmaAddress,
                        $"dma_unmap_sg on entry {sg.Index}, a PCI bus address: bus addresses are never mapped, so never unmapped");
                }

                sg.UnmarkBusAddress();
                continue;
            }

            if (table.SgIova is null && sg.DmaLength != 0)
            {
                UnmapRange(dev, sg.DmaAddress, sg.DmaLength);
            }
        }

        if (table.SgIova is (ulong iova, ulong size) && dev.IommuDomain is IommuDomain domain)
        {
            domain.Unmap(iova, size);
            domain.FreeIova(iova);
            table.SgIova = null;
        }
    }
}
