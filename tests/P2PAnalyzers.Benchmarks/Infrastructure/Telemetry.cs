using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Diagnostics.Telemetry;

namespace P2PAnalyzers.Benchmarks.Infrastructure;

/// <summary>One rule's share of an all-rules run, from Roslyn's analyzer telemetry (summed callback time across threads).</summary>
public sealed record RuleTelemetry(string Id, TimeSpan ExecutionTime, int Diagnostics);

public static class Telemetry
{
    /// <summary>Runs every P2P analyzer once with execution-time logging and returns per-rule figures.</summary>
    public static IReadOnlyList<RuleTelemetry> PerRule(Compilation compilation, int expected)
    {
        CompilationWithAnalyzers cwa = AnalyzerRuns.With(compilation, AnalyzerSets.AllP2P, telemetry: true);
        // Roslyn records execution times on this path (not on GetAllDiagnosticsAsync).
        ImmutableArray<Diagnostic> diagnostics = cwa.GetAnalyzerDiagnosticsAsync(CancellationToken.None).GetAwaiter().GetResult();
        AnalyzerRuns.ExpectCount(diagnostics, expected);
        var result = new List<RuleTelemetry>();
        foreach (DiagnosticAnalyzer analyzer in AnalyzerSets.AllP2P)
        {
            AnalyzerTelemetryInfo info = cwa.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None).GetAwaiter().GetResult();
            string id = AnalyzerSets.RuleId(analyzer);
            result.Add(new RuleTelemetry(id, info.ExecutionTime, diagnostics.Count(d => d.Id == id)));
        }

        return result;
    }
}
