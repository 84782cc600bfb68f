using System;
using System.Collections.Generic;
using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.P2P;

namespace FabricDemo;

/// <summary>
/// The VRAM exporter done properly, the way VFIO exports a BAR (drivers/vfio/pci/vfio_pci_dmabuf.c): keep the CPU
/// physical ranges (<c>phys_vec</c>) and the BAR's P2P provider, and let <c>dma_buf_phys_vec_to_sgt()</c>
/// (drivers/dma-buf/dma-buf-mapping.c) ask the map type for this importer and produce the DMA addresses: the PCI bus
/// address (with the BAR's bus offset) for BusAddr, an MMIO mapping for ThruHostBridge, an error otherwise.
/// </summary>
internal sealed class ProperExporter : DmaBufOps
{
    private readonly P2PProvider _provider;
    private readonly IReadOnlyList<PhysRange> _ranges;
    private readonly ulong _size;

    public ProperExporter(VramBuffer vram)
    {
        // pcim_p2pdma_init() once per device, then pcim_p2pdma_provider(pdev, bar): the provider knows the BAR's owner
        // and bus offset, which the map type and the bus address need.
        PciP2PDma.Init(vram.Gpu);
        _provider = PciP2PDma.Provider(vram.Gpu, vram.Bar.Index)
            ?? throw new InvalidOperationException($"{vram.Gpu.Name} has no P2P provider for BAR{vram.Bar.Index}.");
        _ranges = vram.Blocks;
        _size = vram.Size;
    }

    /// <summary><c>vfio_pci_dma_buf_attach</c>: only importers that accept peer memory may attach.</summary>
    public override DmaError Attach(DmaBufAttachment attach) =>
        attach.Peer2Peer ? DmaError.None : DmaError.NotSupported;

    /// <summary><c>vfio_pci_dma_buf_map</c>: <c>dma_buf_phys_vec_to_sgt(attach, provider, phys_vec, nr_ranges, size, dir)</c>.</summary>
    public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction) =>
        DmaBufMapping.PhysVecToSgt(attach, _provider, _ranges, _size, direction);

    /// <summary><c>vfio_pci_dma_buf_unmap</c>: <c>dma_buf_free_sgt()</c>, which never unmaps bus addresses.</summary>
    public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) =>
        DmaBufMapping.FreeSgt(attach, table, direction);
}
