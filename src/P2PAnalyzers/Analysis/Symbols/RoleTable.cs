using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>Which library member plays which role; the one table the analysis consults.</summary>
internal static class RoleTable
{
    /// <summary>
    /// The names of the library members that make a fact the whole-program summary carries (<see cref="FactProducers"/>:
    /// an address, a table, a distance, a map type, a bus offset): a body that names none of them (in a file that uses
    /// the library) makes no such fact itself, so the summary starts from the bodies that do. Members that only name an
    /// object (a device's BAR, a provider) make identities, which do not travel on their own. A body that names the map
    /// type's type may keep a map type of unknown provider (a parameter) in a field: it starts the summary too.
    /// </summary>
    public static HashSet<string> ProducerNames(KnownSymbols k)
    {
        var roles = new Dictionary<ISymbol, Role>(SymbolEqualityComparer.Default);
        Fill(k, roles);
        var names = new HashSet<string>(System.StringComparer.Ordinal) { "SkipCpuSync", "P2PMapType" };
        foreach (KeyValuePair<ISymbol, Role> entry in roles)
        {
            FactShapes made = FactProducers.Of(entry.Value);
            if (!made.IsEmpty && !made.Equals(FactShapes.Of(FactKind.Identity)))
            {
                names.Add(entry.Key.Name);
            }
        }

        return names;
    }

