using System.Globalization;
using System.IO;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using P2PAnalyzers.Corpus;
using P2PAnalyzers.Robustness.Infrastructure;
using Xunit.Abstractions;

namespace P2PAnalyzers.Robustness.Ruling;

/// <summary>
/// The ruling (sonar-dotnet's term): every analyzer over the samples (each project compiled against the library, as the
/// samples build) and a fixed generated corpus, compared with the checked-in <c>Ruling/expected.txt</c>
/// (<c>ID&lt;TAB&gt;file&lt;TAB&gt;line&lt;TAB&gt;message</c>). Any change in what the rules report fails here with a
/// diff; when the change is intended, rerun with <c>P2P_UPDATE_RULING=1</c> and review the file's diff.
/// </summary>
public sealed class RulingTests
{
    public const string Header = """
        # Ruling: what every P2P analyzer reports on the samples and on DriverCorpus.Generate(60, seed: 7) (paths under corpus/).
        # ID<TAB>file<TAB>line<TAB>message. Checked by tests/P2PAnalyzers.Robustness (RulingTests); after an intended change run
        #   P2P_UPDATE_RULING=1 dotnet test tests/P2PAnalyzers.Robustness -c Release --filter FullyQualifiedName~Ruling
        # and review the diff of this file.
        """;

    private readonly ITestOutputHelper _output;

    public RulingTests(ITestOutputHelper output) => _output = output;

    private static string ExpectedPath => Path.Combine(Mode.RepositoryRoot, "tests", "P2PAnalyzers.Robustness", "Ruling", "expected.txt");

    [Fact]
    public async Task SamplesAndFixedCorpus_ReportExactlyTheCheckedInRuling()
    {
        var sets = SourceSet.Samples().ToList();
        sets.Add(SourceSet.Whole(DriverCorpus.Generate(60, seed: 7)));
        var actual = new List<(string File, int Line, string Id, string Message)>();
        foreach (SourceSet set in sets)
        {
            CSharpCompilation compilation = CSharpCompilation.Create(
                set.Name,
                set.Files.Select(f => CSharpSyntaxTree.ParseText(f.Text, Workbench.ParseOptions, f.Path)),
                set.WithLibrary ? References.WithLibrary : References.Framework,
                new CSharpCompilationOptions(set.Kind, nullableContextOptions: NullableContextOptions.Enable));
            Diagnostic[] errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
            Assert.True(errors.Length == 0, $"{set.Name} does not compile in the ruling's setup:\n{string.Join("\n", errors.Take(10))}");

            AnalysisResult result = await AnalyzerRun.RunAsync(compilation, CancellationToken.None);
            Assert.Empty(result.Exceptions);
            actual.AddRange(result.Product.Select(d => (
                d.Location.SourceTree!.FilePath,
                d.Location.GetLineSpan().StartLinePosition.Line + 1,
                d.Id,
                d.GetMessage(CultureInfo.InvariantCulture))));
        }

        List<string> lines = actual
            .OrderBy(d => d.File, StringComparer.Ordinal).ThenBy(d => d.Line).ThenBy(d => d.Id, StringComparer.Ordinal).ThenBy(d => d.Message, StringComparer.Ordinal)
            .Select(d => $"{d.Id}\t{d.File}\t{d.Line.ToString(CultureInfo.InvariantCulture)}\t{d.Message}")
            .ToList();

        if (Environment.GetEnvironmentVariable("P2P_UPDATE_RULING") == "1")
        {
            File.WriteAllText(ExpectedPath, Header.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n" + string.Join("\n", lines) + "\n", new UTF8Encoding(false));
            _output.WriteLine($"rewrote {ExpectedPath} with {lines.Count} diagnostics; review its diff");
            return;
        }

        Assert.True(File.Exists(ExpectedPath), $"{ExpectedPath} is missing: create it with P2P_UPDATE_RULING=1");
        List<string> expected = File.ReadAllLines(ExpectedPath).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        string diff = Diff(expected, lines);
        Assert.True(diff.Length == 0, $"The rules report something else than the checked-in ruling ({ExpectedPath}).\n"
            + "If the change is intended, rerun with P2P_UPDATE_RULING=1 and review the file's diff.\n"
            + "- expected, not reported / + reported, not expected:\n" + diff);

        // The same diagnostics the real build of the samples gives (.ci/samples.expected, file:line: ID).
        string buildExpected = Path.Combine(Mode.RepositoryRoot, ".ci", "samples.expected");
        if (File.Exists(buildExpected))
        {
            var reported = lines.Select(l => l.Split('\t')).Select(p => $"{p[1]}:{p[2]}: {p[0]}").ToList();
            foreach (string line in File.ReadAllLines(buildExpected).Where(l => l.Length > 0))
            {
                Assert.True(reported.Remove(line), $".ci/samples.expected has '{line}', which the in-process ruling does not report");
            }
        }

        _output.WriteLine($"ruling: {lines.Count} diagnostics, as checked in");
    }

    /// <summary>Lines only in <paramref name="expected"/> (-) and only in <paramref name="actual"/> (+), as multisets, in order.</summary>
    private static string Diff(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        var text = new StringBuilder();
        var unmatched = actual.ToList();
        foreach (string line in expected)
        {
            if (!unmatched.Remove(line))
            {
                text.Append("- ").Append(line).Append('\n');
            }
        }

        var missing = expected.ToList();
        foreach (string line in actual)
        {
            if (!missing.Remove(line))
            {
                text.Append("+ ").Append(line).Append('\n');
            }
        }

        return text.ToString();
    }
}
