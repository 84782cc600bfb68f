using System;
using System.Collections.Generic;
using P2PDma.Pci;

namespace P2PDma.P2P;

public static partial class PciP2PDma
{
    /// <summary>
    /// Publishes (or withdraws) <paramref name="pdev"/>'s P2P memory for other drivers to find with
    /// <see cref="FindMany"/> (<c>pci_p2pmem_publish</c>); does nothing before <see cref="Init"/> or
    /// <see cref="AddResource"/>, as the kernel does nothing without <c>pdev-&gt;p2pdma</c>.
    /// </summary>
    public static void Publish(PciDevice pdev, bool publish = true)
    {
        ThrowIfNull(pdev, nameof(pdev));
        pdev.P2P.SetP2PMemPublished(publish);
    }

    /// <summary>
    /// The device with published P2P memory closest to all <paramref name="clients"/> (<c>pci_p2pmem_find_many</c>):
    /// every function of the clients' topology that has memory added with <see cref="AddResource"/> and
    /// <see cref="Publish"/>ed is measured with <see cref="DistanceMany"/>; unsupported ones are skipped and the
    /// smallest total distance wins. Null when none qualifies. The kernel breaks ties at random
    /// (<c>get_random_u32_below</c>); here <paramref name="pick"/> chooses among the tied devices, in address order
    /// (given their count, it returns an index), and by default the first is taken.
    /// </summary>
    /// <exception cref="ArgumentException">The clients belong to no topology (none has a PCI parent) or to several.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pick"/> returned an index outside the tied devices.</exception>
    public static PciDevice? FindMany(IReadOnlyList<Device> clients, Func<int, int>? pick = null)
    {
        ThrowIfNull(clients, nameof(clients));
        PciTopology? topology = null;
        foreach (Device client in clients)
        {
            ThrowIfNull(client, nameof(clients));
            PciTopology? own = client.NearestPciDevice()?.Topology;
            if (own is not null && topology is not null && own != topology)
            {
                throw new ArgumentException("the clients belong to different topologies.", nameof(clients));
            }

            topology ??= own;
        }

        if (topology is null)
        {
            return null; // no client is or sits below a PCI device: every distance is -1
        }

        var closest = new List<PciDevice>();
        int closestDistance = int.MaxValue;
        foreach (PciDevice pdev in topology.Devices)
        {
            if (!pdev.P2P.HasP2PMem)
            {
                continue;
            }

            int distance = DistanceMany(pdev, clients);
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

        if (closest.Count == 0)
        {
            return null;
        }

        int index = pick?.Invoke(closest.Count) ?? 0;
        return index >= 0 && index < closest.Count
            ? closest[index]
            : throw new ArgumentOutOfRangeException(nameof(pick), $"pick returned {index}, outside 0..{closest.Count - 1}.");
    }
}
