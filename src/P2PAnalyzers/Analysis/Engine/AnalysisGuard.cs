using System;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Keeps an analyzer's own defect from failing a user's build (AD0001): a rule that cannot finish stays silent. Tests
/// set <see cref="Rethrow"/> so that such defects fail them instead of hiding.
/// </summary>
internal static class AnalysisGuard
{
    /// <summary>Set by tests: let exceptions through.</summary>
    internal static bool Rethrow { get; set; }

    public static bool Run(Func<bool> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (!Rethrow && e is not OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>As <see cref="Run(Func{bool})"/>, for hot paths: a static callback and its state, so that nothing is allocated per call.</summary>
    public static bool Run<TState>(TState state, Func<TState, bool> action)
    {
        try
        {
            return action(state);
        }
        catch (Exception e) when (!Rethrow && e is not OperationCanceledException)
        {
            return false;
        }
    }
}
