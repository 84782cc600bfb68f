using System;
using System.Collections.Generic;
using System.Linq;

namespace P2PDma.Pci.Description;

/// <summary>
/// Enumerates the hierarchy the way firmware does: host bridge by host bridge, depth first, each bridge taking the next
/// free bus number in its domain, so a host bridge's root bus and everything below it are numbered before the next
/// host bridge. Root buses given explicitly are kept free from the start. Produces every function's address and a
/// parent-first order to construct them in.
/// </summary>
internal sealed class BusNumbering
{
    private const int MaxBus = 0xff;

    private readonly Dictionary<int, HashSet<int>> _usedBuses = new();
    private readonly Dictionary<int, int> _lastBus = new();
    private readonly Dictionary<PciBdf, FunctionSpec> _taken = new();
    private readonly Dictionary<PciBdf, string> _hostFunctions = new();
    private readonly ILookup<string, FunctionSpec> _children;
    private readonly List<TopologyError> _errors;

    private BusNumbering(TopologySpec spec, List<TopologyError> errors)
    {
        _children = spec.Functions.ToLookup(f => f.Parent, StringComparer.Ordinal);
        _errors = errors;
    }

    public Dictionary<string, int> RootBus { get; } = new(StringComparer.Ordinal);

    public List<(FunctionSpec Spec, PciBdf Bdf, string HostBridge)> Order { get; } = new();

    public static BusNumbering Assign(TopologySpec spec, List<TopologyError> errors)
    {
        var numbering = new BusNumbering(spec, errors);
        var explicitRoots = new HashSet<HostBridgeSpec>();
        foreach (HostBridgeSpec hb in spec.HostBridges.Where(h => h.RootBus is not null))
        {
            if (!numbering.Used(hb.Domain).Add(hb.RootBus!.Value))
            {
                errors.Add(new TopologyError(hb.Line, $"{Keywords.HostBridge} {hb.Name}", "bus",
                    $"root bus {hb.Domain:x4}:{hb.RootBus:x2} is already used by another host bridge"));
                continue;
            }

            explicitRoots.Add(hb);
        }

        foreach (HostBridgeSpec hb in spec.HostBridges)
        {
            int bus;
            if (explicitRoots.Contains(hb))
            {
                // The subtree follows its own root bus, wherever earlier host bridges ended.
                bus = hb.RootBus!.Value;
                numbering._lastBus[hb.Domain] = bus;
            }
            else if (hb.RootBus is null && numbering.TakeNextBus(hb.Domain, hb.Line, $"{Keywords.HostBridge} {hb.Name}", "bus") is int next)
            {
                bus = next;
            }
            else
            {
                continue;
            }

            numbering.RootBus[hb.Name] = bus;
            if (hb.HostFunction)
            {
                numbering._hostFunctions[new PciBdf(hb.Domain, bus, 0, 0)] = hb.Name;
            }

            numbering.PlaceChildren(hb.Name, hb.Domain, bus, firstAutoSlot: 1, sequentialSlots: true, hb.Name);
        }

        numbering.CheckFunctionZero();
        return numbering;
    }

    private void PlaceChildren(string parent, int domain, int bus, int firstAutoSlot, bool sequentialSlots, string hostBridge)
    {
        // Automatic slots step over the slots siblings take explicitly, wherever those siblings are declared.
        var explicitSlots = new HashSet<int>(_children[parent].Where(c => c.Slot is not null).Select(c => c.Slot!.Value));
        int nextSlot = firstAutoSlot;
        foreach (FunctionSpec child in _children[parent])
        {
            int slot;
            if (child.Slot is int given)
            {
                slot = given;
            }
            else if (sequentialSlots)
            {
                while (explicitSlots.Contains(nextSlot))
                {
                    nextSlot++;
                }

                slot = nextSlot++;
            }
            else
            {
                slot = 0; // below a root port or downstream port: the one device on the link
            }

            var bdf = new PciBdf(domain, bus, slot, child.Function);
            if (_hostFunctions.TryGetValue(bdf, out string? host))
            {
                _errors.Add(new TopologyError(child.Line, child.Subject, "slot",
                    $"address {bdf} is the host bridge function of '{host}' (declare the host bridge with host-function=no to free slot 0)"));
                continue;
            }

            if (_taken.TryGetValue(bdf, out FunctionSpec? other))
            {
                _errors.Add(new TopologyError(child.Line, child.Subject, child.Slot is null ? "function" : "slot",
                    $"address {bdf} is already taken by '{other.Name}'"));
                continue;
            }

            _taken[bdf] = child;
            Order.Add((child, bdf, hostBridge));
            if (child.Kind == PciDeviceKind.Endpoint)
            {
                continue;
            }

            if (TakeNextBus(domain, child.Line, child.Subject, "parent") is not int secondary)
            {
                continue;
            }

            bool internalBus = child.Kind == PciDeviceKind.SwitchUpstreamPort;
            PlaceChildren(child.Name, domain, secondary, firstAutoSlot: 0, sequentialSlots: internalBus, hostBridge);
        }
    }

    private HashSet<int> Used(int domain)
    {
        if (!_usedBuses.TryGetValue(domain, out HashSet<int>? used))
        {
            used = new HashSet<int>();
            _usedBuses[domain] = used;
        }

        return used;
    }

    /// <summary>The first bus number after the last one assigned in the domain that nothing uses or keeps; null (and an error) past 0xff.</summary>
    private int? TakeNextBus(int domain, int? line, string subject, string field)
    {
        HashSet<int> used = Used(domain);
        int bus = _lastBus.TryGetValue(domain, out int last) ? last + 1 : 0;
        while (used.Contains(bus))
        {
            bus++;
        }

        if (bus > MaxBus)
        {
            _errors.Add(new TopologyError(line, subject, field, $"domain {domain:x4} has run out of bus numbers"));
            return null;
        }

        used.Add(bus);
        _lastBus[domain] = bus;
        return bus;
    }

    private void CheckFunctionZero()
    {
        foreach (var device in _taken.GroupBy(kv => (kv.Key.Domain, kv.Key.Bus, kv.Key.Device)))
        {
            if (_hostFunctions.ContainsKey(new PciBdf(device.Key.Domain, device.Key.Bus, device.Key.Device, 0)))
            {
                continue; // functions 00.1-00.7 of the host bridge device
            }

            if (device.All(kv => kv.Key.Function != 0))
            {
                FunctionSpec first = device.OrderBy(kv => kv.Key.Function).First().Value;
                _errors.Add(new TopologyError(first.Line, first.Subject, "function",
                    $"device {device.Key.Domain:x4}:{device.Key.Bus:x2}:{device.Key.Device:x2} has no function 0"));
            }
        }
    }
}
