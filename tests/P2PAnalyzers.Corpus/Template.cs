using System;

namespace P2PAnalyzers.Corpus;

/// <summary>
/// One class-sized piece of driver code. <see cref="Render"/> gets a unique class-name prefix and the generator's random
/// source; violation templates mark each diagnostic they plant with <c>⟦ID⟧</c> on its line.
/// </summary>
internal sealed record Template(string Name, string Habit, bool IsViolation, Func<string, Rng, string> Render);
