using System;
using System.Collections.Generic;
using System.Text;

namespace P2PAnalyzers.Corpus;

/// <summary>
/// The bulk of a driver that is not DMA mapping: queue and ring bookkeeping in long methods with loops, switches,
/// comparisons with 0 and -1, lambdas, locks and address arithmetic on already-mapped DMA addresses. With
/// <c>driver: false</c> the same shapes over ordinary business types, for the corpus that does not use the library.
/// </summary>
internal static class OrdinaryCode
{
    private delegate string Snippet(int k, Rng r);

    private static readonly Snippet[] DriverSnippets =
    {
        DescriptorLoop, RingAdvance, SyncSpan, ValidateCall, DrainCompletions, Checksum, LockedCounters, StateName, PendingList, LambdaCount,
    };

    private static readonly Snippet[] PlainSnippets =
    {
        OrderLoop, IndexAdvance, TotalSpan, ValidateCall, DrainQueue, Checksum, LockedCounters, StateName, PendingList, LambdaCountPlain,
    };

    /// <summary>A queue class of <paramref name="methods"/> long methods of 3-9 snippets each.</summary>
    public static string Class(string c, Rng r, bool driver, int methods)
    {
        var sb = new StringBuilder();
        string item = driver ? "HwDescriptor" : "OrderLine";
        string context = driver ? "PciDevice dev" : "string tenant";
        sb.Append($$"""
            public sealed class {{c}}{{(driver ? "CmdQueue" : "Ledger")}}
            {
                private readonly object _lock = new object();
                private readonly ulong[] _stats = new ulong[4];
                private uint _head;
                private uint _tail;
                private uint _mask = {{(1u << r.Next(6, 12)) - 1}};
                private int _pending;
                private int _generation;
                private int _state;
                private int _idle;

                private static int Validate({{item}}[] items, int slot)
                {
                    if (items == null || items.Length == 0)
                    {
                        return -22;
                    }

                    for (int i = 0; i < items.Length; i++)
                    {
                        if (items[i].Length > {{r.Next(1, 64) * 4096}} || (items[i].Flags & 0x8000) != 0)
                        {
                            return -(i + slot + 1);
                        }
                    }

                    return 0;
                }

            """).Append('\n');
        int k = 0;
        for (int m = 0; m < methods; m++)
        {
            sb.Append($"    public int Process{m}({context}, {item}[] items, int budget)\n    {{\n");
            int count = r.Next(3, 10);
            Snippet[] pool = driver ? DriverSnippets : PlainSnippets;
            for (int s = 0; s < count; s++)
            {
                string body = pool[r.Next(pool.Length)](k++, r);
                foreach (string line in body.Split('\n'))
                {
                    sb.Append(line.Length == 0 ? "" : "        " + line).Append('\n');
                }

                sb.Append('\n');
            }

            sb.Append("        return _pending;\n    }\n");
            if (m + 1 < methods)
            {
                sb.Append('\n');
            }
        }

        sb.Append('}');
        return sb.ToString();
    }

    /// <summary>The record the plain corpus's methods work on (declared once per plain file).</summary>
    public const string PlainTypes = """
        public struct OrderLine
        {
            public decimal Amount;
            public uint Length;
            public ushort Flags;
            public ushort Opcode;
            public string Sku;
        }

        public static class AuditLog
        {
            public static void Debug(string format, params object[] args)
            {
            }

            public static void Error(string what, int code)
            {
            }
        }
        """;

    private static string DescriptorLoop(int k, Rng r) => $$"""
        int done{{k}} = 0;
        for (int i{{k}} = 0; i{{k}} < items.Length && done{{k}} < budget; i{{k}}++)
        {
            HwDescriptor d{{k}} = items[i{{k}}];
            if (d{{k}}.Length == 0)
            {
                continue;
            }

            switch (d{{k}}.Opcode)
            {
                case {{r.Next(1, 4)}}:
                    _stats[0] += d{{k}}.Length;
                    break;
                case 4:
                case 5:
                    _stats[1] += d{{k}}.Length;
                    items[i{{k}}].Flags |= 0x4;
                    break;
                default:
                    _stats[2]++;
                    break;
            }

            done{{k}}++;
        }
        """;

    private static string OrderLoop(int k, Rng r) => $$"""
        int done{{k}} = 0;
        for (int i{{k}} = 0; i{{k}} < items.Length && done{{k}} < budget; i{{k}}++)
        {
            OrderLine d{{k}} = items[i{{k}}];
            if (d{{k}}.Length == 0 || d{{k}}.Amount <= 0m)
            {
                continue;
            }

            switch (d{{k}}.Opcode)
            {
                case {{r.Next(1, 4)}}:
                    _stats[0] += d{{k}}.Length;
                    break;
                case 4:
                case 5:
                    _stats[1] += (ulong)decimal.Truncate(d{{k}}.Amount);
                    items[i{{k}}].Flags |= 0x4;
                    break;
                default:
                    _stats[2]++;
                    break;
            }

            done{{k}}++;
        }
        """;

    private static string RingAdvance(int k, Rng r) => $$"""
        uint next{{k}} = (_head + 1) & _mask;
        if (next{{k}} == _tail)
        {
            DriverLog.Error("ring full", -{{r.Next(1, 30)}});
            return -28;
        }

        _head = next{{k}};
        """;

