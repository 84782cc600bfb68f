using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// What makes a fix of one diagnostic sound, shared by the unit-fix harness (which asserts it) and the kernel fix log
/// (which records it): the fixed code compiles, has fewer diagnostics of the rule, and no more of any other.
/// </summary>
internal static class FixSoundness
{
    /// <summary>Null when sound; else a short code for logs and the details for an assertion message.</summary>
    public static (string Code, string Detail)? Problem(Compilation after, ImmutableArray<Diagnostic> was, ImmutableArray<Diagnostic> now, string id)
    {
        var errors = after.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
        {
            return ("does-not-compile", string.Join("\n", errors));
        }

        if (now.Count(d => d.Id == id) >= was.Count(d => d.Id == id))
        {
            return ("diagnostic-stays", "diagnostic still there");
        }

        foreach (IGrouping<string, Diagnostic> rule in now.GroupBy(d => d.Id))
        {
            if (rule.Count() > was.Count(d => d.Id == rule.Key))
            {
                return ("new-" + rule.Key, $"new {rule.Key}: {string.Join("; ", rule.Select(d => d.GetMessage()))}");
            }
        }

        return null;
    }
}
