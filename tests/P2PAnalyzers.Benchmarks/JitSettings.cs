using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace P2PAnalyzers.Benchmarks;

/// <summary>
/// Roslyn is a large body of code: with tiered JIT and ReadyToRun images, a fresh process on 2 cores needs several
/// 1,000-file runs before its code is fully optimized, and the floors and the P2P runs would be measured at different
/// stages of that. Every measured process therefore runs with full JIT optimization from the first call: tiered
/// compilation and ReadyToRun code off. The quick mode re-launches itself with these settings; the full mode gives
/// them to BenchmarkDotNet's job.
/// </summary>
public static class JitSettings
{
    public static IReadOnlyList<(string Name, string Value)> Variables { get; } = new[]
    {
        ("DOTNET_TieredCompilation", "0"),
        ("DOTNET_ReadyToRun", "0"),
    };

    public static bool InEffect => Variables.All(v => Environment.GetEnvironmentVariable(v.Name) == v.Value);

    /// <summary>Runs this program again with <see cref="Variables"/> set, and returns its exit code.</summary>
    public static int Relaunch(string[] args)
    {
        string host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        if (System.IO.Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(JitSettings).Assembly.Location);
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in Variables)
        {
            start.Environment[name] = value;
        }

        using Process child = Process.Start(start) ?? throw new InvalidOperationException("could not start " + host);
        child.WaitForExit();
        return child.ExitCode;
    }
}
