using System;
using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Fabric;

/// <summary>
/// The PCIe fabric of a topology: routes a device's DMA the way the hardware does, so that running code shows where
/// a DMA address really lands.
/// <list type="number">
/// <item>An address in one of the initiator's own BARs, as a bus address, is decoded by the device itself (an NVMe
/// controller's queues in its CMB, <c>pci_bus_address</c>): it never leaves the function.</item>
/// <item>A switch on the way up decodes the address as a PCI bus address: if it falls in a BAR below the nearest common
/// upstream device and no ACS redirect sits on the path, the transaction goes there and never meets the IOMMU.</item>
/// <item>Otherwise it reaches the root complex: the device's IOMMU domain translates it (no mapping: IOMMU fault).
/// Under dma-direct, an address that is RAM once the host bridge's inbound offset is removed goes to RAM; any other
/// address is taken as a CPU physical address, because that is what dma-direct hands out for MMIO
/// (<c>dma_direct_map_resource</c>, <c>dma_map_phys</c> with <c>DMA_ATTR_MMIO</c>: no offset).</item>
/// <item>The physical address then hits RAM, or a BAR if the root complex forwards peer-to-peer (the same CPU and
/// allowlist rule as <c>calc_map_type_and_dist</c>), or nothing (unclaimed).</item>
/// </list>
/// Transactions are routed page by page; a transaction with any faulting page moves no bytes.
/// </summary>
public sealed class DmaFabric
{
    private readonly PciTopology _topology;

    internal DmaFabric(PciTopology topology) => _topology = topology;

