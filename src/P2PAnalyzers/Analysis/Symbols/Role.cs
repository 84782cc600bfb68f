namespace P2PAnalyzers.Analysis;

/// <summary>What a member of the companion library means to the analysis.</summary>
internal enum Role : byte
{
    None,

    // Sources of CPU physical addresses.
    PhysRaw,
    PhysFromRaw,
    BarCpuStart,
    BarCpuRange,
    PagePhys,
    PagePfn,
    SgPhys,
    SgPage,
    BufferPhys,
    BufferVirtToPhys,
    BufferPage,
    PhysToPage,

    /// <summary>P2P memory (<c>pci_alloc_p2pmem</c>, <c>pci_p2pmem_alloc_sgl</c>): a buffer or a list of a peer's BAR pages.</summary>
    P2PMemAlloc,
    RangeStart,

    // Bus and DMA addresses.
    BusStart,
    BusAddressOf,
    BusRaw,
    BusFromRaw,
    DmaRaw,
    DmaFromRaw,

    // Generic (legacy) mapping calls.
    MapResource,
    MapPhys,
    MapPage,
    MapSingle,
    MapSg,

    /// <summary><c>dma_map_sg</c> since Linux 6.2: the P2P-aware path of <see cref="MapSgTable"/>, returning the DMA segment count.</summary>
    MapSgAware,

    // Proper mapping calls.
    MapP2P,
    MapSgTable,
    BusAddrMap,
    MappingAddress,
    MappingIsBusAddress,
    MappingMapType,
    PhysVecToSgt,

    // Map-type decisions and distances.
    MapTypeQuery,
    StateQuery,
    DescribeQuery,
    Distance,
    DistanceMany,

    // Unmaps.
    UnmapPage,
    UnmapSingle,
    UnmapPhys,
    UnmapResource,
    UnmapSg,
    UnmapSgTable,

    // Tables, dma-buf and objects.
    SgAlloc,
    SgDmaAddress,
    SgIsBusAddress,
    SgSetPage,
    SgNext,
    AttachMap,
    AttachPeer2Peer,
    ResultValue,
    ProviderBar,
    DeviceBar,
    ProviderGet,
    MappingError,
    BusOffset,
    ResultOk,

    // Syncs of a scatterlist given its entry count (dma_sync_sg_for_cpu / for_device).
    SyncSg,

    /// <summary>A device reads or writes memory at a DMA address (the simulated fabric's transfers).</summary>
    DeviceDma,

    // Syncs of a single mapping (dma_sync_single_for_cpu / for_device, and their _range forms).
    SyncSingle,
}
