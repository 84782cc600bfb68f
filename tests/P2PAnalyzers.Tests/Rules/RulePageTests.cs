using System.IO;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// The doc pages of P2P0010-P2P0014 and P2P0020-P2P0024 stay true: they have every section the rule contract asks for, their Bad code
/// compiles and draws the rule, and their Good code compiles and draws no family-2 diagnostic.
/// </summary>
public sealed partial class RulePageTests
{
    private static readonly string[] Sections =
    {
        "## What it flags", "## Why", "## Bad code", "## Good code", "## The fix", "## Options", "## When to suppress",
        "## False-positive contract",
    };

    public static TheoryData<string> Rules => new() { "P2P0010", "P2P0011", "P2P0012", "P2P0013", "P2P0014", "P2P0020", "P2P0021", "P2P0022", "P2P0023", "P2P0024" };

    [Theory]
    [MemberData(nameof(Rules))]
    public void DocPage_HasEverySection(string id)
    {
        string page = Page(id);
        Assert.StartsWith("# " + id + ": ", page, System.StringComparison.Ordinal);
        foreach (string section in Sections)
        {
            Assert.Contains("\n" + section + "\n", page, System.StringComparison.Ordinal);
        }

        Assert.Contains("dotnet_diagnostic." + id + ".severity", page, System.StringComparison.Ordinal);
        Assert.Contains("P2PAnalysisMode", page, System.StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public async Task BadCode_CompilesAndReports(string id)
    {
        var diagnostics = await Run(Sample(Page(id), "## Bad code"));
        Assert.Contains(diagnostics, d => d.Id == id);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public async Task GoodCode_CompilesAndNoDiagnosticOfItsFamily(string id)
    {
        var diagnostics = await Run(Sample(Page(id), "## Good code"));
        string family = id.Substring(0, "P2P00x".Length);
        Assert.Empty(diagnostics.Where(d => d.Id.StartsWith(family, System.StringComparison.Ordinal)));
    }

    private static async Task<System.Collections.Immutable.ImmutableArray<Diagnostic>> Run(string source)
    {
        var compilation = AllAnalyzers.Compile(source);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var diagnostics = await AllAnalyzers.RunAsync(compilation);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        return diagnostics;
    }

    /// <summary>The first C# block of <paramref name="section"/>.</summary>
    private static string Sample(string page, string section)
    {
        int start = page.IndexOf("\n" + section + "\n", System.StringComparison.Ordinal);
        Assert.True(start >= 0, section + " is missing");
        Match block = CSharpBlock().Match(page, start);
        Assert.True(block.Success, "no C# block under " + section);
        return block.Groups[1].Value;
    }

    private static string Page(string id)
    {
        string? dir = System.AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "P2PAnalyzers.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        Assert.NotNull(dir);
        return File.ReadAllText(Path.Combine(dir!, "docs", "rules", id + ".md")).Replace("\r\n", "\n");
    }

    [GeneratedRegex("```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
