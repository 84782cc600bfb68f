using Microsoft.CodeAnalysis;

namespace P2PAnalyzers;

/// <summary>The descriptors of every rule: titles, messages and defaults in one place (docs, presets and the README table derive from them).</summary>
internal static class Descriptors
{
    public static readonly DiagnosticDescriptor P2P0001PhysicalAddressAsDmaAddress = Rule(
        RuleIdentifiers.PhysicalAddressAsDmaAddress,
        title: "CPU physical address used as a DMA address",
        messageFormat: "'{0}' holds a CPU physical address ({1}) and is used as a DMA address ({2}); map it first",
        description: "A device must be programmed with a DMA address: an IOVA behind an IOMMU, or a PCI bus address for a switch-local peer. A CPU physical address (a BAR's start, page_to_phys, virt_to_phys) is none of these; the habanalabs dma-buf exporter's sg_dma_address(sg) = bar_address faults behind an IOMMU and misroutes with a bus offset.");

    public static readonly DiagnosticDescriptor P2P0002PhysicalAddressAsBusAddress = Rule(
        RuleIdentifiers.PhysicalAddressAsBusAddress,
        title: "CPU physical address used as a PCI bus address",
        messageFormat: "'{0}' holds a CPU physical address ({1}) and is used as a PCI bus address ({2}); the host bridge's bus offset is ignored",
        description: "A PCI bus address is the CPU physical address plus the host bridge's bus offset (pci_bus_address, provider bus_offset). On ARM and POWER host bridges that translate, using the CPU address on the bus reaches the wrong device.");

    public static readonly DiagnosticDescriptor P2P0003HandBuiltDmaOnlyTable = Rule(
        RuleIdentifiers.HandBuiltDmaOnlyTable,
        title: "Hand-built DMA-only scatterlist leaves the driver",
        messageFormat: "'{0}' fills scatterlist entries with DMA addresses by hand and returns the table to a dma-buf importer; use DmaBufMapping.PhysVecToSgt",
        description: "The amdgpu, xe and habanalabs exporters build tables with null pages and DMA addresses they computed themselves (the \"scatterlist abuse\"). dma_buf_phys_vec_to_sgt builds such tables correctly for every map type and dma_buf_free_sgt undoes them without unmapping bus addresses.");

    public static readonly DiagnosticDescriptor P2P0004ImporterReadsPages = Rule(
        RuleIdentifiers.ImporterReadsPages,
        title: "Importer reads the pages of an imported dma-buf table",
        messageFormat: "'{0}' reads {1} of an entry of a table imported from a dma-buf ({2}); only DMA addresses are valid there",
        description: "An exporter of peer memory hands out tables without valid pages; CONFIG_DMABUF_DEBUG scrambles them to catch importers that look. Use sg.DmaAddress and sg.DmaLength of the DMA segments only.");

    public static readonly DiagnosticDescriptor P2P0010PeerMemoryMappedWithoutMapType = Rule(
        RuleIdentifiers.PeerMemoryMappedWithoutMapType,
        title: "Peer memory mapped without consulting the map type",
        messageFormat: "{0} maps peer memory ({1}) for '{2}' without a map-type decision for that provider and device; a switch-local peer needs its bus address",
        description: "dma_map_resource and the other generic calls know nothing of P2P: for a PCI_P2PDMA_MAP_BUS_ADDR peer the switch decodes the address as a bus address and the IOMMU mapping is never used (amdgpu, xe, habanalabs, the 2022 VFIO RFC). Ask pci_p2pdma_map_type, or use the one-call P2P mapping.");

    public static readonly DiagnosticDescriptor P2P0011DistanceAsMappingDecision = Rule(
        RuleIdentifiers.DistanceAsMappingDecision,
        title: "P2P distance used as the mapping decision",
        messageFormat: "'{0}' decides the mapping path ({1}) from the P2P distance alone; a non-negative distance covers both bus-address and through-host-bridge peers",
        description: "pci_p2pdma_distance says whether P2P is possible, not how to map it. A distance check followed by a generic mapping call misroutes switch-local transfers. Ask the map type, or use the one-call P2P mapping.");

    public static readonly DiagnosticDescriptor P2P0012IncompleteMapTypeHandling = Rule(
        RuleIdentifiers.IncompleteMapTypeHandling,
        title: "Map-type handling incomplete",
        messageFormat: "This {0} on the P2P map type {1}",
        description: "Every map type needs its own path: BusAddr gets the bus address (nothing mapped), ThruHostBridge is mapped as MMIO, NotSupported fails, None maps as RAM (blk_dma_map_iter_start, dma_buf_phys_vec_to_sgt).");

    public static readonly DiagnosticDescriptor P2P0013BusAddressUnmapped = Rule(
        RuleIdentifiers.BusAddressUnmapped,
        title: "Bus address unmapped",
        messageFormat: "{0} unmaps '{1}', which {2}; bus addresses are never mapped, so never unmapped",
        description: "A PCI bus address handed out for a BUS_ADDR peer was never mapped in any IOMMU; unmapping it frees someone else's IOVA or trips DMA debugging. nvme-pci tracks IOD_P2P_BUS_ADDR for this; dma_unmap_sgtable skips entries marked SG_DMA_BUS_ADDRESS.");

