using System.Collections.Generic;
using Microsoft.CodeAnalysis.Text;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Finds the names a body mentions from its text, for <see cref="TreeIndex"/>: walking a body's tokens makes a syntax
/// node object for every node of it, which profiles put at a tenth of the whole-program solve; scanning the characters
/// makes none. Each name is made into a string once per file (a small table looks the characters up first).
/// </summary>
/// <remarks>
/// The scan over-approximates: words in comments, string literals and code excluded by <c>#if</c> count as named, and so
/// do keywords. The index only proposes bodies; every use confirms a mention on the bound body, so an extra proposal
/// costs a look and changes no result. What the scan cannot read exactly, an identifier with a Unicode escape
/// (<c>\u0041</c>) or any character outside ASCII next to a word, makes it give the body back to the token walk.
/// </remarks>
internal sealed class IdentifierScanner
{
    private readonly string _text;
    private string?[] _table = new string?[256];
    private int _count;

    public IdentifierScanner(string text)
    {
        _text = text;
    }

    /// <summary>Adds every word of <paramref name="span"/> under <paramref name="ordinal"/>; false when the text cannot be read exactly.</summary>
    public bool TryScan(TextSpan span, Dictionary<string, List<int>> names, int ordinal)
    {
        int end = System.Math.Min(span.End, _text.Length);
        var found = new List<string>();
        for (int i = span.Start; i < end;)
        {
            char c = _text[i];
            if (c >= 0x80 || (c == '\\' && i + 1 < end && (_text[i + 1] == 'u' || _text[i + 1] == 'U')))
            {
                if (c >= 0x80 && !char.IsLetterOrDigit(c) && !IsNextToWord(i, end))
                {
                    i++;
                    continue;
                }

                return false;
            }

            if (!IsWordChar(c))
            {
                i++;
                continue;
            }

            int start = i;
            while (i < end && IsWordChar(_text[i]))
            {
                i++;
            }

            if (i < end && _text[i] >= 0x80)
            {
                return false;
            }

            // A number (1, 0x1F, 10UL) names nothing.
            if (c is >= '0' and <= '9')
            {
                continue;
            }

            found.Add(Intern(start, i - start));
        }

        foreach (string name in found)
        {
            Add(names, name, ordinal);
        }

        return true;
    }

    /// <summary>Records that body <paramref name="ordinal"/> names <paramref name="name"/> (bodies come in order).</summary>
    public static void Add(Dictionary<string, List<int>> names, string name, int ordinal)
    {
        if (!names.TryGetValue(name, out List<int>? list))
        {
            names[name] = list = new List<int>();
        }

        if (list.Count == 0 || list[list.Count - 1] != ordinal)
        {
            list.Add(ordinal);
        }
    }

    private static bool IsWordChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_';

    private bool IsNextToWord(int i, int end) =>
        (i > 0 && IsWordChar(_text[i - 1])) || (i + 1 < end && IsWordChar(_text[i + 1]));

    /// <summary>The string for the characters at <paramref name="start"/>, made once per distinct word.</summary>
    private string Intern(int start, int length)
    {
        int hash = 17;
        for (int k = 0; k < length; k++)
        {
            hash = unchecked((hash * 31) + _text[start + k]);
        }

        int mask = _table.Length - 1;
        for (int slot = hash & mask; ; slot = (slot + 1) & mask)
        {
            string? known = _table[slot];
            if (known is null)
            {
                string name = _text.Substring(start, length);
                _table[slot] = name;
                if (++_count * 2 > _table.Length)
                {
                    Grow();
                }

                return name;
            }

            if (known.Length == length && string.CompareOrdinal(known, 0, _text, start, length) == 0)
            {
                return known;
            }
        }
    }

    private void Grow()
    {
        string?[] old = _table;
        _table = new string?[old.Length * 2];
        int mask = _table.Length - 1;
        foreach (string? name in old)
        {
            if (name is null)
            {
                continue;
            }

            int hash = 17;
            foreach (char c in name)
            {
                hash = unchecked((hash * 31) + c);
            }

            int slot = hash & mask;
            while (_table[slot] is not null)
            {
                slot = (slot + 1) & mask;
            }

            _table[slot] = name;
        }
    }
}