    public static void Fill(KnownSymbols k, Dictionary<ISymbol, Role> roles)
    {
        void Add(INamedTypeSymbol? type, string member, Role role)
        {
            if (type is null)
            {
                return;
            }

            foreach (ISymbol symbol in type.GetMembers(member))
            {
                roles[symbol] = role;
            }
        }

        Add(k.PhysAddr, "Raw", Role.PhysRaw);
        Add(k.PhysAddr, "FromRaw", Role.PhysFromRaw);
        Add(k.PciBusAddr, "Raw", Role.BusRaw);
        Add(k.PciBusAddr, "FromRaw", Role.BusFromRaw);
        Add(k.DmaAddr, "Raw", Role.DmaRaw);
        Add(k.DmaAddr, "FromRaw", Role.DmaFromRaw);
        Add(k.PhysRange, "Start", Role.RangeStart);

        Add(k.PciBar, "CpuStart", Role.BarCpuStart);
        Add(k.PciBar, "CpuRange", Role.BarCpuRange);
        Add(k.PciBar, "BusStart", Role.BusStart);
        Add(k.PciBar, "BusAddressOf", Role.BusAddressOf);
        Add(k.PciDevice, "Bar", Role.DeviceBar);
        Add(k.P2PProvider, "Bar", Role.ProviderBar);

        Add(k.Page, "Phys", Role.PagePhys);
        Add(k.Page, "Pfn", Role.PagePfn);
        Add(k.Compilation.GetTypeByMetadataName("P2PDma.Memory.KernelBuffer"), "Phys", Role.BufferPhys);
        Add(k.Compilation.GetTypeByMetadataName("P2PDma.Memory.KernelBuffer"), "VirtToPhys", Role.BufferVirtToPhys);
        Add(k.Compilation.GetTypeByMetadataName("P2PDma.Memory.KernelBuffer"), "Page", Role.BufferPage);
        Add(k.Compilation.GetTypeByMetadataName("P2PDma.Memory.SystemMemory"), "PhysToPage", Role.PhysToPage);

        Add(k.Dma, "MapResource", Role.MapResource);
        Add(k.Dma, "MapPhys", Role.MapPhys);
        Add(k.Dma, "MapPage", Role.MapPage);
        Add(k.Dma, "MapSingle", Role.MapSingle);
        // Since Linux 6.2 dma_map_sg is the P2P-aware path of dma_map_sgtable, so the library's MapSg/UnmapSg play the
        // P2P-aware roles; the pre-6.2 behaviour is LegacyMapSg/LegacyUnmapSg, which keep the legacy roles.
        Add(k.Dma, "MapSg", Role.MapSgAware);
        Add(k.Dma, "LegacyMapSg", Role.MapSg);
        Add(k.Dma, "MapP2P", Role.MapP2P);
        Add(k.Dma, "MapSgTable", Role.MapSgTable);
        Add(k.Dma, "UnmapPage", Role.UnmapPage);
        Add(k.Dma, "UnmapSingle", Role.UnmapSingle);
        Add(k.Dma, "UnmapPhys", Role.UnmapPhys);
        Add(k.Dma, "UnmapResource", Role.UnmapResource);
        Add(k.Dma, "UnmapSg", Role.UnmapSgTable);
        Add(k.Dma, "LegacyUnmapSg", Role.UnmapSg);
        Add(k.Dma, "UnmapSgTable", Role.UnmapSgTable);
        Add(k.Dma, "MappingError", Role.MappingError);
        Add(k.Compilation.GetTypeByMetadataName("P2PDma.Fabric.DmaFabric"), "Read", Role.DeviceDma);
        Add(k.Compilation.GetTypeByMetadataName("P2PDma.Fabric.DmaFabric"), "Write", Role.DeviceDma);
        Add(k.Dma, "SyncSingleForCpu", Role.SyncSingle);
        Add(k.Dma, "SyncSingleForDevice", Role.SyncSingle);
        Add(k.Dma, "SyncSingleRangeForCpu", Role.SyncSingle);
        Add(k.Dma, "SyncSingleRangeForDevice", Role.SyncSingle);
        Add(k.Dma, "SyncSgForCpu", Role.SyncSg);
        Add(k.Dma, "SyncSgForDevice", Role.SyncSg);
        Add(k.P2PDmaMapping, "Address", Role.MappingAddress);
        Add(k.P2PDmaMapping, "IsBusAddress", Role.MappingIsBusAddress);
        Add(k.P2PDmaMapping, "MapType", Role.MappingMapType);

        Add(k.PciP2PDma, "BusAddrMap", Role.BusAddrMap);
        Add(k.PciP2PDma, "MapType", Role.MapTypeQuery);
        Add(k.PciP2PDma, "State", Role.StateQuery);
        Add(k.PciP2PDma, "Describe", Role.DescribeQuery);
        Add(k.PciP2PDma, "Distance", Role.Distance);
        Add(k.PciP2PDma, "DistanceMany", Role.DistanceMany);
        Add(k.PciP2PDma, "Provider", Role.ProviderGet);
        Add(k.PciP2PDma, "AllocMem", Role.P2PMemAlloc);
        Add(k.PciP2PDma, "AllocSgl", Role.P2PMemAlloc);

        Add(k.Scatterlist, "Phys", Role.SgPhys);
        Add(k.Scatterlist, "Page", Role.SgPage);
        Add(k.Scatterlist, "DmaAddress", Role.SgDmaAddress);
        Add(k.Scatterlist, "IsDmaBusAddress", Role.SgIsBusAddress);
        Add(k.Scatterlist, "SetPage", Role.SgSetPage);
        Add(k.Scatterlist, "Next", Role.SgNext);
        Add(k.SgTable, "Alloc", Role.SgAlloc);
        Add(k.DmaBufAttachment, "Map", Role.AttachMap);
        Add(k.DmaBufAttachment, "Peer2Peer", Role.AttachPeer2Peer);
        Add(k.DmaResult, "Value", Role.ResultValue);
        Add(k.DmaBufMapping, "PhysVecToSgt", Role.PhysVecToSgt);
        Add(k.DmaResult, "Ok", Role.ResultOk);
        Add(k.PciBar, "BusOffset", Role.BusOffset);
        Add(k.P2PProvider, "BusOffset", Role.BusOffset);
        Add(k.Compilation.GetTypeByMetadataName("P2PDma.P2P.P2PMapState"), "BusOffset", Role.BusOffset);
    }
}
