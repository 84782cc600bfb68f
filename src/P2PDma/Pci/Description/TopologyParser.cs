using System;
using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;

namespace P2PDma.Pci.Description;

/// <summary>
/// Reads the line-oriented topology description (docs/topology-format.md). Syntax errors are collected for every line
/// before anything is assembled; semantic errors then come from <see cref="TopologyAssembler"/> with the same lines.
/// </summary>
internal sealed class TopologyParser
{
    private static readonly Dictionary<string, string[]> Fields = new(StringComparer.Ordinal)
    {
        [Keywords.Cpu] = new[] { "vendor", "family" },
        [Keywords.Ram] = new[] { "start", "size" },
        [Keywords.HostBridge] = new[] { "domain", "bus", "vendor", "device", "iommu", "dma-offset", "dma-limit", "host-function" },
        [Keywords.Window] = new[] { "cpu", "size", "bus" },
        [Keywords.Bar] = new[] { "index", "cpu", "size", "prefetch" },
        [Keywords.RootPort] = FunctionFields(),
        [Keywords.SwitchUp] = FunctionFields(),
        [Keywords.SwitchDown] = FunctionFields(),
        [Keywords.Endpoint] = FunctionFields(),
    };

    private readonly TopologySpec _spec = new();
    private readonly List<TopologyError> _errors = new();
    private readonly List<(int Line, string Owner, WindowSpec Window)> _windows = new();
    private readonly List<(int Line, string Owner, string Subject, BarSpec Bar)> _bars = new();

    public static PciTopology Parse(string description)
    {
        if (description is null)
        {
            throw new ArgumentNullException(nameof(description));
        }

        var parser = new TopologyParser();
        string[] lines = description.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            parser.ParseLine(i + 1, lines[i]);
        }

        parser.AttachOwned();
        if (parser._errors.Count > 0)
        {
            throw new TopologyException(parser._errors);
        }

