using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using P2PAnalyzers.EditorTests.Infrastructure;
using P2PAnalyzers.EditorTests.Lsp;
using Xunit.Abstractions;

namespace P2PAnalyzers.EditorTests;

/// <summary>
/// The analyzers in a real editor path: csharp-ls (the repository's local tool) loads Fixture/EditorFixture.csproj,
/// which consumes the analyzers through a ProjectReference, and publishes the P2P diagnostics of an opened file over
/// LSP with their ranges; an edit that adds a violation brings its diagnostic. csharp-ls offers no third-party code
/// fixes, so only diagnostics are checked here.
/// </summary>
/// <remarks>
/// Every wait is bounded so a broken server fails the test instead of hanging it; nothing here asserts on time. The
/// first run on a machine restores the tool (NuGet) and builds the fixture with its references, in the fixture's own
/// Configuration (EditorFixture) so that builds of the repository running meanwhile cannot pull the analyzer DLL away.
/// </remarks>
[Trait("Category", "Editor")]
public sealed class CSharpLsDiagnosticsTests
{
    private static readonly TimeSpan ToolRestoreTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan InitializeTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan FirstDiagnosticsTimeout = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan EditDiagnosticsTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(15);

    private const string FlaggedAttrs = "DmaAttrs.SkipCpuSync";
    private const string EditMarker = "// edit here";
    private const string EditedStatement = "DmaAddr raw = DmaAddr.FromRaw(dev.Bar(0).CpuStart.Raw);";
    private const string FlaggedFromRaw = "DmaAddr.FromRaw(dev.Bar(0).CpuStart.Raw)";

    private readonly ITestOutputHelper _output;

    public CSharpLsDiagnosticsTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task OpenedFile_GetsP2P0014AtTheAttrsArgument_AndAnEditAddsP2P0001()
    {
        var total = Stopwatch.StartNew();
        string repoRoot = FindRepoRoot();
        string fixtureDir = Path.Combine(repoRoot, "tests", "P2PAnalyzers.EditorTests", "Fixture");
        string sourcePath = Path.Combine(fixtureDir, "Exporter.cs");
        string uri = new Uri(sourcePath).AbsoluteUri;
        // Where the fixture's build puts the analyzers and where the server's design-time build finds them.
        string analyzerPath = Path.Combine(repoRoot, "src", "P2PAnalyzers", "bin", "EditorFixture", "netstandard2.0", "P2PAnalyzers.dll");

        // The server comes from the tool manifest (.config/dotnet-tools.json); the analyzer DLL it loads comes from
        // building the fixture, which builds src/P2PAnalyzers through the ProjectReference.
        // The tool was restored when this project was built (no network at test time); this only checks it is there.
        DotnetRun tool = await DotnetProcess.RunAsync(repoRoot, ToolRestoreTimeout, "tool", "list", "--local");
        Assert.True(tool.Succeeded && tool.Describe().Contains("csharp-ls", StringComparison.Ordinal),
            "csharp-ls is not restored: build this project (it runs `dotnet tool restore`) or run `dotnet tool restore`.\n" + tool.Describe());

        DotnetRun build = await BuildFixtureAsync(fixtureDir);
        Assert.True(build.Succeeded, build.Describe());
        Log($"fixture build: {build.Elapsed.TotalSeconds:0.0} s");

        string text = File.ReadAllText(sourcePath);
        LspRange expectedP2P0014 = RangeOf(text, FlaggedAttrs);

        CSharpLsServer server = CSharpLsServer.Start(fixtureDir, Path.Combine(AppContext.BaseDirectory, "csharp-ls-logs"));
        try
        {
            var phase = Stopwatch.StartNew();
            await server.InitializeAsync(InitializeTimeout);
            Log($"initialize: {phase.Elapsed.TotalSeconds:0.0} s");

            // 1. Open the file: the server loads the project (didOpen waits for that), runs the analyzers and
            //    publishes P2P0014 at the attributes argument, and no other P2P diagnostic.
            phase.Restart();
            await server.DidOpenAsync(uri, text);
            PublishedDiagnostics? opened = await server.Connection.WaitForAsync(
                received => PublishedFor(received, uri, DateTime.MinValue).LastOrDefault(p => P2P(p).Any()),
                FirstDiagnosticsTimeout);
            Assert.True(opened is not null, NothingArrived("P2P0014 after didOpen", FirstDiagnosticsTimeout, server, uri, analyzerPath));
            Log($"didOpen to P2P diagnostics: {phase.Elapsed.TotalSeconds:0.0} s; received {Describe(opened!)}");

            LspDiagnostic p2p0014 = Assert.Single(P2P(opened!));
            Assert.Equal("P2P0014", p2p0014.Code);
            Assert.Equal(expectedP2P0014, p2p0014.Range);
            Assert.Equal(2, p2p0014.Severity); // Warning
            Assert.Contains("SkipCpuSync", p2p0014.Message, StringComparison.Ordinal);

            // 2. Edit as an editor does (incremental change, not saved): the "// edit here" comment becomes a
            //    statement that stores a CPU physical address as a DMA address. P2P0001 arrives at the FromRaw call;
            //    P2P0014 stays where it was (the edit is below it).
            phase.Restart();
            LspRange marker = RangeOf(text, EditMarker);
            string edited = Replace(text, marker, EditedStatement);
            LspRange expectedP2P0001 = RangeOf(edited, FlaggedFromRaw);
            DateTime changeSent = DateTime.UtcNow;
            await server.DidChangeAsync(uri, 2, marker, EditedStatement);
            PublishedDiagnostics? changed = await server.Connection.WaitForAsync(
                received => PublishedFor(received, uri, changeSent).LastOrDefault(p => P2P(p).Any(d => d.Code == "P2P0001")),
                EditDiagnosticsTimeout);
            Assert.True(changed is not null, NothingArrived("P2P0001 after didChange", EditDiagnosticsTimeout, server, uri, analyzerPath));
            Log($"didChange to new diagnostic: {phase.Elapsed.TotalSeconds:0.0} s; received {Describe(changed!)}");

            Assert.Equal(
                new[] { ("P2P0001", expectedP2P0001), ("P2P0014", expectedP2P0014) },
                P2P(changed!).Select(d => (d.Code!, d.Range)).OrderBy(d => d.Item1, StringComparer.Ordinal).ToArray());
            LspDiagnostic p2p0001 = P2P(changed!).Single(d => d.Code == "P2P0001");
            Assert.Equal(2, p2p0001.Severity);
            Assert.Contains("DMA address", p2p0001.Message, StringComparison.Ordinal);

            await server.ShutdownAsync(ShutdownTimeout);
        }
        finally
        {
            await server.DisposeAsync();
            Log($"total: {total.Elapsed.TotalSeconds:0.0} s");
        }
    }

