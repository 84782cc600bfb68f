using System;
using System.Collections.Generic;
using System.Linq;

namespace P2PDma.Pci.Description;

/// <summary>One thing wrong with a topology description: where it is and what is wrong.</summary>
/// <param name="Line">1-based line of the text description; null for a topology built in code.</param>
/// <param name="Subject">The declaration at fault (e.g. <c>endpoint gpu0</c>, <c>bar gpu0 0</c>).</param>
/// <param name="Field">The field at fault (e.g. <c>parent</c>, <c>size</c>, <c>keyword</c>).</param>
/// <param name="Message">What is wrong, in words.</param>
public sealed record TopologyError(int? Line, string Subject, string Field, string Message)
{
    /// <summary>E.g. <c>line 7 (bar gpu0 0), field 'size': 0x3000 is not a power of two</c>.</summary>
    public override string ToString() =>
        Line is int line
            ? $"line {line} ({Subject}), field '{Field}': {Message}"
            : $"{Subject}, field '{Field}': {Message}";
}

/// <summary>
/// A topology description was malformed or inconsistent. <see cref="Errors"/> lists every problem found, each with its
/// line and field; no topology is returned when this is thrown.
/// </summary>
public sealed class TopologyException : Exception
{
    /// <summary>Creates the exception for a non-empty list of errors.</summary>
    public TopologyException(IReadOnlyList<TopologyError> errors)
        : base(Describe(errors))
    {
        Errors = errors;
    }

    /// <summary>Every problem found, in the order of the description.</summary>
    public IReadOnlyList<TopologyError> Errors { get; }

    private static string Describe(IReadOnlyList<TopologyError> errors)
    {
        if (errors.Count == 0)
        {
            throw new ArgumentException("A topology exception needs at least one error.", nameof(errors));
        }

        string head = errors.Count == 1 ? "Invalid topology: " : $"Invalid topology ({errors.Count} errors): ";
        return head + string.Join("; ", errors.Select(e => e.ToString()));
    }
}