    private static string IndexAdvance(int k, Rng r) => $$"""
        uint next{{k}} = (_head + 1) & _mask;
        if (next{{k}} == _tail)
        {
            AuditLog.Error("ledger full", -{{r.Next(1, 30)}});
            return -28;
        }

        _head = next{{k}};
        """;

    private static string SyncSpan(int k, Rng r) => $$"""
        DmaAddr base{{k}} = items.Length > 0 ? items[0].Addr : DmaAddr.MappingError;
        if (base{{k}} != DmaAddr.MappingError)
        {
            ulong span{{k}} = 0;
            foreach (HwDescriptor x{{k}} in items)
            {
                if (x{{k}}.Addr >= base{{k}})
                {
                    span{{k}} = Math.Max(span{{k}}, (x{{k}}.Addr - base{{k}}) + x{{k}}.Length);
                }
            }

            DmaAddr tail{{k}} = base{{k}} + (span{{k}} & ~{{r.Hex(1, 0xfff)}}UL);
            Dma.SyncSingleForCpu(dev, base{{k}}, span{{k}}, DmaDirection.FromDevice);
            DriverLog.Debug("synced {0} up to {1}", span{{k}}, tail{{k}});
        }
        """;

    private static string TotalSpan(int k, Rng r) => $$"""
        decimal total{{k}} = 0m;
        if (items.Length > 0)
        {
            decimal max{{k}} = 0m;
            foreach (OrderLine x{{k}} in items)
            {
                if (x{{k}}.Amount >= max{{k}})
                {
                    max{{k}} = Math.Max(max{{k}}, x{{k}}.Amount + x{{k}}.Length);
                }

                total{{k}} += x{{k}}.Amount;
            }

            AuditLog.Debug("total {0} max {1} for {2}", total{{k}}, max{{k}}, tenant);
        }
        """;

    private static string ValidateCall(int k, Rng r) => $$"""
        int rc{{k}} = Validate(items, {{r.Next(0, 16)}});
        if (rc{{k}} < 0)
        {
            _state = 3;
            return rc{{k}};
        }
        """;

    private static string DrainCompletions(int k, Rng r) => $$"""
        int spins{{k}} = 0;
        while (_tail != _head && spins{{k}} < {{r.Next(16, 512)}})
        {
            _tail = (_tail + 1) & _mask;
            spins{{k}}++;
            if ((spins{{k}} & 0xf) == 0)
            {
                DriverLog.Debug("drained {0}", spins{{k}});
            }
        }
        """;

    private static string DrainQueue(int k, Rng r) => $$"""
        int spins{{k}} = 0;
        while (_tail != _head && spins{{k}} < {{r.Next(16, 512)}})
        {
            _tail = (_tail + 1) & _mask;
            spins{{k}}++;
            if ((spins{{k}} & 0xf) == 0)
            {
                AuditLog.Debug("drained {0}", spins{{k}});
            }
        }
        """;

    private static string Checksum(int k, Rng r) => $$"""
        uint crc{{k}} = 0xffffffff;
        for (int b{{k}} = 0; b{{k}} < items.Length; b{{k}}++)
        {
            crc{{k}} ^= items[b{{k}}].Length;
            for (int bit{{k}} = 0; bit{{k}} < 8; bit{{k}}++)
            {
                crc{{k}} = (crc{{k}} & 1) != 0 ? (crc{{k}} >> 1) ^ 0xedb88320 : crc{{k}} >> 1;
            }
        }

        _stats[3] = crc{{k}};
        """;

    private static string LockedCounters(int k, Rng r) => $$"""
        lock (_lock)
        {
            try
            {
                _pending += items.Length;
                if (_pending > {{r.Next(64, 4096)}})
                {
                    _pending = 0;
                }
            }
            finally
            {
                _generation++;
            }
        }
        """;

    private static string StateName(int k, Rng r) => $$"""
        string state{{k}} = _state switch
        {
            0 => "idle",
            1 => "running",
            2 => "draining",
            _ => "error",
        };
        if (state{{k}}.Length == 0 || _state == -1)
        {
            _state = 0;
        }
        """;

    private static string PendingList(int k, Rng r) => $$"""
        var pending{{k}} = new List<int>();
        for (int j{{k}} = 0; j{{k}} < items.Length; j{{k}}++)
        {
            if ((items[j{{k}}].Flags & 0x1) == 0)
            {
                pending{{k}}.Add(j{{k}});
            }
        }

        pending{{k}}.Sort();
        if (pending{{k}}.Count == 0)
        {
            _idle++;
        }
        """;

    private static string LambdaCount(int k, Rng r) => $$"""
        Func<HwDescriptor, bool> isLarge{{k}} = d => d.Length > {{r.Next(1, 32) * 512}} && d.Addr != DmaAddr.MappingError;
        int large{{k}} = 0;
        foreach (HwDescriptor d{{k}} in items)
        {
            if (isLarge{{k}}(d{{k}}))
            {
                large{{k}}++;
            }
        }

        _stats[0] += (ulong)large{{k}};
        """;

    private static string LambdaCountPlain(int k, Rng r) => $$"""
        Func<OrderLine, bool> isLarge{{k}} = d => d.Length > {{r.Next(1, 32) * 512}} && d.Sku != null;
        int large{{k}} = 0;
        foreach (OrderLine d{{k}} in items)
        {
            if (isLarge{{k}}(d{{k}}))
            {
                large{{k}}++;
            }
        }

        _stats[0] += (ulong)large{{k}};
        """;
}