    public static readonly DiagnosticDescriptor P2P0014SkipCpuSyncForMmio = Rule(
        RuleIdentifiers.SkipCpuSyncForMmio,
        title: "CPU-sync-skip attribute used where MMIO is meant",
        messageFormat: "{0} {1} with DmaAttrs.SkipCpuSync; peer BAR memory is MMIO: use DmaAttrs.Mmio",
        description: "DMA_ATTR_SKIP_CPU_SYNC is about cache maintenance of RAM and says nothing for MMIO; BAR memory is mapped with DMA_ATTR_MMIO (amdgpu, habanalabs and the VFIO RFC used the former).");

    public static readonly DiagnosticDescriptor P2P0020MappingErrorNotChecked = Rule(
        RuleIdentifiers.MappingErrorNotChecked,
        title: "Mapping used without its error check",
        messageFormat: "The address {0} returns reaches {2} as '{1}' on a path where Dma.MappingError was not asked; check the mapping first",
        description: "A streaming mapping can fail (no IOVA space, an address the device cannot reach, swiotlb full) and then returns DMA_MAPPING_ERROR, which must be tested with dma_mapping_error() before the address goes to a device, into a scatterlist or to its unmap (Documentation/core-api/dma-api-howto.rst). CONFIG_DMA_API_DEBUG reports 'device driver failed to check map error'; the kernel's history has hundreds of commits adding the missing check.");

    public static readonly DiagnosticDescriptor P2P0021UnmapDoesNotMatchMap = Rule(
        RuleIdentifiers.UnmapDoesNotMatchMap,
        title: "Unmap does not match its map",
        messageFormat: "{0} unmaps '{1}' with {2} {3}, but it was mapped by {4} with {5}; unmap with what the map was given",
        description: "dma_unmap_* must be given the size and direction the mapping was made with (Documentation/core-api/dma-api.rst): the direction decides which cache maintenance and bounce-buffer copy the unmap does, the size how much. CONFIG_DMA_API_DEBUG reports 'device driver frees DMA memory with different size/direction'; ath10k's management frames were unmapped DMA_FROM_DEVICE after being mapped DMA_TO_DEVICE.");

    public static readonly DiagnosticDescriptor P2P0022MappingLeaked = Rule(
        RuleIdentifiers.MappingLeaked,
        title: "Mapping leaked on a path",
        messageFormat: "The mapping {0} made here is still mapped {1}; unmap it on that path (or hand it on) before leaving",
        description: "A function that fails must leave nothing behind: the kernel unwinds what it mapped with dma_unmap_* on its error path (goto err_unmap, Documentation/core-api/dma-api-howto.rst: 'clean up all DMA mappings which have already been mapped when there is an error in the middle'), and an address kept only in a local is lost wherever the function leaves without unmapping it. A leaked mapping is never unmapped: the IOVA space or swiotlb slots leak, and CONFIG_DMA_API_DEBUG reports it at unbind. io_uring's zcrx and cx25821's ALSA driver were fixed for exactly this in 2025.");

    public static readonly DiagnosticDescriptor P2P0023UseAfterUnmap = Rule(
        RuleIdentifiers.UseAfterUnmap,
        title: "DMA address used after its unmap",
        messageFormat: "'{0}' reaches {1} after {2}; a DMA address maps nothing once it is unmapped or its mapping failed",
        description: "Once dma_unmap_* has run, or dma_mapping_error() has said the mapping failed, the address maps nothing: a second unmap frees an IOVA range that may already belong to another mapping, a sync touches a bounce buffer that is gone, and a device given the address writes wherever it now points. CONFIG_DMA_API_DEBUG reports 'device driver tries to free DMA memory it has already freed' or 'has not allocated', and 'sync DMA memory it has not allocated'. The Amlogic A4 SPI flash controller (aml_sfc_dma_buffer_setup, CVE-2026-43461) unmapped its data buffer twice and unmapped a failed mapping on its error path.");

    public static readonly DiagnosticDescriptor P2P0024ScatterlistCountConfusion = Rule(
        RuleIdentifiers.ScatterlistCountConfusion,
        title: "Scatterlist entry count and mapped segment count confused",
        messageFormat: "{0}; {1}",
        description: "dma_map_sg returns how many DMA segments it made, fewer than the entries mapped when an IOMMU merges them. dma_unmap_sg and dma_sync_sg_for_cpu/for_device take the nents given to dma_map_sg, not that count (Documentation/core-api/dma-api.rst); with fewer, entries stay mapped and unsynced, and DMA-API debugging reports 'frees DMA sg list with different entry count'. The DMA addresses, on the other hand, are in the first count entries only: a loop over the nents given reads DMA_MAPPING_ERROR past them (the documentation's for_each_sg(sglist, sg, count, i)). mvsdio, bcm2835 and mvsas were fixed for the first; DRM's 2020 'struct sg_table nents vs. orig_nents misuse' series for both.");

    private static DiagnosticDescriptor Rule(string id, string title, string messageFormat, string description) => new(
        id: id,
        title: title,
        messageFormat: messageFormat,
        category: RuleIdentifiers.Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: description,
        helpLinkUri: RuleIdentifiers.HelpLink(id));
}
