using System.IO;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Tests.Metadata;

/// <summary>
/// The descriptors are the one source of rule metadata. These tests fail when the doc pages, release tracking, presets,
/// README table or help links drift from them. Run with P2P_UPDATE_GENERATED=1 to rewrite the generated files.
/// </summary>
public sealed class RuleMetadataTests
{
    private static readonly bool Update = System.Environment.GetEnvironmentVariable("P2P_UPDATE_GENERATED") == "1";

    public static TheoryData<string> Ids => new(RuleMetadata.Descriptors.Select(d => d.Id));

    [Fact]
    public void EveryRule_HasCategorySeverityAndHelpLinkToItsPage()
    {
        Assert.NotEmpty(RuleMetadata.Descriptors);
        foreach (DiagnosticDescriptor d in RuleMetadata.Descriptors)
        {
            Assert.Equal("P2PDma", d.Category);
            Assert.Equal(DiagnosticSeverity.Warning, d.DefaultSeverity);
            Assert.True(d.IsEnabledByDefault, d.Id);
            Assert.EndsWith($"/docs/rules/{d.Id}.md", d.HelpLinkUri, System.StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void DocPage_ExistsAndIsTitledAsTheDescriptor(string id)
    {
        DiagnosticDescriptor d = RuleMetadata.Descriptors.Single(x => x.Id == id);
        string path = Path.Combine(RuleMetadata.RepositoryRoot, "docs", "rules", id + ".md");
        Assert.True(File.Exists(path), $"{path} is missing");
        string heading = File.ReadLines(path).First(l => l.StartsWith("# ", System.StringComparison.Ordinal));
        Assert.Contains(id, heading);
        Assert.Contains(d.Title.ToString(), heading);
    }

    [Fact]
    public void ReleaseTracking_ListsExactlyTheDescriptors()
    {
        string path = Path.Combine(RuleMetadata.RepositoryRoot, "src", "P2PAnalyzers", "AnalyzerReleases.Unshipped.md");
        string text = File.ReadAllText(path).Replace("\r\n", "\n");
        Assert.Contains(RuleMetadata.ReleaseTable(), text);
        Assert.Equal(RuleMetadata.Descriptors.Count, Regex.Matches(text, @"^P2P\d{4} \|", RegexOptions.Multiline).Count);
    }

    [Theory]
    [InlineData("Default")]
    [InlineData("Strict")]
    [InlineData("None")]
    public void Preset_IsGeneratedFromTheDescriptors(string mode)
    {
        string path = Path.Combine(RuleMetadata.RepositoryRoot, "src", "Packaging", "config", $"P2PAnalyzers.{mode}.globalconfig");
        CheckGenerated(path, RuleMetadata.Preset(mode));
    }

    [Fact]
    public void ReadmeRuleTable_IsGeneratedFromTheDescriptors()
    {
        string path = Path.Combine(RuleMetadata.RepositoryRoot, "README.md");
        string readme = File.ReadAllText(path).Replace("\r\n", "\n");
        const string begin = "<!-- rules:begin -->\n";
        const string end = "<!-- rules:end -->";
        int from = readme.IndexOf(begin, System.StringComparison.Ordinal);
        int to = readme.IndexOf(end, System.StringComparison.Ordinal);
        Assert.True(from >= 0 && to > from, "README.md needs the rules:begin/rules:end markers");
        string expected = readme.Substring(0, from + begin.Length) + RuleMetadata.ReadmeTable() + readme.Substring(to);
        CheckGenerated(path, expected);
    }

    private static void CheckGenerated(string path, string expected)
    {
        if (Update)
        {
            File.WriteAllText(path, expected);
            return;
        }

        Assert.True(File.Exists(path), $"{path} is missing; run the tests with P2P_UPDATE_GENERATED=1");
        Assert.Equal(expected, File.ReadAllText(path).Replace("\r\n", "\n"));
    }
}
