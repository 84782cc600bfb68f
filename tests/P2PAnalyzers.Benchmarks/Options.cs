using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace P2PAnalyzers.Benchmarks;

/// <summary>Command-line options. Everything not recognised is handed to BenchmarkDotNet in full mode.</summary>
public sealed class Options
{
    public bool Quick { get; private set; }

    public bool VerifyOnly { get; private set; }

    /// <summary>Runs the all-rules case on the driver corpus this many times and exits (for a profiler such as dotnet-trace).</summary>
    public int Profile { get; private set; }

    /// <summary>Driver and plain corpus sizes (files).</summary>
    public IReadOnlyList<int> Sizes { get; private set; } = new[] { 100, 1000, 5000 };

    /// <summary>Measured runs per case (quick mode: 3; full mode: 5).</summary>
    public int Iterations => _iterations ?? (Quick ? 3 : 5);

    /// <summary>Unmeasured runs per case first (quick mode: 1; full mode: 2).</summary>
    public int Warmup => _warmup ?? (Quick ? 1 : 2);

    private int? _iterations;
    private int? _warmup;

    /// <summary>Also time each rule alone (quick mode; the full mode does it at 1,000 files).</summary>
    public bool PerRule { get; private set; } = true;

    /// <summary>Lines of the editor benchmark's open document.</summary>
    public int EditorLines { get; private set; } = 2000;

    /// <summary>Only these corpus kinds (driver, plain, editor); all when empty.</summary>
    public IReadOnlyList<string> Only { get; private set; } = Array.Empty<string>();

    /// <summary>Skip the verification pass (for timing experiments only; CI keeps it).</summary>
    public bool NoVerify { get; private set; }

    /// <summary>
    /// Run with <c>p2p_analyzers.whole_program = false</c> (an experiment: what the rules cost without the summary). The
    /// cross-method diagnostics go, so the counts are not checked.
    /// </summary>
    public bool NoWholeProgram { get; private set; }

    public List<string> Rest { get; } = new();

    public bool Includes(string kind) => Only.Count == 0 || Only.Contains(kind);

    public static Options Parse(string[] args)
    {
        var o = new Options();
        bool sizesGiven = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    o.Quick = true;
                    break;
                case "--profile":
                    o.Profile = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--verify-only":
                    o.VerifyOnly = true;
                    break;
                case "--sizes":
                    o.Sizes = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                    sizesGiven = true;
                    break;
                case "--iterations":
                    o._iterations = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--warmup":
                    o._warmup = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--only":
                    o.Only = args[++i].Split(',');
                    break;
                case "--no-verify":
                    o.NoVerify = true;
                    break;
                case "--no-whole-program":
                    o.NoWholeProgram = true;
                    o.NoVerify = true;
                    break;
                case "--no-per-rule":
                    o.PerRule = false;
                    break;
                case "--editor-lines":
                    o.EditorLines = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    o.Rest.Add(args[i]);
                    break;
            }
        }

        if ((o.Quick || o.VerifyOnly || o.Profile > 0) && !sizesGiven)
        {
            o.Sizes = new[] { 100 };
        }

        if (o.Sizes.Any(s => s < 2))
        {
            throw new ArgumentException("sizes must be at least 2 files");
        }

        return o;
    }

    /// <summary>The corpus size the editor document is added to: the largest size up to 1,000 files.</summary>
    public int EditorCorpusSize => Sizes.Where(s => s <= 1000).DefaultIfEmpty(Sizes.Min()).Max();
}
