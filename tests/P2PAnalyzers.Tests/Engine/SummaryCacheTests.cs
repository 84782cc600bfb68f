using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using P2PAnalyzers.Analysis;
using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Engine;

/// <summary>
/// The editor's case: each edit gives a new compilation that shares the unchanged files' trees. Summaries of bodies in
/// unchanged files are reused when what they read is unchanged, and the diagnostics are those of a fresh analysis.
/// </summary>
public sealed class SummaryCacheTests
{
    private const string Usings = "using System;\nusing P2PDma.Addresses;\nusing P2PDma.Mapping;\nusing P2PDma.Pci;\n";

    private const string Probe = Usings + """
        sealed class HlDevice { public PciDevice Pdev = null!; public ulong DramPciBarStart; }
        static class HlPci
        {
            public static void Init(HlDevice hdev) => hdev.DramPciBarStart = hdev.Pdev.Bar(4).CpuStart.Raw;
        }
        """;

    private const string DmaBuf = Usings + """
        static class HlDmaBuf
        {
            public static void SetDmaSg(HlDevice hdev, Scatterlist sg) => sg.DmaAddress = DmaAddr.FromRaw(hdev.DramPciBarStart);
        }
        """;

    private const string Unrelated = Usings + "static class Other { public static int Twice(int x) => x * 2; }";

    [Fact]
    public async Task EditToAnUnrelatedFile_ReadsOnlyThatFile_SameDiagnostics()
    {
        CSharpCompilation first = AllAnalyzers.Compile(Probe, DmaBuf, Unrelated);
        string before = Render(await AllAnalyzers.RunAsync(first));
        Assert.Contains("P2P0001", before);

        SyntaxTree unrelated = first.SyntaxTrees.Single(t => t.FilePath.EndsWith("Test2.cs", StringComparison.Ordinal));
        Compilation second = first.ReplaceSyntaxTree(unrelated, unrelated.WithChangedText(unrelated.GetText().Replace(0, 0, "// edited\n")));
        string after = Render(await AllAnalyzers.RunAsync(second));

        Assert.Equal(before, after);
        ProgramSummary summary = KnownSymbols.TryGet(second)!.Program;
        Assert.True(summary.Analyses == 1, $"the edit was solved from the earlier solution: read {summary.Analyses} bodies (the edited file has one)");
    }

    [Fact]
    public async Task EditThatAddsAMappedStore_SolvedFromTheEarlierSolution_AsAFreshSolve()
    {
        // The probe file gains a second store, of a mapped address: the field's stores now disagree and the finding goes.
        CSharpCompilation first = AllAnalyzers.Compile(Probe, DmaBuf, Unrelated);
        Assert.Contains("P2P0001", Render(await AllAnalyzers.RunAsync(first)));

        SyntaxTree probe = first.SyntaxTrees.Single(t => t.FilePath.EndsWith("Test0.cs", StringComparison.Ordinal));
        string text = probe.GetText().ToString().Replace(
            "public static void Init(",
            "public static void Remap(HlDevice hdev, PciDevice c) => hdev.DramPciBarStart = Dma.MapResource(c, hdev.Pdev.Bar(4).CpuStart, 4096, DmaDirection.ToDevice, DmaAttrs.Mmio).Raw;\n    public static void Init(",
            StringComparison.Ordinal);
        SyntaxTree edited = probe.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(text));
        Compilation second = first.ReplaceSyntaxTree(probe, edited);
        string incremental = Render(await AllAnalyzers.RunAsync(second));