    private void Log(string line) => _output.WriteLine(line);

    private static async Task<DotnetRun> BuildFixtureAsync(string fixtureDir)
    {
        // The fixture's default Configuration (EditorFixture, the one csharp-ls loads too), so no -c. No build servers:
        // nothing may outlive the test, or hold the redirected output open. Other builds of the repository may run at
        // the same time and hold a shared file (obj/project.assets.json) for a moment, so one retry.
        string[] arguments = ["build", "EditorFixture.csproj", "--disable-build-servers", "-nologo", "-v:m"];
        DotnetRun first = await DotnetProcess.RunAsync(fixtureDir, BuildTimeout, arguments);
        if (first.Succeeded || first.TimedOut)
        {
            return first;
        }

        DotnetRun second = await DotnetProcess.RunAsync(fixtureDir, BuildTimeout, arguments);
        return second.Succeeded ? second : second with { Output = $"First attempt: {first.Describe()}{Environment.NewLine}Retry: {second.Output}" };
    }

    private static string FindRepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "P2PAnalyzers.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No P2PAnalyzers.sln above {AppContext.BaseDirectory}.");
    }

    private static IEnumerable<PublishedDiagnostics> PublishedFor(IReadOnlyList<ServerMessage> received, string uri, DateTime since) =>
        PublishedDiagnostics.From(received).Where(p => p.ReceivedUtc >= since && SameFile(p.Uri, uri));

    private static bool SameFile(string a, string b) =>
        Uri.TryCreate(a, UriKind.Absolute, out Uri? ua) && Uri.TryCreate(b, UriKind.Absolute, out Uri? ub)
        && string.Equals(ua.LocalPath, ub.LocalPath, StringComparison.Ordinal);

    private static IReadOnlyList<LspDiagnostic> P2P(PublishedDiagnostics published) =>
        published.Diagnostics.Where(d => d.Code is not null && d.Code.StartsWith("P2P", StringComparison.Ordinal)).ToArray();

    /// <summary>The range of the only occurrence of <paramref name="needle"/> (LSP: zero-based, UTF-16 columns).</summary>
    private static LspRange RangeOf(string text, string needle)
    {
        int index = text.IndexOf(needle, StringComparison.Ordinal);
        Assert.True(index >= 0 && text.IndexOf(needle, index + 1, StringComparison.Ordinal) < 0, $"'{needle}' must occur exactly once in the fixture.");
        (int line, int character) start = Position(text, index);
        (int line, int character) end = Position(text, index + needle.Length);
        return new LspRange(start.line, start.character, end.line, end.character);
    }

    private static (int Line, int Character) Position(string text, int offset)
    {
        int line = 0;
        int lineStart = 0;
        for (int i = 0; i < offset; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return (line, offset - lineStart);
    }

    private static string Replace(string text, LspRange range, string replacement)
    {
        string[] lines = text.Split('\n');
        int start = lines.Take(range.StartLine).Sum(l => l.Length + 1) + range.StartCharacter;
        int end = lines.Take(range.EndLine).Sum(l => l.Length + 1) + range.EndCharacter;
        return text[..start] + replacement + text[end..];
    }

    private static string Describe(PublishedDiagnostics published) =>
        published.Diagnostics.Count == 0
            ? "no diagnostics"
            : string.Join("; ", published.Diagnostics.Select(d => d.ToString()));

    /// <summary>A timeout message that says what was received and what was not.</summary>
    private static string NothingArrived(string awaited, TimeSpan timeout, CSharpLsServer server, string uri, string analyzerPath)
    {
        var text = new StringBuilder();
        text.AppendLine($"No {awaited} for {uri} within {timeout.TotalSeconds:0} s.");
        text.AppendLine(File.Exists(analyzerPath)
            ? $"Analyzer assembly {analyzerPath} exists, last written {File.GetLastWriteTimeUtc(analyzerPath):HH:mm:ss.fff} UTC."
            : $"Analyzer assembly {analyzerPath} is missing.");
        List<PublishedDiagnostics> published = PublishedDiagnostics.From(server.Connection.Received).ToList();
        text.AppendLine(published.Count == 0
            ? "No textDocument/publishDiagnostics was received at all (is analyzersEnabled reaching the server? is the project loaded?)."
            : $"textDocument/publishDiagnostics received ({published.Count}):");
        foreach (PublishedDiagnostics p in published)
        {
            text.AppendLine($"  {p.ReceivedUtc:HH:mm:ss.fff} {p.Uri}: {Describe(p)}");
        }

        text.Append(server.DescribeSideChannels());
        return text.ToString();
    }
}
