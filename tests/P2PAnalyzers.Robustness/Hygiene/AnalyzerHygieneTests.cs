using System.IO;
using System.Reflection;
using P2PAnalyzers.CodeFixes.Shared;
using P2PAnalyzers.Robustness.Infrastructure;

namespace P2PAnalyzers.Robustness.Hygiene;

/// <summary>
/// The build enforces analyzer hygiene (src/.globalconfig, src/BannedSymbols.txt): these tests keep the wiring in place.
/// Checked by hand once: an analyzer using DateTime.Now, Random, File, Compilation.GetSemanticModel or a Compilation
/// field fails the build of src/P2PAnalyzers with RS0030, RS1035 and RS1008 errors.
/// </summary>
public sealed class AnalyzerHygieneTests
{
    private static string Src(params string[] path) => Path.Combine(new[] { Mode.RepositoryRoot, "src" }.Concat(path).ToArray());

    [Theory]
    [InlineData("RS1008")] // no per-compilation state in analyzer fields
    [InlineData("RS1030")] // no Compilation.GetSemanticModel in analyzers
    [InlineData("RS1035")] // no I/O, environment or other banned APIs in analyzers
    [InlineData("RS0030")] // the banned-API list below
    public void GlobalConfig_MakesTheRuleAnError(string rule)
    {
        string[] lines = File.ReadAllLines(Src(".globalconfig")).Select(l => l.Trim()).ToArray();

        Assert.Contains("is_global = true", lines);
        Assert.Contains($"dotnet_diagnostic.{rule}.severity = error", lines);
    }

    [Theory]
    [InlineData("P2PAnalyzers/P2PAnalyzers.csproj")]
    [InlineData("P2PAnalyzers.CodeFixes/P2PAnalyzers.CodeFixes.csproj")]
    public void AnalyzerProjects_RunTheBannedApiAnalyzerWithTheList_AndExtendedRules(string project)
    {
        string text = File.ReadAllText(Src(project.Split('/')));

        Assert.Contains("<PackageReference Include=\"Microsoft.CodeAnalysis.BannedApiAnalyzers\"", text, StringComparison.Ordinal);
        Assert.Contains("<PackageReference Include=\"Microsoft.CodeAnalysis.Analyzers\"", text, StringComparison.Ordinal);
        Assert.Contains("<AdditionalFiles Include=\"../BannedSymbols.txt\" />", text, StringComparison.Ordinal);
        Assert.Contains("<EnforceExtendedAnalyzerRules>true</EnforceExtendedAnalyzerRules>", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("P:System.DateTime.Now")]
    [InlineData("P:System.DateTime.UtcNow")]
    [InlineData("P:System.Environment.TickCount")]
    [InlineData("T:System.Diagnostics.Stopwatch")]
    [InlineData("T:System.Random")]
    [InlineData("M:System.Guid.NewGuid")]
    [InlineData("T:System.Threading.Thread")]
    [InlineData("T:System.Threading.Tasks.Parallel")]
    [InlineData("M:Microsoft.CodeAnalysis.Compilation.GetSemanticModel(Microsoft.CodeAnalysis.SyntaxTree,System.Boolean)")]
    public void BannedSymbols_ListsNondeterministicApis(string symbol) =>
        Assert.Contains(File.ReadAllLines(Src("BannedSymbols.txt")), l => l.StartsWith(symbol + ";", StringComparison.Ordinal));

    [Fact]
    public void AnalyzerAssembly_DoesNotReferenceWorkspaces()
    {
        // RS1038: an analyzer assembly that references Workspaces does not load in the compiler.
        AssemblyName[] references = typeof(Descriptors).Assembly.GetReferencedAssemblies();

        Assert.DoesNotContain(references, r => r.Name!.Contains("Workspaces", StringComparison.Ordinal));
        Assert.Contains(typeof(P2PCodeFix).Assembly.GetReferencedAssemblies(), r => r.Name == "Microsoft.CodeAnalysis.Workspaces");
    }
}