        // A fresh solve of the same code: every tree parsed anew, so nothing earlier can be reused.
        CSharpCompilation fresh = AllAnalyzers.Compile(text, DmaBuf, Unrelated);
        Assert.Equal(Render(await AllAnalyzers.RunAsync(fresh)), incremental);
        Assert.DoesNotContain("P2P0001", incremental);
    }

    [Fact]
    public async Task EditThatRemovesTheStoreAtProbe_DiagnosticGoes()
    {
        CSharpCompilation first = AllAnalyzers.Compile(Probe, DmaBuf);
        Assert.Contains("P2P0001", Render(await AllAnalyzers.RunAsync(first)));

        SyntaxTree probe = first.SyntaxTrees.Single(t => t.FilePath.EndsWith("Test0.cs", StringComparison.Ordinal));
        string text = probe.GetText().ToString().Replace("hdev.Pdev.Bar(4).CpuStart.Raw", "0x1000UL", StringComparison.Ordinal);
        Compilation second = first.ReplaceSyntaxTree(probe, probe.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(text)));

        Assert.DoesNotContain("P2P0001", Render(await AllAnalyzers.RunAsync(second)));
    }

    [Fact]
    public async Task EditThatMovesTheStoreAtProbe_MessageUnchanged()
    {
        CSharpCompilation first = AllAnalyzers.Compile(Probe, DmaBuf);
        string before = Messages(await AllAnalyzers.RunAsync(first));

        SyntaxTree probe = first.SyntaxTrees.Single(t => t.FilePath.EndsWith("Test0.cs", StringComparison.Ordinal));
        Compilation second = first.ReplaceSyntaxTree(probe, probe.WithChangedText(probe.GetText().Replace(0, 0, "\n\n// moved down\n")));

        Assert.Equal(before, Messages(await AllAnalyzers.RunAsync(second)));
    }

    [Fact]
    public async Task EditThatRemovesTheReadingBody_NoStaleBodyIsRead()
    {
        // The edited file stores the field and loses the body that read it: the store's value changes (it is made in
        // a new tree), so its readers are read again, and the earlier solution must not name the body that is gone.
        const string both = Usings + """
            sealed class Dev
            {
                public ulong Bar;
                public void Probe(PciDevice pdev) => Bar = pdev.Bar(0).CpuStart.Raw;
                public void Use(Scatterlist sg) => sg.DmaAddress = DmaAddr.FromRaw(Bar);
            }
            """;
        // A sink elsewhere, so that the next compilation's rules ask for the summary.
        const string sink = Usings + "static class Ring { public static DmaAddr Entry(ulong x) => DmaAddr.FromRaw(x); }";
        CSharpCompilation first = AllAnalyzers.Compile(both, sink);
        Assert.Contains("P2P0001", Render(await AllAnalyzers.RunAsync(first)));

        SyntaxTree tree = first.SyntaxTrees.Single(t => t.FilePath.EndsWith("Test0.cs", StringComparison.Ordinal));
        string shorter = both.Replace("    public void Use(Scatterlist sg) => sg.DmaAddress = DmaAddr.FromRaw(Bar);\n", "", StringComparison.Ordinal);
        Assert.NotEqual(both, shorter);
        Compilation second = first.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(shorter)));

        Assert.DoesNotContain("P2P0001", Render(await AllAnalyzers.RunAsync(second)));
    }

    [Fact]
    public async Task EditOfAStoredFact_BodiesElsewhereSharingTheFieldName_NotBoundAgain()
    {
        // Names repeat across drivers: another device struct also has a DramPciBarStart. The edit changes the fact stored
        // at probe (BAR 4 to BAR 2), so every body naming the field is asked whether it refers to it; the answers for
        // the unchanged files are kept with their trees, so none of their bodies is bound in the new compilation.
        const string gaudi = Usings + """
            sealed class GaudiDevice { public ulong DramPciBarStart; }
            static class GaudiPci
            {
                public static ulong DramBase(GaudiDevice gdev) => gdev.DramPciBarStart + 0x1000UL;
            }
            """;
        CSharpCompilation first = AllAnalyzers.Compile(Probe, DmaBuf, gaudi);
        Assert.Contains("P2P0001", Render(await AllAnalyzers.RunAsync(first)));
        ProgramSummary before = KnownSymbols.TryGet(first)!.Program;
        Assert.True(before.ReferencesRead >= 1, $"the first solve asked which bodies refer to the field: {before.ReferencesRead}");

        SyntaxTree probe = first.SyntaxTrees.Single(t => t.FilePath.EndsWith("Test0.cs", StringComparison.Ordinal));
        string text = probe.GetText().ToString().Replace("Bar(4)", "Bar(2)", StringComparison.Ordinal);
        Compilation second = first.ReplaceSyntaxTree(probe, probe.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(text)));
        string incremental = Messages(await AllAnalyzers.RunAsync(second));

        Assert.Equal(Messages(await AllAnalyzers.RunAsync(AllAnalyzers.Compile(text, DmaBuf, gaudi))), incremental);
        Assert.Contains("P2P0001", incremental);
        ProgramSummary after = KnownSymbols.TryGet(second)!.Program;
        Assert.True(after.ReferencesRead == 0, $"bodies of unchanged files walked again: {after.ReferencesRead}");
    }

    private static string Render(IEnumerable<Diagnostic> diagnostics) =>
        string.Join("\n", diagnostics.Select(d => $"{d.Location.GetLineSpan()} {d.Id} {d.GetMessage()}"));

    private static string Messages(IEnumerable<Diagnostic> diagnostics) =>
        string.Join("\n", diagnostics.Select(d => $"{d.Id} {d.GetMessage()}"));
}
