using System.Globalization;
using System.Text;

namespace P2PAnalyzers.Robustness.Topology;

/// <summary>Breaks topology descriptions the ways people and tools do: lines lost, doubled or moved, numbers, names and keywords changed, bytes injected, text cut off.</summary>
internal static class TopologyMutator
{
    private static readonly string[] Keywords = { "cpu", "ram", "host-bridge", "window", "bar", "root-port", "switch-up", "switch-down", "endpoint" };

    private static readonly string[] Keys =
    {
        "vendor", "family", "start", "size", "domain", "bus", "device", "iommu", "dma-offset", "cpu", "index", "prefetch",
        "parent", "slot", "function", "acs", "dma-mask",
    };

    private static readonly string[] Values =
    {
        "0", "1", "-1", "+5", "16", "31", "32", "64", "65", "255", "256", "0xff", "0x100", "0xffff", "0x10000", "0x10K", "1.5G", "4G", "1T", "16E",
        "18446744073709551615", "18446744073709551616", "0xffff_ffff_ffff_ffff", "0x1_0000_0000_0000_0000", "-0x8000_0000_0000_0000",
        "0x7fffffffffffffff", "-9223372036854775807", "_", "0x", "0x_", "1__0", "010M", "on", "On", "yes", "none", "rr,", "rr,cr,ec", "RR",
        "amd", "arm", "", "=", "==", "#", "hb0", "nothere", "\u00a0", "١٢", "0b101", "1e3",
    };

    private static readonly string[] Garbage = { "\0", "\u00a0", "\u200b", "=", "==", "#", "\t", "\r", "\r\n", " ", "\\", "\"", "\uFFFD", "\uD800", "é", "x=y", "=x", "x=", "\n", "\n\n" };

    public static string Mutate(string text, Random rng)
    {
        int count = rng.Next(4) == 0 ? rng.Next(2, 5) : 1;
        for (int i = 0; i < count; i++)
        {
            text = Once(text, rng);
        }

        return text;
    }

    /// <summary>Random lines of the format's vocabulary: mostly wrong, sometimes right.</summary>
    public static string RandomText(Random rng)
    {
        var text = new StringBuilder();
        int lines = rng.Next(0, 40);
        for (int l = 0; l < lines; l++)
        {
            int tokens = rng.Next(0, 7);
            for (int t = 0; t < tokens; t++)
            {
                text.Append(rng.Next(5) switch
                {
                    0 => Keywords[rng.Next(Keywords.Length)],
                    1 => "n" + rng.Next(6).ToString(CultureInfo.InvariantCulture),
                    2 => Garbage[rng.Next(Garbage.Length)],
                    _ => Keys[rng.Next(Keys.Length)] + "=" + Values[rng.Next(Values.Length)],
                });
                text.Append(rng.Next(8) == 0 ? "\t" : " ");
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private static string Once(string text, Random rng)
    {
        List<string> lines = text.Split('\n').ToList();
        int at = rng.Next(lines.Count);
        switch (rng.Next(11))
        {
            case 0:
                lines.RemoveAt(at);
                break;
            case 1:
                lines.Insert(at, lines[at]);
                break;
            case 2:
                int other = rng.Next(lines.Count);
                (lines[at], lines[other]) = (lines[other], lines[at]);
                break;
            case 3:
                lines[at] = ReplaceToken(lines[at], rng, t => t.Contains('=', StringComparison.Ordinal)
                    ? t.Substring(0, t.IndexOf('=', StringComparison.Ordinal) + 1) + Number(rng)
                    : t);
                break;
            case 4:
                lines[at] = ReplaceToken(lines[at], rng, t => t.Contains('=', StringComparison.Ordinal)
                    ? Keys[rng.Next(Keys.Length)] + t.Substring(t.IndexOf('=', StringComparison.Ordinal))
                    : t);
                break;
            case 5:
                // A parent or owner renamed: to a name declared elsewhere (maybe itself: a cycle) or to nothing declared.
                string[] names = lines.Select(l => l.Split(' ', '\t')).Where(p => p.Length > 1 && !p[1].Contains('=', StringComparison.Ordinal)).Select(p => p[1]).ToArray();
                string name = names.Length > 0 && rng.Next(3) > 0 ? names[rng.Next(names.Length)] : "nothere" + rng.Next(3).ToString(CultureInfo.InvariantCulture);
                lines[at] = ReplaceToken(lines[at], rng, t => t.StartsWith("parent=", StringComparison.Ordinal) ? "parent=" + name : t, (t, _) => t.StartsWith("parent=", StringComparison.Ordinal));
                if (rng.Next(2) == 0)
                {
                    string[] parts = lines[at].Split(' ');
                    if (parts.Length > 1 && parts[0] is "bar" or "window")
                    {
                        parts[1] = name;
                        lines[at] = string.Join(" ", parts);
                    }
                }

                break;
            case 6:
                lines[at] = ReplaceToken(lines[at], rng, _ => rng.Next(3) switch
                {
                    0 => Keywords[rng.Next(Keywords.Length)],
                    1 => Keywords[rng.Next(Keywords.Length)].ToUpperInvariant(),
                    _ => "widget",
                }, (_, i) => i == 0);
                break;
            case 7:
                string line = lines[at];
                int pos = rng.Next(line.Length + 1);
                lines[at] = line.Substring(0, pos) + Garbage[rng.Next(Garbage.Length)] + line.Substring(pos);
                break;
            case 8:
                string joined = string.Join("\n", lines);
                return joined.Substring(0, rng.Next(joined.Length + 1));
            case 9:
                lines[at] = rng.Next(2) == 0 ? lines[at].Replace("=", "", StringComparison.Ordinal) : lines[at].Replace("=", "==", StringComparison.Ordinal);
                break;
            default:
                lines[at] = ReplaceToken(lines[at], rng, t => t.Contains('=', StringComparison.Ordinal)
                    ? t.Substring(0, t.IndexOf('=', StringComparison.Ordinal) + 1) + Values[rng.Next(Values.Length)]
                    : t);
                break;
        }

        return string.Join("\n", lines);
    }

    /// <summary>Replaces one token of the line (one that <paramref name="where"/> accepts, if given), tokens split at spaces.</summary>
    private static string ReplaceToken(string line, Random rng, Func<string, string> replace, Func<string, int, bool>? where = null)
    {
        string[] tokens = line.Split(' ');
        int[] candidates = Enumerable.Range(0, tokens.Length).Where(i => where?.Invoke(tokens[i], i) ?? true).ToArray();
        if (candidates.Length == 0)
        {
            return line;
        }

        int index = candidates[rng.Next(candidates.Length)];
        tokens[index] = replace(tokens[index]);
        return string.Join(" ", tokens);
    }

    /// <summary>A number near a boundary, or an arbitrary one, in some spelling.</summary>
    private static string Number(Random rng)
    {
        ulong value = rng.Next(6) switch
        {
            0 => 0,
            1 => ulong.MaxValue - (ulong)rng.Next(0, 4),
            2 => 1UL << rng.Next(0, 64),
            3 => (1UL << rng.Next(0, 64)) + (ulong)rng.Next(-1, 2),
            4 => (ulong)rng.NextInt64(),
            _ => (ulong)rng.Next(0, 300),
        };
        return rng.Next(3) switch
        {
            0 => value.ToString(CultureInfo.InvariantCulture),
            1 => "0x" + value.ToString("x", CultureInfo.InvariantCulture),
            _ => (value >> 10).ToString(CultureInfo.InvariantCulture) + "K",
        };
    }
}
