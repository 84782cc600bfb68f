using System.Collections.Generic;
using System.Linq;
using P2PDma.Pci;

namespace P2PDma.P2P;

/// <summary>The kernel's <c>calc_map_type_and_dist</c> (drivers/pci/p2pdma.c), step for step.</summary>
internal static class MapTypeCalculator
{
    public static P2PPath Calculate(PciDevice provider, PciDevice client)
    {
        var acs = new List<PciDevice>();
        int distA = 0;
        int distB = 0;

        // For each ancestor a of the provider (the provider first), look for a on the client's way up.
        for (PciDevice? a = provider; a is not null; a = a.Upstream, distA++)
        {
            distB = 0;
            if (a.HasAcsRedirect)
            {
                acs.Add(a);
            }

            for (PciDevice? bb = client; bb is not null; bb = bb.Upstream, distB++)
            {
                if (bb == a)
                {
                    return FromCommonAncestor(provider, client, a, distA + distB, acs);
                }
            }
        }

        // No common upstream device: only the host bridge(s) can carry the traffic.
        return ThroughHostBridge(provider, client, distA + distB, null, acs,
            $"{client.Name} and {provider.Name} do not share an upstream bridge");
    }

    private static P2PPath FromCommonAncestor(PciDevice provider, PciDevice client, PciDevice common, int distance, List<PciDevice> acs)
    {
        // The client side is checked up to, not including, the common device (the provider side included it).
        for (PciDevice? bb = client; bb is not null && bb != common; bb = bb.Upstream)
        {
            if (bb.HasAcsRedirect)
            {
                acs.Add(bb);
            }
        }

        if (acs.Count == 0)
        {
            return new P2PPath(P2PMapType.BusAddr, distance, common, acs,
                $"{client.Name} and {provider.Name} share upstream {common.Name} with no ACS redirect: use PCI bus addresses");
        }

        return ThroughHostBridge(provider, client, distance, common, acs,
            $"ACS redirect is set between {client.Name} and {provider.Name} ({string.Join(";", acs.Select(d => d.Bdf))})");
    }

    private static P2PPath ThroughHostBridge(PciDevice provider, PciDevice client, int distance, PciDevice? common,
        List<PciDevice> acs, string why)
    {
        PciTopology topology = provider.Topology;
        if (topology.Cpu.SupportsP2PDma || HostBridgeAllowlist.Allows(provider, client))
        {
            string by = topology.Cpu.SupportsP2PDma ? "the CPU forwards P2P between root ports" : "the host bridge is allowlisted";
            return new P2PPath(P2PMapType.ThruHostBridge, distance, common, acs, $"{why}; {by}: map through the host bridge");
        }

        return new P2PPath(P2PMapType.NotSupported, distance, common, acs,
            $"{why}; cannot be used for peer-to-peer DMA: no upstream bridge or allowlisted host bridge in common");
    }
}