        return TopologyAssembler.Assemble(parser._spec);
    }

    private static string[] FunctionFields() => new[] { "parent", "vendor", "device", "slot", "function", "acs", "dma-mask", "physfn" };

    private void ParseLine(int line, string text)
    {
        int hash = text.IndexOf('#');
        string[] tokens = (hash >= 0 ? text.Substring(0, hash) : text)
            .Split(new[] { ' ', '\t', '\r' }, StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0)
        {
            return;
        }

        string keyword = tokens[0];
        if (!Fields.TryGetValue(keyword, out string[]? known))
        {
            Error(line, keyword, "keyword", $"unknown keyword '{keyword}' (expected one of: {string.Join(", ", Fields.Keys)})");
            return;
        }

        if (keyword == Keywords.Cpu && RepeatsCpu(line))
        {
            return;
        }

        bool named = keyword is not (Keywords.Cpu or Keywords.Ram);
        string name = named && tokens.Length > 1 && !tokens[1].Contains('=') ? tokens[1] : "";
        string subject = named ? $"{keyword} {name}".TrimEnd() : keyword;
        if (named && name.Length == 0)
        {
            Error(line, subject, keyword is Keywords.Window or Keywords.Bar ? "owner" : "name", $"'{keyword}' needs a name after the keyword");
            return;
        }

        if (keyword == Keywords.Bar && KnownBarIndex(tokens) is int index)
        {
            subject = Keywords.BarSubject(name, index);
        }

        var fields = new LineFields(line, subject, _errors);
        foreach (string token in tokens.Skip(named ? 2 : 1))
        {
            fields.Add(token, known);
        }

        if (fields.Broken)
        {
            return;
        }

        switch (keyword)
        {
            case Keywords.Cpu:
                _spec.Cpu = new CpuInfo(fields.Vendor("vendor") ?? CpuVendor.Other, (int)(fields.Number("family", required: true, max: 0xff) ?? 0));
                break;
            case Keywords.Ram:
                _spec.Ram.Add(new PhysRange(PhysAddr.FromRaw(fields.Number("start", true) ?? 0), fields.Number("size", true) ?? 0));
                _spec.RamLines.Add(line);
                break;
            case Keywords.HostBridge:
                _spec.HostBridges.Add(new HostBridgeSpec
                {
                    Name = name,
                    Line = line,
                    Order = _spec.NextOrder(),
                    Domain = (int)(fields.Number("domain", max: 0xffff) ?? 0),
                    RootBus = (int?)fields.Number("bus", max: 0xff),
                    VendorId = (ushort)(fields.Number("vendor", max: 0xffff) ?? DefaultIds.HostBridgeVendor),
                    DeviceId = (ushort)(fields.Number("device", max: 0xffff) ?? DefaultIds.HostBridgeDevice),
                    Iommu = fields.Switch("iommu") ?? false,
                    DmaOffset = fields.Signed("dma-offset") ?? 0,
                    DmaLimit = fields.Number("dma-limit") ?? 0,
                    HostFunction = fields.Switch("host-function") ?? true,
                });
                break;
            case Keywords.Window:
                _windows.Add((line, name, new WindowSpec
                {
                    Line = line,
                    CpuStart = fields.Number("cpu", true) ?? 0,
                    Size = fields.Number("size", true) ?? 0,
                    BusStart = fields.Number("bus", true) ?? 0,
                }));
                break;
            case Keywords.Bar:
                _bars.Add((line, name, subject, new BarSpec
                {
                    Line = line,
                    Index = (int)(fields.Number("index", true, max: 5) ?? 0),
                    CpuStart = fields.Number("cpu", true) ?? 0,
                    Size = fields.Number("size", true) ?? 0,
                    Prefetchable = fields.Switch("prefetch") ?? true,
                }));
                break;
            default:
                FunctionSpec function = ParseFunction(keyword, name, line, fields);
                function.Order = _spec.NextOrder();
                _spec.Functions.Add(function);
                break;
        }
    }

    private static FunctionSpec ParseFunction(string keyword, string name, int line, LineFields fields) => new()
    {
        Name = name,
        Line = line,
        Kind = keyword switch
        {
            Keywords.RootPort => PciDeviceKind.RootPort,
            Keywords.SwitchUp => PciDeviceKind.SwitchUpstreamPort,
            Keywords.SwitchDown => PciDeviceKind.SwitchDownstreamPort,
            _ => PciDeviceKind.Endpoint,
        },
        Parent = fields.Text("parent", required: true) ?? "",
        VendorId = (ushort)(fields.Number("vendor", max: 0xffff) ?? DefaultIds.FunctionVendor),
        DeviceId = (ushort)(fields.Number("device", max: 0xffff) ?? DefaultIds.FunctionDevice),
        Slot = (int?)fields.Number("slot", max: 31),
        Function = (int)(fields.Number("function", max: 7) ?? 0),
        Acs = fields.Acs("acs"),
        DmaMaskBits = (int)(fields.Number("dma-mask", max: 64) ?? 32),
        PhysFn = fields.Text("physfn"),
    };

    private void AttachOwned()
    {
        foreach ((int line, string owner, WindowSpec window) in _windows)
        {
            HostBridgeSpec? hb = _spec.HostBridges.FirstOrDefault(h => h.Name == owner);
            if (hb is null)
            {
                Error(line, $"{Keywords.Window} {owner}", "owner", $"unknown host bridge '{owner}'");
                continue;
            }

            hb.Windows.Add(window);
        }

        foreach ((int line, string owner, string subject, BarSpec bar) in _bars)
        {
            FunctionSpec? f = _spec.Functions.FirstOrDefault(x => x.Name == owner);
            if (f is null)
            {
                Error(line, subject, "owner", $"unknown function '{owner}'");
                continue;
            }

            f.Bars.Add(bar);
        }
    }

    /// <summary>One boot CPU: a second <c>cpu</c> line is a mistake, not an override, and is not read.</summary>
    private bool RepeatsCpu(int line)
    {
        if (_spec.CpuLine is int first)
        {
            Error(line, Keywords.Cpu, "keyword", $"'{Keywords.Cpu}' is already declared on line {first}");
            return true;
        }

        _spec.CpuLine = line;
        return false;
    }

    /// <summary>
    /// The BAR index of a <c>bar</c> line when it is given once and valid, so that every error of the line can name
    /// the BAR as the assembler does (<c>bar gpu0 0</c>); null while the index is unknown.
    /// </summary>
    private static int? KnownBarIndex(string[] tokens)
    {
        const string Key = "index=";
        string[] given = tokens.Skip(2).Where(t => t.StartsWith(Key, StringComparison.Ordinal)).ToArray();
        return given.Length == 1 && LineFields.TryParseNumber(given[0].Substring(Key.Length), out ulong index) && index <= 5
            ? (int)index
            : null;
    }

    private void Error(int line, string subject, string field, string message) =>
        _errors.Add(new TopologyError(line, subject, field, message));
}
