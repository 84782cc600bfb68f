using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace P2PDma.Pci.Description;

/// <summary>Field-level checks of single declarations (ranges, alignment, names).</summary>
internal static class SpecChecks
{
    public static bool CheckName(string name, int? line, string subject, HashSet<string> seen, List<TopologyError> errors)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Any(c => char.IsWhiteSpace(c) || c == '=' || c == '#'))
        {
            errors.Add(new TopologyError(line, subject, "name", $"'{name}' is not a valid name (no spaces, '=' or '#')"));
            return false;
        }

        if (!seen.Add(name))
        {
            errors.Add(new TopologyError(line, subject, "name", $"'{name}' is declared more than once"));
            return false;
        }

        return true;
    }

    /// <summary>The family of a CPU built in code; a description's reader already caps it at 0xff.</summary>
    public static void CheckCpu(TopologySpec spec, List<TopologyError> errors)
    {
        int family = spec.Cpu.Family;
        if (family is < 0 or > 0xff)
        {
            string shown = family < 0 ? family.ToString(CultureInfo.InvariantCulture) : $"0x{family:x}";
            errors.Add(new TopologyError(spec.CpuLine, Keywords.Cpu, "family", $"{shown} is outside 0..0xff"));
        }
    }

    /// <summary>A window of non-zero size that fits below 2^64 on both sides; others are reported and not placed.</summary>
    public static bool WindowFits(WindowSpec w) =>
        w.Size != 0 && w.CpuStart + w.Size >= w.CpuStart && w.BusStart + w.Size >= w.BusStart;

    public static void CheckHostBridge(HostBridgeSpec hb, List<TopologyError> errors)
    {
        string subject = $"{Keywords.HostBridge} {hb.Name}";
        if (hb.Domain is < 0 or > 0xffff)
        {
            errors.Add(new TopologyError(hb.Line, subject, "domain", $"{hb.Domain} is outside 0..0xffff"));
        }

        if (hb.RootBus is < 0 or > 0xff)
        {
            errors.Add(new TopologyError(hb.Line, subject, "bus", $"{hb.RootBus} is outside 0..0xff"));
        }

        foreach (WindowSpec w in hb.Windows)
        {
            if (!WindowFits(w))
            {
                errors.Add(new TopologyError(w.Line ?? hb.Line, $"{Keywords.Window} {hb.Name}", "size",
                    "window size must be non-zero and the window must fit below 2^64 on both sides"));
            }
        }
    }

    public static void CheckFunction(FunctionSpec f, List<TopologyError> errors)
    {
        if (f.Slot is < 0 or > 31)
        {
            errors.Add(new TopologyError(f.Line, f.Subject, "slot", $"{f.Slot} is outside 0..31"));
        }

        if (f.Function is < 0 or > 7)
        {
            errors.Add(new TopologyError(f.Line, f.Subject, "function", $"{f.Function} is outside 0..7"));
        }

        if (f.DmaMaskBits is < 12 or > 64)
        {
            errors.Add(new TopologyError(f.Line, f.Subject, "dma-mask", $"{f.DmaMaskBits} bits is outside 12..64"));
        }

        if (f.Kind != PciDeviceKind.Endpoint && f.Function != 0)
        {
            errors.Add(new TopologyError(f.Line, f.Subject, "function", "ports are single-function (function 0)"));
        }

        foreach (var dup in f.Bars.GroupBy(b => b.Index).Where(g => g.Count() > 1))
        {
            BarSpec second = dup.ElementAt(1);
            errors.Add(new TopologyError(second.Line ?? f.Line, Keywords.BarSubject(f.Name, dup.Key), "index",
                $"BAR {dup.Key} of '{f.Name}' is declared more than once"));
        }
    }

    /// <summary>Checks one BAR's own fields; false when it is too broken to place in the memory map.</summary>
    public static bool CheckBar(FunctionSpec f, BarSpec bar, List<TopologyError> errors)
    {
        string subject = Keywords.BarSubject(f.Name, bar.Index);
        int? line = bar.Line ?? f.Line;
        if (bar.Index is < 0 or > 5)
        {
            errors.Add(new TopologyError(line, subject, "index", $"{bar.Index} is outside 0..5"));
            return false;
        }

        if (bar.Size < 16 || (bar.Size & (bar.Size - 1)) != 0)
        {
            errors.Add(new TopologyError(line, subject, "size", $"0x{bar.Size:x} is not a power of two of at least 16 bytes"));
            return false;
        }

        if ((bar.CpuStart & (bar.Size - 1)) != 0)
        {
            errors.Add(new TopologyError(line, subject, "cpu", $"0x{bar.CpuStart:x} is not aligned to the BAR size 0x{bar.Size:x}"));
            return false;
        }

        if (bar.CpuStart + bar.Size < bar.CpuStart)
        {
            errors.Add(new TopologyError(line, subject, "cpu", "the BAR does not fit below 2^64"));
            return false;
        }

        return true;
    }
}
