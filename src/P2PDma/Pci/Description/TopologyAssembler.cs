using System;
using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;

namespace P2PDma.Pci.Description;

/// <summary>
/// Validates collected declarations and assembles the topology. All checks run before anything is built, and every
/// problem is reported, so a caller never sees a half-built topology.
/// </summary>
internal static class TopologyAssembler
{
    private static readonly PhysRange DefaultRam = new(PhysAddr.FromRaw(0), 2UL << 30);

    public static PciTopology Assemble(TopologySpec spec)
    {
        var errors = new List<TopologyError>();
        var hostBridges = new Dictionary<string, HostBridgeSpec>(StringComparer.Ordinal);
        var functions = new Dictionary<string, FunctionSpec>(StringComparer.Ordinal);

        SpecChecks.CheckCpu(spec, errors);
        CheckNames(spec, hostBridges, functions, errors);
        foreach (HostBridgeSpec hb in spec.HostBridges)
        {
            SpecChecks.CheckHostBridge(hb, errors);
        }

        foreach (FunctionSpec f in spec.Functions)
        {
            SpecChecks.CheckFunction(f, errors);
            CheckParent(f, hostBridges, functions, errors);
            CheckPhysFn(f, functions, errors);
        }

        CheckCycles(spec, hostBridges, functions, errors);
        IReadOnlyList<PhysRange> ram = spec.Ram.Count == 0 ? new[] { DefaultRam } : spec.Ram.ToArray();
        CheckMemoryMap(spec, ram, hostBridges, functions, errors);
        if (errors.Count > 0)
        {
            throw new TopologyException(errors);
        }

        var numbering = BusNumbering.Assign(spec, errors);
        if (errors.Count > 0)
        {
            throw new TopologyException(errors);
        }

        return Construct(spec, ram, numbering);
    }

