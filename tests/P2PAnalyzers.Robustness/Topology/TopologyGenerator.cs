using System.Globalization;
using System.Text;

namespace P2PAnalyzers.Robustness.Topology;

/// <summary>
/// Random valid topology descriptions (docs/topology-format.md): host bridges with or without windows, root ports,
/// cascaded switches, integrated and multi-function endpoints, BARs placed without overlap inside their windows, RAM,
/// a CPU line; written with the format's freedoms (any declaration order for windows and BARs, hex/decimal/suffixed
/// numbers with separators, comments, blank lines, tabs and CRLF, optional fields with their defaults or left out).
/// </summary>
internal sealed class TopologyGenerator
{
    private static readonly string[] AcsBits = { "sv", "tb", "rr", "cr", "uf", "ec", "dt" };

    private readonly Random _rng;
    private readonly List<string> _lines = new();
    private readonly List<string> _loose = new();
    private int _names;
    private int _bridges;
    private ulong _nextCpu = 0x100_0000_0000UL;

    private TopologyGenerator(Random rng) => _rng = rng;

    /// <summary>A valid description and the number of PCI functions it declares.</summary>
    public static (string Text, int Functions) Generate(Random rng)
    {
        var g = new TopologyGenerator(rng);
        return (g.Build(), g._functions);
    }

    private int _functions;

    private string Build()
    {
        if (_rng.Next(4) > 0)
        {
            string vendor = Pick("amd", "intel", "other");
            _lines.Add($"cpu vendor={vendor} family={Number((ulong)(vendor == "amd" ? Pick(0x17, 0x19, 0x15) : Pick(6, 0)))}");
        }

        if (_rng.Next(3) > 0)
        {
            _lines.Add($"ram start={Number(0)} size={Number(Pick(1UL << 31, 1UL << 30, 3UL << 30))}");
            if (_rng.Next(2) == 0)
            {
                _lines.Add($"ram start={Number(4UL << 30)} size={Number((ulong)_rng.Next(1, 64) << 30)}");
            }
        }

        int hostBridges = _rng.Next(1, 4);
        for (int h = 0; h < hostBridges; h++)
        {
            HostBridge(h);
        }

        // Windows and BARs may come anywhere: scatter the ones set aside.
        foreach (string line in _loose)
        {
            _lines.Insert(_rng.Next(_lines.Count + 1), line);
        }

        var text = new StringBuilder();
        string eol = _rng.Next(5) == 0 ? "\r\n" : "\n";
        if (_rng.Next(2) == 0)
        {
            text.Append("# generated topology").Append(eol);
        }

        foreach (string line in _lines)
        {
            if (_rng.Next(10) == 0)
            {
                text.Append(eol);
            }

            string indent = _rng.Next(6) == 0 ? Pick("  ", "\t", " \t ") : "";
            string comment = _rng.Next(8) == 0 ? Pick("  # note", "#glued", "\t# tab comment") : "";
            text.Append(indent).Append(Respace(line)).Append(comment).Append(eol);
        }

        return text.ToString();
    }

    private void HostBridge(int index)
    {
        string name = Name("hb");
        var fields = new List<string>();
        int domain = _rng.Next(3) == 0 ? _rng.Next(0, 3) : 0;
        if (domain != 0 || _rng.Next(4) == 0)
        {
            fields.Add($"domain={Number((ulong)domain)}");
        }

        if (_rng.Next(2) == 0)
        {
            fields.Add($"vendor={Number(Pick(0x8086UL, 0x1022UL, 0x1b36UL))} device={Number((ulong)_rng.Next(0, 0x10000))}");
        }

        if (_rng.Next(2) == 0)
        {
            fields.Add($"iommu={Pick("on", "off", "yes", "no", "true", "false")}");
        }

        if (_rng.Next(4) == 0)
        {
            long offset = _rng.Next(2) == 0 ? 0x80_0000_0000L : -(long)_rng.Next(0, 0x1000) << 12;
            fields.Add($"dma-offset={offset.ToString(CultureInfo.InvariantCulture)}");
        }

        _lines.Add(Line($"host-bridge {name}", fields));

        (ulong Cpu, ulong Size)? window = null;
        if (_rng.Next(2) == 0)
        {
            ulong size = 1UL << _rng.Next(32, 37);
            ulong cpu = Take(size);
            ulong bus = _rng.Next(2) == 0 ? cpu : (ulong)_rng.Next(1, 16) << 32;
            window = (cpu, size);
            _loose.Add(Line($"window {name}", new List<string> { $"cpu={Number(cpu)}", $"size={Number(size)}", $"bus={Number(bus)}" }));
        }

        var bars = new BarSpace(this, window);
        int rootChildren = _rng.Next(1, 4);
        for (int c = 0; c < rootChildren; c++)
        {
            if (_rng.Next(4) == 0)
            {
                Endpoint(name, bars, function: 0, explicitSlot: false);
            }
            else
            {
                string port = Function("root-port", name, function: null);
                Below(port, bars, depth: 0);
            }
        }
    }

    /// <summary>What sits below a link (root port or downstream port): one switch, or one device of 1-3 functions.</summary>
    private void Below(string port, BarSpace bars, int depth)
    {
        if (depth < 2 && _rng.Next(3) == 0 && _bridges < 120)
        {
            string up = Function("switch-up", port, function: null);
            int downs = _rng.Next(1, 4);
            for (int d = 0; d < downs; d++)
            {
                string down = Function("switch-down", up, function: null);
                if (_rng.Next(5) > 0)
                {
                    Below(down, bars, depth + 1);
                }
            }

            return;
        }

        int functions = _rng.Next(4) == 0 ? _rng.Next(2, 4) : 1;
        for (int f = 0; f < functions; f++)
        {
            Endpoint(port, bars, f, explicitSlot: _rng.Next(5) == 0);
        }
    }

