using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace P2PAnalyzers.Benchmarks.Infrastructure;

/// <summary>Wall time and allocated bytes of repeated runs (the quick mode's stand-in for a BenchmarkDotNet job).</summary>
public sealed class Measurement
{
    public Measurement(string name, IReadOnlyList<double> milliseconds, IReadOnlyList<double> cpuMilliseconds, long allocatedBytes)
    {
        Name = name;
        Milliseconds = milliseconds;
        CpuMilliseconds = cpuMilliseconds;
        AllocatedBytes = allocatedBytes;
    }

    public string Name { get; }

    public IReadOnlyList<double> Milliseconds { get; }

    /// <summary>Processor time of the whole process (all threads) per run: less disturbed than wall time by other load on the machine.</summary>
    public IReadOnlyList<double> CpuMilliseconds { get; }

    public double Median => MedianOf(Milliseconds);

    public double CpuMedian => MedianOf(CpuMilliseconds);

    public double Min => Milliseconds.Min();

    /// <summary>Bytes allocated by one run (all threads), from the last measured run.</summary>
    public long AllocatedBytes { get; }

    public static double MedianOf(IReadOnlyList<double> values)
    {
        double[] sorted = values.OrderBy(x => x).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

public static class Measure
{
    /// <summary>
    /// Runs each case <paramref name="warmup"/> times unmeasured, then <paramref name="iterations"/> rounds in which every case
    /// runs once (interleaved, so that drift of a noisy machine hits all cases alike).
    /// </summary>
    public static IReadOnlyList<Measurement> Interleaved(IReadOnlyList<(string Name, Action Run)> cases, int warmup, int iterations) =>
        Interleaved(cases.Select(c => (c.Name, (Func<Action>)(() => c.Run))).ToList(), warmup, iterations);

    /// <summary>As above, with an unmeasured preparation before each run that returns the measured part.</summary>
    public static IReadOnlyList<Measurement> Interleaved(IReadOnlyList<(string Name, Func<Action> Prepare)> cases, int warmup, int iterations)
    {
        for (int w = 0; w < warmup; w++)
        {
            foreach (var c in cases)
            {
                c.Prepare()();
            }
        }

        var times = cases.Select(_ => new List<double>()).ToArray();
        var cpu = cases.Select(_ => new List<double>()).ToArray();
        var allocated = new long[cases.Count];
        for (int i = 0; i < iterations; i++)
        {
            for (int k = 0; k < cases.Count; k++)
            {
                Action run = cases[k].Prepare();
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                long before = GC.GetTotalAllocatedBytes(precise: true);
                TimeSpan cpuBefore = ProcessorTime();
                var sw = Stopwatch.StartNew();
                run();
                sw.Stop();
                cpu[k].Add((ProcessorTime() - cpuBefore).TotalMilliseconds);
                allocated[k] = GC.GetTotalAllocatedBytes(precise: true) - before;
                times[k].Add(sw.Elapsed.TotalMilliseconds);
            }
        }

        return cases.Select((c, k) => new Measurement(c.Name, times[k], cpu[k], allocated[k])).ToList();
    }

    /// <summary>User and kernel time of this process so far, all threads.</summary>
    public static TimeSpan ProcessorTime()
    {
        using Process self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
