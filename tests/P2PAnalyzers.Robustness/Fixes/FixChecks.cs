using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace P2PAnalyzers.Robustness.Fixes;

/// <summary>The soundness checks of one applied fix (or Fix All): compiles as before, the diagnostic is gone, nothing else lost.</summary>
internal static partial class FixChecks
{
    /// <summary>Compiler errors and warnings the fixed project has and the original did not (by ID and message).</summary>
    public static IReadOnlyList<string> NewCompilerDiagnostics(IEnumerable<Diagnostic> before, IEnumerable<Diagnostic> after)
    {
        var remaining = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Diagnostic d in before)
        {
            remaining[Key(d)] = remaining.GetValueOrDefault(Key(d)) + 1;
        }

        // A field the code declares but never assigns (a variant lost its constructor's assignment): once a fix reads it,
        // the compiler's warning moves from "never used" (CS0169) to "never assigned" (CS0649). Same field, no new problem.
        var unusedFields = before.Where(d => d.Id == "CS0169").Select(QuotedName).ToHashSet(StringComparer.Ordinal);
        var added = new List<string>();
        foreach (Diagnostic d in after)
        {
            if (remaining.GetValueOrDefault(Key(d)) > 0)
            {
                remaining[Key(d)]--;
            }
            else if (!(d.Id == "CS0649" && unusedFields.Contains(QuotedName(d))))
            {
                added.Add(d.ToString());
            }
        }

        return added;

        static string Key(Diagnostic d) => d.Id + " " + d.GetMessage(CultureInfo.InvariantCulture);
    }

    private static string QuotedName(Diagnostic d)
    {
        string message = d.GetMessage(CultureInfo.InvariantCulture);
        int open = message.IndexOf('\'', StringComparison.Ordinal);
        int close = open < 0 ? -1 : message.IndexOf('\'', open + 1);
        return close < 0 ? message : message.Substring(open + 1, close - open - 1);
    }

    /// <summary>
    /// Where a span of the original text is after the changes: positions inside a changed region map to the whole
    /// region's replacement, so a diagnostic on rewritten code is looked for on the code that replaced it.
    /// </summary>
    public static TextSpan Map(TextSpan span, IReadOnlyList<TextChange> changes)
    {
        int start = MapPosition(span.Start, changes, isEnd: false);
        int end = MapPosition(span.End, changes, isEnd: true);
        return TextSpan.FromBounds(start, Math.Max(start, end));
    }

    private static int MapPosition(int position, IReadOnlyList<TextChange> changes, bool isEnd)
    {
        int delta = 0;
        foreach (TextChange c in changes.OrderBy(c => c.Span.Start))
        {
            // Entirely before the position (an insertion exactly at it is before an end, after a start).
            if (c.Span.End < position || (c.Span.End == position && (c.Span.Length > 0 || isEnd)))
            {
                delta += c.NewText!.Length - c.Span.Length;
                continue;
            }

            if (c.Span.Start < position && position < c.Span.End)
            {
                return c.Span.Start + delta + (isEnd ? c.NewText!.Length : 0);
            }

            break;
        }

        return position + delta;
    }

    /// <summary>The same finding: same rule, same message once line numbers (which move with the edit) are set aside.</summary>
    public static bool SameFinding(Diagnostic a, Diagnostic b) =>
        a.Id == b.Id && Message(a) == Message(b);

    public static string Message(Diagnostic d) => LineNumber().Replace(d.GetMessage(CultureInfo.InvariantCulture), "line #");

    /// <summary>A diagnostic of <paramref name="after"/> that is still <paramref name="original"/>, at its mapped place.</summary>
    public static Diagnostic? StillThere(Diagnostic original, IEnumerable<Diagnostic> after, IReadOnlyList<TextChange> changes)
    {
        TextSpan mapped = Map(original.Location.SourceSpan, changes);
        return after.FirstOrDefault(d => SameFinding(d, original) && (d.Location.SourceSpan.IntersectsWith(mapped) || d.Location.SourceSpan == mapped));
    }

    /// <summary>A short unified-style diff of two texts, line by line (for failure messages).</summary>
    public static string Diff(string before, string after)
    {
        string[] a = before.Split('\n');
        string[] b = after.Split('\n');
        int prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix])
        {
            prefix++;
        }

        int suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[a.Length - 1 - suffix] == b[b.Length - 1 - suffix])
        {
            suffix++;
        }

        var lines = new List<string> { $"@@ line {prefix + 1} @@" };
        lines.AddRange(a.Skip(prefix).Take(a.Length - prefix - suffix).Select(l => "- " + l));
        lines.AddRange(b.Skip(prefix).Take(b.Length - prefix - suffix).Select(l => "+ " + l));
        return string.Join("\n", lines.Take(80));
    }

    [GeneratedRegex(@"line \d+")]
    private static partial Regex LineNumber();
}