    /// <summary>
    /// Host bridges and functions share one namespace; they are checked together in declaration order, so a repeated
    /// name is reported at its later declaration whichever kinds are involved, and the first one stays valid.
    /// </summary>
    private static void CheckNames(TopologySpec spec, Dictionary<string, HostBridgeSpec> hostBridges,
        Dictionary<string, FunctionSpec> functions, List<TopologyError> errors)
    {
        var declarations = spec.HostBridges
            .Select(hb => (hb.Order, hb.Name, hb.Line, Subject: $"{Keywords.HostBridge} {hb.Name}", Keep: (Action)(() => hostBridges[hb.Name] = hb)))
            .Concat(spec.Functions.Select(f => (f.Order, f.Name, f.Line, f.Subject, Keep: (Action)(() => functions[f.Name] = f))))
            .OrderBy(d => d.Order);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in declarations)
        {
            if (SpecChecks.CheckName(d.Name, d.Line, d.Subject, seen, errors))
            {
                d.Keep();
            }
        }
    }

    private static void CheckParent(FunctionSpec f, Dictionary<string, HostBridgeSpec> hostBridges,
        Dictionary<string, FunctionSpec> functions, List<TopologyError> errors)
    {
        PciDeviceKind? parentKind = functions.TryGetValue(f.Parent, out FunctionSpec? p) ? p.Kind : null;
        bool parentIsHost = hostBridges.ContainsKey(f.Parent);
        if (parentKind is null && !parentIsHost)
        {
            errors.Add(new TopologyError(f.Line, f.Subject, "parent", $"unknown parent '{f.Parent}'"));
            return;
        }

        bool allowed = f.Kind switch
        {
            PciDeviceKind.RootPort => parentIsHost,
            PciDeviceKind.SwitchUpstreamPort => parentKind is PciDeviceKind.RootPort or PciDeviceKind.SwitchDownstreamPort,
            PciDeviceKind.SwitchDownstreamPort => parentKind == PciDeviceKind.SwitchUpstreamPort,
            _ => parentIsHost || parentKind is PciDeviceKind.RootPort or PciDeviceKind.SwitchDownstreamPort,
        };
        if (!allowed)
        {
            string what = parentIsHost ? Keywords.HostBridge : Keywords.Of(parentKind!.Value);
            string kind = Keywords.Of(f.Kind);
            errors.Add(new TopologyError(f.Line, f.Subject, "parent",
                $"{Keywords.Article(kind)} {kind} cannot sit below {what} '{f.Parent}'"));
        }
    }

    /// <summary>An SR-IOV virtual function: an endpoint whose physical function is another endpoint, beside it.</summary>
    private static void CheckPhysFn(FunctionSpec f, Dictionary<string, FunctionSpec> functions, List<TopologyError> errors)
    {
        if (f.PhysFn is not string name)
        {
            return;
        }

        string? problem = !functions.TryGetValue(name, out FunctionSpec? pf) ? $"unknown physical function '{name}'"
            : f.Kind != PciDeviceKind.Endpoint ? $"only an endpoint can be a virtual function, not {Keywords.Article(Keywords.Of(f.Kind))} {Keywords.Of(f.Kind)}"
            : pf == f ? "a function cannot be its own physical function"
            : pf.Kind != PciDeviceKind.Endpoint ? $"'{name}' is {Keywords.Article(Keywords.Of(pf.Kind))} {Keywords.Of(pf.Kind)}: only an endpoint has virtual functions"
            : pf.PhysFn is not null ? $"'{name}' is itself a virtual function"
            : pf.Parent != f.Parent ? $"a virtual function sits below its physical function's parent '{pf.Parent}'"
            : null;
        if (problem is not null)
        {
            errors.Add(new TopologyError(f.Line, f.Subject, "physfn", problem));
        }
    }

    private static void CheckCycles(TopologySpec spec, Dictionary<string, HostBridgeSpec> hostBridges,
        Dictionary<string, FunctionSpec> functions, List<TopologyError> errors)
    {
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (FunctionSpec f in spec.Functions)
        {
            var path = new List<string>();
            var onPath = new HashSet<string>(StringComparer.Ordinal);
            for (FunctionSpec? cur = f; cur is not null; cur = functions.TryGetValue(cur.Parent, out FunctionSpec? up) ? up : null)
            {
                if (!onPath.Add(cur.Name))
                {
                    // Every member of the cycle is marked, so the same cycle entered elsewhere is not reported again.
                    List<string> members = path.SkipWhile(n => n != cur.Name).ToList();
                    if (!reported.Contains(cur.Name))
                    {
                        string cycle = string.Join(" -> ", members.Append(cur.Name));
                        errors.Add(new TopologyError(cur.Line, cur.Subject, "parent", $"parent chain forms a cycle: {cycle}"));
                        reported.UnionWith(members);
                    }

                    break;
                }

                path.Add(cur.Name);
                if (hostBridges.ContainsKey(cur.Parent))
                {
                    break;
                }
            }
        }
    }

    private static void CheckMemoryMap(TopologySpec spec, IReadOnlyList<PhysRange> ram,
        Dictionary<string, HostBridgeSpec> hostBridges, Dictionary<string, FunctionSpec> functions, List<TopologyError> errors)
    {
        var claimed = new List<(PhysRange Range, string What)>();
        for (int i = 0; i < ram.Count; i++)
        {
            PhysRange r = ram[i];
            int? line = i < spec.RamLines.Count ? spec.RamLines[i] : null;
            if (r.Size == 0 || r.Start.Raw + r.Size < r.Start.Raw)
            {
                errors.Add(new TopologyError(line, Keywords.Ram, "size", "RAM size must be non-zero and fit below 2^64"));
                continue;
            }

            Claim(r, $"RAM {r}", line, Keywords.Ram, "start", claimed, errors);
        }

        CheckWindows(spec, claimed, errors);
        foreach (FunctionSpec f in spec.Functions)
        {
            HostBridgeSpec? hb = RootOf(f, hostBridges, functions);
            foreach (BarSpec bar in f.Bars)
            {
                if (!SpecChecks.CheckBar(f, bar, errors))
                {
                    continue;
                }

                var range = new PhysRange(PhysAddr.FromRaw(bar.CpuStart), bar.Size);
                string subject = Keywords.BarSubject(f.Name, bar.Index);
                if (hb is not null && hb.Windows.Count > 0 && !hb.Windows.Any(w => new PhysRange(PhysAddr.FromRaw(w.CpuStart), w.Size).Contains(range.Start, range.Size)))
                {
                    errors.Add(new TopologyError(bar.Line ?? f.Line, subject, "cpu",
                        $"{range} lies in no window of host bridge '{hb.Name}'"));
                }

                Claim(range, $"{f.Name} BAR{bar.Index} {range}", bar.Line ?? f.Line, subject, "cpu", claimed, errors);
            }
        }
    }

    /// <summary>
    /// Windows, host bridge by host bridge. On the CPU side they may overlap neither RAM nor each other (two root
    /// complexes cannot both decode an address). On the bus side one host bridge's windows may not overlap, or a bus
    /// address would stand for two CPU addresses; different host bridges are separate hierarchies and may reuse bus
    /// addresses. BARs are claimed apart: they lie inside windows by design.
    /// </summary>
    private static void CheckWindows(TopologySpec spec, List<(PhysRange Range, string What)> ram, List<TopologyError> errors)
    {
        var cpuSide = new List<(PhysRange Range, string What)>(ram);
        foreach (HostBridgeSpec hb in spec.HostBridges)
        {
            string subject = $"{Keywords.Window} {hb.Name}";
            var busSide = new List<(PhysRange Range, string What)>();
            foreach (WindowSpec w in hb.Windows.Where(SpecChecks.WindowFits))
            {
                var cpu = new PhysRange(PhysAddr.FromRaw(w.CpuStart), w.Size);
                var bus = new PhysRange(PhysAddr.FromRaw(w.BusStart), w.Size);
                string busText = $"[bus 0x{w.BusStart:x}-0x{w.BusStart + (w.Size - 1):x}]";
                int? line = w.Line ?? hb.Line;
                Claim(cpu, $"window of {hb.Name} {cpu}", line, subject, "cpu", cpuSide, errors);
                Claim(bus, busText, line, subject, "bus", busSide, errors,
                    $"the bus range of window cpu=0x{w.CpuStart:x} {busText}");
            }
        }
    }

    /// <summary>
    /// Reports <paramref name="range"/> if it overlaps an earlier claim, else claims it as <paramref name="claimAs"/>
    /// (by default <paramref name="what"/>), the words later overlaps will name it by.
    /// </summary>
    private static void Claim(PhysRange range, string what, int? line, string subject, string field,
        List<(PhysRange Range, string What)> claimed, List<TopologyError> errors, string? claimAs = null)
    {
        foreach ((PhysRange other, string otherWhat) in claimed)
        {
            if (range.Overlaps(other))
            {
                errors.Add(new TopologyError(line, subject, field, $"{what} overlaps {otherWhat}"));
                return;
            }
        }

        claimed.Add((range, claimAs ?? what));
    }

    internal static HostBridgeSpec? RootOf(FunctionSpec f, Dictionary<string, HostBridgeSpec> hostBridges,
        Dictionary<string, FunctionSpec> functions)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (FunctionSpec cur = f; seen.Add(cur.Name);)
        {
            if (hostBridges.TryGetValue(cur.Parent, out HostBridgeSpec? hb))
            {
                return hb;
            }

            if (!functions.TryGetValue(cur.Parent, out FunctionSpec? up))
            {
                return null;
            }

            cur = up;
        }

        return null;
    }

    private static PciTopology Construct(TopologySpec spec, IReadOnlyList<PhysRange> ram, BusNumbering numbering)
    {
        var topology = new PciTopology(spec.Cpu, ram);
        var bridges = new Dictionary<string, PciHostBridge>(StringComparer.Ordinal);
        foreach (HostBridgeSpec hb in spec.HostBridges)
        {
            var windows = hb.Windows
                .Select(w => new HostBridgeWindow(PhysAddr.FromRaw(w.CpuStart), w.Size, PciBusAddr.FromRaw(w.BusStart)))
                .ToArray();
            var bridge = new PciHostBridge(topology, hb.Name, hb.Domain, numbering.RootBus[hb.Name], hb.VendorId, hb.DeviceId,
                hb.Iommu, hb.DmaOffset, windows, hb.DmaLimit, hb.HostFunction);
            bridges[hb.Name] = bridge;
            topology.AddHostBridge(bridge);
        }

        var devices = new Dictionary<string, PciDevice>(StringComparer.Ordinal);
        foreach ((FunctionSpec f, PciBdf bdf, string hostName) in numbering.Order)
        {
            PciHostBridge hb = bridges[hostName];
            PciDevice? upstream = devices.TryGetValue(f.Parent, out PciDevice? up) ? up : null;
            ulong mask = f.DmaMaskBits >= 64 ? ulong.MaxValue : (1UL << f.DmaMaskBits) - 1;
            var device = new PciDevice(topology, hb, upstream, f.Name, f.Kind, bdf, f.VendorId, f.DeviceId, f.Acs, mask);
            device.SetBars(f.Bars.OrderBy(b => b.Index).Select(b =>
            {
                var cpu = PhysAddr.FromRaw(b.CpuStart);
                hb.TryCpuToBus(cpu, b.Size, out PciBusAddr bus);
                return new PciBar(device, b.Index, cpu, b.Size, bus, b.Prefetchable);
            }).ToArray());
            if (upstream is null)
            {
                hb.AddRootBusDevice(device);
            }

            devices[f.Name] = device;
        }

        foreach ((FunctionSpec f, _, _) in numbering.Order.Where(o => o.Spec.PhysFn is not null))
        {
            devices[f.Name].PhysFn = devices[f.PhysFn!];
        }

        topology.Seal(devices.Values);
        return topology;
    }
}
