using System.Collections.Generic;
using System.Text;

namespace P2PAnalyzers.Corpus;

/// <summary>
/// Builds one file's text line by line and records planted diagnostics. Templates mark the line a diagnostic starts on
/// with <c>⟦P2P0011⟧</c> (several markers may share a line); the markers are removed from the text.
/// </summary>
internal sealed class CodeWriter
{
    private const char Open = '⟦';
    private const char Close = '⟧';

    private readonly StringBuilder _text = new();
    private readonly List<PlantedDiagnostic> _planted;
    private readonly string _path;

    public CodeWriter(string path, List<PlantedDiagnostic> planted)
    {
        _path = path;
        _planted = planted;
    }

    /// <summary>The 1-based number of the next line to be written.</summary>
    public int NextLine { get; private set; } = 1;

    /// <summary>Appends a block of lines (a template), each prefixed with <paramref name="indent"/>, recording its markers.</summary>
    public void Append(string block, string habit, string indent = "")
    {
        foreach (string raw in block.Replace("\r\n", "\n").Split('\n'))
        {
            string line = raw;
            int open;
            while ((open = line.IndexOf(Open)) >= 0)
            {
                int close = line.IndexOf(Close, open);
                _planted.Add(new PlantedDiagnostic(_path, NextLine, line.Substring(open + 1, close - open - 1), habit));
                line = line.Remove(open, close - open + 1);
            }

            _text.Append(line.Length == 0 ? "" : indent + line).Append('\n');
            NextLine++;
        }
    }

    public void Blank()
    {
        _text.Append('\n');
        NextLine++;
    }

    public CorpusFile ToFile() => new(_path, _text.ToString());
}