    private void Endpoint(string parent, BarSpace bars, int function, bool explicitSlot)
    {
        string name = Function("endpoint", parent, function, explicitSlot ? 0 : null);
        int count = _rng.Next(0, 3);
        var indexes = Enumerable.Range(0, 6).OrderBy(_ => _rng.Next()).Take(count);
        foreach (int index in indexes)
        {
            if (bars.Take(1UL << _rng.Next(4, 30)) is not (ulong cpu, ulong size))
            {
                continue;
            }

            var fields = new List<string> { $"index={Number((ulong)index)}", $"cpu={Number(cpu)}", $"size={Number(size)}" };
            if (_rng.Next(2) == 0)
            {
                fields.Add($"prefetch={Pick("yes", "no", "on", "off")}");
            }

            _loose.Add(Line($"bar {name}", fields));
        }
    }

    private string Function(string keyword, string parent, int? function, int? slot = null)
    {
        string name = Name(keyword switch { "root-port" => "rp", "switch-up" => "sw", "switch-down" => "dp", _ => Pick("gpu", "nic", "nvme", "acc") });
        _functions++;
        if (keyword != "endpoint")
        {
            _bridges++;
        }

        var fields = new List<string> { $"parent={parent}" };
        if (function is int f && (f > 0 || _rng.Next(3) == 0))
        {
            fields.Add($"function={Number((ulong)f)}");
        }

        if (slot is int s)
        {
            fields.Add($"slot={Number((ulong)s)}");
        }

        if (_rng.Next(3) == 0)
        {
            fields.Add($"vendor={Number((ulong)_rng.Next(0, 0x10000))}");
        }

        if (_rng.Next(3) == 0)
        {
            fields.Add($"device={Number((ulong)_rng.Next(0, 0x10000))}");
        }

        if (_rng.Next(3) == 0)
        {
            fields.Add($"dma-mask={Number((ulong)_rng.Next(12, 65))}");
        }

        if (_rng.Next(3) == 0)
        {
            string[] bits = AcsBits.Where(_ => _rng.Next(3) == 0).ToArray();
            fields.Add($"acs={(bits.Length == 0 ? "none" : string.Join(",", bits))}");
        }

        _lines.Add(Line($"{keyword} {name}", fields));
        return name;
    }

    /// <summary>CPU address space for windows and for BARs of host bridges without one: above RAM, never reused.</summary>
    private ulong Take(ulong size)
    {
        ulong start = (_nextCpu + size - 1) & ~(size - 1);
        _nextCpu = start + size;
        return start;
    }

    private string Line(string head, List<string> fields)
    {
        List<string> shuffled = fields.OrderBy(_ => _rng.Next()).ToList();
        return string.Join(" ", new[] { head }.Concat(shuffled));
    }

    private string Respace(string line) => _rng.Next(6) == 0 ? line.Replace(" ", Pick("  ", "\t", " \t"), StringComparison.Ordinal) : line;

    private string Name(string prefix) => $"{prefix}{_names++}{Pick("", ".0", "/x", "_a", "-1")}";

    /// <summary>A number in one of the format's spellings.</summary>
    private string Number(ulong value)
    {
        int style = _rng.Next(6);
        if (style == 0 && value != 0)
        {
            foreach ((string suffix, int shift) in new[] { ("T", 40), ("G", 30), ("M", 20), ("K", 10) })
            {
                if (value % (1UL << shift) == 0)
                {
                    return (value >> shift).ToString(CultureInfo.InvariantCulture) + (_rng.Next(2) == 0 ? suffix : suffix.ToLowerInvariant());
                }
            }
        }

        string hex = value.ToString(style == 1 ? "X" : "x", CultureInfo.InvariantCulture);
        return style switch
        {
            1 => "0X" + hex,
            2 => "0x" + Separate(hex),
            3 => Separate(value.ToString(CultureInfo.InvariantCulture)),
            4 => value.ToString(CultureInfo.InvariantCulture),
            _ => "0x" + hex,
        };
    }

    private string Separate(string digits)
    {
        var text = new StringBuilder();
        for (int i = 0; i < digits.Length; i++)
        {
            if (i > 0 && (digits.Length - i) % 4 == 0 && _rng.Next(2) == 0)
            {
                text.Append('_');
            }

            text.Append(digits[i]);
        }

        return text.ToString();
    }

    private T Pick<T>(params T[] options) => options[_rng.Next(options.Length)];

    /// <summary>Where a host bridge's BARs go: inside its window if it has one, else anywhere free in the CPU space.</summary>
    private sealed class BarSpace
    {
        private readonly TopologyGenerator _owner;
        private readonly (ulong Cpu, ulong Size)? _window;
        private ulong _next;

        public BarSpace(TopologyGenerator owner, (ulong Cpu, ulong Size)? window)
        {
            _owner = owner;
            _window = window;
            _next = window?.Cpu ?? 0;
        }

        /// <summary>A place for a BAR of <paramref name="size"/> bytes (smaller when the window is nearly full); null when the window is full.</summary>
        public (ulong Cpu, ulong Size)? Take(ulong size)
        {
            if (_window is not (ulong cpu, ulong windowSize))
            {
                return (_owner.Take(size), size);
            }

            for (; size >= 16; size >>= 1)
            {
                ulong start = (_next + size - 1) & ~(size - 1);
                if (start + size <= cpu + windowSize)
                {
                    _next = start + size;
                    return (start, size);
                }
            }

            return null;
        }
    }
}
