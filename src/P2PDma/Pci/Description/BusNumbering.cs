using System;
using System.Collections.Generic;
using System.Linq;

namespace P2PDma.Pci.Description;

/// <summary>
/// Enumerates the hierarchy the way firmware does: depth first, each bridge taking the next free bus number in its
/// domain. Produces every function's address and a parent-first order to construct them in.
/// </summary>
internal sealed class BusNumbering
{
    private readonly Dictionary<int, int> _nextBus = new();
    private readonly Dictionary<PciBdf, FunctionSpec> _taken = new();
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
        var rootBuses = new HashSet<(int, int)>();
        foreach (HostBridgeSpec hb in spec.HostBridges)
        {
            int bus = hb.RootBus ?? numbering.NextBus(hb.Domain);
            if (!rootBuses.Add((hb.Domain, bus)))
            {
                errors.Add(new TopologyError(hb.Line, $"{Keywords.HostBridge} {hb.Name}", "bus",
                    $"root bus {hb.Domain:x4}:{bus:x2} is already used by another host bridge"));
                continue;
            }

            numbering.Reserve(hb.Domain, bus);
            numbering.RootBus[hb.Name] = bus;
        }

        foreach (HostBridgeSpec hb in spec.HostBridges.Where(h => numbering.RootBus.ContainsKey(h.Name)))
        {
            numbering.PlaceChildren(hb.Name, hb.Domain, numbering.RootBus[hb.Name], firstAutoSlot: 1, sequentialSlots: true, hb.Name);
        }

        numbering.CheckFunctionZero();
        return numbering;
    }

    private void PlaceChildren(string parent, int domain, int bus, int firstAutoSlot, bool sequentialSlots, string hostBridge)
    {
        int nextSlot = firstAutoSlot;
        foreach (FunctionSpec child in _children[parent])
        {
            int slot = child.Slot ?? (sequentialSlots ? nextSlot++ : 0);
            var bdf = new PciBdf(domain, bus, slot, child.Function);
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

            int secondary = NextBus(domain);
            if (secondary > 0xff)
            {
                _errors.Add(new TopologyError(child.Line, child.Subject, "parent", $"domain {domain:x4} has run out of bus numbers"));
                continue;
            }

            Reserve(domain, secondary);
            bool internalBus = child.Kind == PciDeviceKind.SwitchUpstreamPort;
            PlaceChildren(child.Name, domain, secondary, firstAutoSlot: 0, sequentialSlots: internalBus, hostBridge);
        }
    }

    private int NextBus(int domain) => _nextBus.TryGetValue(domain, out int next) ? next : 0;

    private void Reserve(int domain, int bus) => _nextBus[domain] = Math.Max(NextBus(domain), bus + 1);

    private void CheckFunctionZero()
    {
        foreach (var device in _taken.GroupBy(kv => (kv.Key.Domain, kv.Key.Bus, kv.Key.Device)))
        {
            if (device.All(kv => kv.Key.Function != 0))
            {
                FunctionSpec first = device.OrderBy(kv => kv.Key.Function).First().Value;
                _errors.Add(new TopologyError(first.Line, first.Subject, "function",
                    $"device {device.Key.Domain:x4}:{device.Key.Bus:x2}:{device.Key.Device:x2} has no function 0"));
            }
        }
    }
}
