using System;
using P2PAnalyzers.Benchmarks;

Options options = Options.Parse(args);
P2PAnalyzers.Benchmarks.Infrastructure.AnalyzerRuns.WholeProgram = !options.NoWholeProgram;
if (!options.VerifyOnly && !JitSettings.InEffect)
{
    // Measure fully optimized code from the first run (see JitSettings).
    return JitSettings.Relaunch(args);
}

if (options.Profile > 0)
{
    return QuickMode.Profile(options);
}

if (options.VerifyOnly)
{
    return Verification.Run(options, Console.WriteLine) ? 0 : 1;
}

return options.Quick ? QuickMode.Run(options) : FullMode.Run(options);