    /// <summary>Where <paramref name="length"/> bytes of DMA by <paramref name="initiator"/> at <paramref name="address"/> go.</summary>
    public DmaRoute Route(PciDevice initiator, DmaAddr address, ulong length, DmaAccess access = DmaAccess.Read)
    {
        Check.NotNull(initiator, nameof(initiator));
        if (initiator.Topology != _topology)
        {
            throw new ArgumentException($"{initiator} belongs to another topology.", nameof(initiator));
        }

        if (length == 0 || address.Raw + (length - 1) < address.Raw)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"length 0x{length:x} at {address} is empty or wraps around 2^64.");
        }

        var segments = new List<DmaRouteSegment>();
        for (ulong done = 0; done < length;)
        {
            ulong at = address.Raw + done;
            ulong chunk = Math.Min(Paging.PageSize - (at & (Paging.PageSize - 1)), length - done);
            DmaLanding landing = RouteChunk(initiator, at, chunk, access);
            Append(segments, new DmaRouteSegment(DmaAddr.FromRaw(at), chunk, landing));
            done += chunk;
        }

        return new DmaRoute(initiator, address, length, access, segments);
    }

    /// <summary>The device reads <paramref name="length"/> bytes at <paramref name="address"/>.</summary>
    public DmaTransfer Read(PciDevice initiator, DmaAddr address, int length)
    {
        if (length <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "length must be positive.");
        }

        DmaRoute route = Route(initiator, address, (ulong)length, DmaAccess.Read);
        if (!route.Succeeded)
        {
            return new DmaTransfer(route, Array.Empty<byte>());
        }

        var data = new byte[length];
        int done = 0;
        foreach (DmaRouteSegment s in route.Segments)
        {
            Array.Copy(_topology.Memory.Read(s.Landing.Phys, (int)s.Length), 0, data, done, (int)s.Length);
            done += (int)s.Length;
        }

        return new DmaTransfer(route, data);
    }

    /// <summary>The device writes <paramref name="data"/> at <paramref name="address"/>.</summary>
    public DmaTransfer Write(PciDevice initiator, DmaAddr address, byte[] data)
    {
        Check.NotNull(data, nameof(data));
        if (data.Length == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(data), "nothing to write.");
        }

        DmaRoute route = Route(initiator, address, (ulong)data.Length, DmaAccess.Write);
        if (route.Succeeded)
        {
            int done = 0;
            foreach (DmaRouteSegment s in route.Segments)
            {
                _topology.Memory.Write(s.Landing.Phys, data.Skip(done).Take((int)s.Length).ToArray());
                done += (int)s.Length;
            }
        }

        return new DmaTransfer(route, Array.Empty<byte>());
    }

    private DmaLanding RouteChunk(PciDevice initiator, ulong address, ulong length, DmaAccess access)
    {
        if (address + (length - 1) > initiator.DmaMask)
        {
            return Fault(DmaFaultKind.BeyondDmaMask, $"0x{address:x} is above the DMA mask 0x{initiator.DmaMask:x} of {initiator.Name}");
        }

        // A function decodes its own BARs' bus addresses itself (an NVMe controller fetching a queue from its CMB):
        // the request never leaves the device, at the bus address and never at the CPU address.
        var bus = PciBusAddr.FromRaw(address);
        if (initiator.Bars.FirstOrDefault(b => b.ContainsBus(bus, length)) is PciBar own)
        {
            return new DmaLanding(own.CpuAddressOf(bus), own, null, $"{initiator.Name} decoded {bus} as its own BAR{own.Index}");
        }

        var hops = new List<string>();
        if (PeerDecode(initiator, bus, length, hops) is DmaLanding peer)
        {
            return peer;
        }

        PciHostBridge host = initiator.HostBridge;
        if (initiator.IommuDomain is not IommuDomain domain)
        {
            return DirectInbound(initiator, host, address, length, hops);
        }

        var iova = DmaAddr.FromRaw(address);
        if (!domain.TryTranslate(iova, out PhysAddr phys, out IommuProt prot))
        {
            string why = domain.IsPendingSync(iova) ? "linked but not yet synced" : "not mapped";
            return Fault(DmaFaultKind.IommuFault, Join(hops, $"IOMMU of {host.Name}: IOVA 0x{address:x} {why} for {initiator.Name}"));
        }

        IommuProt needed = access == DmaAccess.Read ? IommuProt.Read : IommuProt.Write;
        if ((prot & needed) == 0)
        {
            return Fault(DmaFaultKind.IommuPermission, Join(hops, $"IOMMU of {host.Name}: {access} to IOVA 0x{address:x} not permitted ({prot})"));
        }

        hops.Add($"IOMMU of {host.Name} translated IOVA 0x{address:x} to {phys}");
        return _topology.IsRam(phys, length) ? Ram(phys, hops) : ResolveMmio(initiator, phys, length, hops);
    }

    /// <summary>
    /// The root complex under dma-direct. RAM is reached at <c>phys + DmaOffset</c> (<c>phys_to_dma</c>), but MMIO at
    /// its CPU physical address (<c>dma_direct_map_resource</c> adds no offset), so the offset is removed only when
    /// that gives RAM; any other address can only be a BAR's CPU physical address.
    /// </summary>
    private DmaLanding DirectInbound(PciDevice initiator, PciHostBridge host, ulong address, ulong length, List<string> hops)
    {
        var ram = PhysAddr.FromRaw(unchecked(address - (ulong)host.DmaOffset));
        if (_topology.IsRam(ram, length))
        {
            hops.Add(host.DmaOffset == 0 ? $"root complex {host.Name} (dma-direct)" : $"root complex {host.Name} removed inbound offset 0x{host.DmaOffset:x}");
            return Ram(ram, hops);
        }

        hops.Add(host.DmaOffset == 0
            ? $"root complex {host.Name} (dma-direct)"
            : $"root complex {host.Name} (dma-direct): not RAM after removing inbound offset 0x{host.DmaOffset:x}, so MMIO at its CPU physical address");
        return ResolveMmio(initiator, PhysAddr.FromRaw(address), length, hops);
    }

    /// <summary>A switch (or port) on the way up claims the bus address for a BAR below it, unless ACS redirects.</summary>
    private DmaLanding? PeerDecode(PciDevice initiator, PciBusAddr bus, ulong length, List<string> hops)
    {
        PciBar? target = _topology.Devices
            .Where(d => d.HostBridge == initiator.HostBridge)
            .SelectMany(d => d.Bars)
            .FirstOrDefault(b => b.ContainsBus(bus, length));
        if (target is null)
        {
            return null;
        }

        P2PPath path = PciP2PDma.Describe(target.Device, initiator);
        if (path.CommonUpstream is not PciDevice common)
        {
            return null;
        }

        if (path.AcsRedirects.Count > 0)
        {
            hops.Add($"ACS redirect at {string.Join(", ", path.AcsRedirects.Select(d => d.Name))} sent {bus} up to the root complex");
            return null;
        }

        hops.Add($"{common.Name} decoded {bus} as {target.Device.Name} BAR{target.Index} (never reached the IOMMU)");
        return new DmaLanding(target.CpuAddressOf(bus), target, null, string.Join("; ", hops));
    }

    private static DmaLanding Ram(PhysAddr phys, List<string> hops) => new(phys, null, null, string.Join("; ", hops));

    /// <summary>A physical address that is not RAM: a BAR, if the root complex forwards peer-to-peer to it, or nothing.</summary>
    private DmaLanding ResolveMmio(PciDevice initiator, PhysAddr phys, ulong length, List<string> hops)
    {
        if (_topology.FindBar(phys) is PciBar bar && bar.Contains(phys, length))
        {
            bool forwards = _topology.Cpu.SupportsP2PDma || HostBridgeAllowlist.Allows(initiator, bar.Device);
            if (!forwards)
            {
                return Fault(DmaFaultKind.PeerForwardingBlocked,
                    Join(hops, $"root complex does not forward peer-to-peer from {initiator.Name} to {bar}"));
            }

            hops.Add($"root complex forwarded to {bar.Device.Name} BAR{bar.Index}");
            return new DmaLanding(phys, bar, null, string.Join("; ", hops));
        }

        return Fault(DmaFaultKind.Unclaimed, Join(hops, $"nothing claims {phys} (unsupported request)"));
    }

    private static string Join(List<string> hops, string last) => string.Join("; ", hops.Append(last));

    private static DmaLanding Fault(DmaFaultKind kind, string why) => new(default, null, kind, why);

    private static void Append(List<DmaRouteSegment> segments, DmaRouteSegment next)
    {
        int last = segments.Count - 1;
        if (last >= 0)
        {
            DmaLanding prev = segments[last].Landing;
            bool contiguous = prev.Reached && next.Landing.Reached && prev.Bar == next.Landing.Bar
                && prev.Phys.Raw + segments[last].Length == next.Landing.Phys.Raw;
            bool sameFault = !prev.Reached && !next.Landing.Reached && prev.Fault == next.Landing.Fault;
            if (contiguous || sameFault)
            {
                segments[last] = segments[last] with { Length = segments[last].Length + next.Length };
                return;
            }
        }

        segments.Add(next);
    }
}
