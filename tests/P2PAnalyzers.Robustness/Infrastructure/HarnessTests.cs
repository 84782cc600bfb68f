using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using P2PAnalyzers.Robustness.Fixes;
using P2PAnalyzers.Robustness.Mutation;

namespace P2PAnalyzers.Robustness.Infrastructure;

/// <summary>The suite's own checks can fail: each one is shown catching what it is there to catch.</summary>
public sealed class HarnessTests
{
    [Fact]
    public async Task AnalyzerRun_SeesAnAnalyzerException()
    {
        CSharpCompilation compilation = CSharpCompilation.Create("T", new[] { CSharpSyntaxTree.ParseText("class C { }") }, References.Framework);

        AnalysisResult result = await AnalyzerRun.RunAsync(compilation, ImmutableArray.Create<DiagnosticAnalyzer>(new ThrowingAnalyzer()), CancellationToken.None);

        Assert.Contains(result.Exceptions, e => e.Contains("boom", StringComparison.Ordinal));
    }

    [Fact]
    public void Products_AreAllFound()
    {
        Assert.Equal(14, Products.Analyzers.Length);
        Assert.Equal(14, Products.Fixers.Length);
        Assert.Empty(Products.FixersFor("P2P0004"));
        Assert.Equal(2, Products.FixersFor("P2P0013").Length);
    }

    [Fact]
    public void Preservation_FlagsACommentAndAStatementLostOutsideTheEdit()
    {
        const string Before = """
            class C
            {
                void M(int a)
                {
                    // keep me
                    a = 1;
                    a = 2; // edited here
                    a = 3;
                }
            }
            """;
        string after = Before.Replace("// keep me\n", "", StringComparison.Ordinal).Replace("a = 2;", "a = 20;", StringComparison.Ordinal)
            .Replace("        a = 3;\n", "", StringComparison.Ordinal);

        IReadOnlyList<string> lost = Lost(Before, after, Before.IndexOf("a = 2;", StringComparison.Ordinal), "a = 2;".Length, "a = 20;");

        Assert.Contains(lost, l => l.Contains("comment lost: // keep me", StringComparison.Ordinal));
        Assert.Contains(lost, l => l.Contains("statement lost: a = 3;", StringComparison.Ordinal));
    }

    [Fact]
    public void Preservation_AllowsWhatTheRewriteReplaced_ButNotTheCommentLineBeforeIt()
    {
        const string Before = """
            class C
            {
                void M(int a)
                {
                    a = F(1, /* inside */ 2);
                    // own line before the removed statement
                    a = 2;
                }

                void N(int b)
                {
                    // a body replaced whole
                    b = 1;
                    b = 2;
                }

                int F(int x, int y) => x;
            }
            """;
        int removed = Before.IndexOf("        // own line", StringComparison.Ordinal);
        int removedEnd = Before.IndexOf("a = 2;", StringComparison.Ordinal) + "a = 2;\n".Length;
        int body = Before.IndexOf("b = 1;", StringComparison.Ordinal);
        int bodyEnd = Before.IndexOf("b = 2;", StringComparison.Ordinal) + "b = 2;".Length;
        int call = Before.IndexOf("F(1, /* inside */ 2)", StringComparison.Ordinal);
        var changes = new List<TextChange>
        {
            new(new TextSpan(call, "F(1, /* inside */ 2)".Length), "3"),
            new(TextSpan.FromBounds(removed, removedEnd), ""),
            new(TextSpan.FromBounds(body, bodyEnd), "b = 3;"),
        };
        SourceText after = SourceText.From(Before).WithChanges(changes);

        IReadOnlyList<string> lost = Preservation.Lost(CSharpSyntaxTree.ParseText(Before).GetRoot(), CSharpSyntaxTree.ParseText(after).GetRoot(), changes);

        Assert.Equal(new[] { "comment lost: // own line before the removed statement" }, lost);
    }

    [Fact]
    public void Preservation_AnEditedBodyIsNotAReplacedOne()
    {
        // P2P0003's shape: the first and last statements rewritten, one in between dropped, a nested one kept as it was.
        const string Before = """
            class C
            {
                int M(int[] t)
                {
                    int n = 0;
                    for (int i = 0; i < t.Length; i++)
                    {
                        int v = t[i];
                        n += v;
                    }

                    // the count, for the caller
                    t[0] = n;
                    return n;
                }
            }
            """;
        string after = Before.Replace("int n = 0;", "int n = 1;", StringComparison.Ordinal)
            .Replace("                n += v;\n", "                n -= v;\n", StringComparison.Ordinal)
            .Replace("        // the count, for the caller\n        t[0] = n;\n", "", StringComparison.Ordinal)
            .Replace("return n;", "return -n;", StringComparison.Ordinal);
        SyntaxNode beforeRoot = CSharpSyntaxTree.ParseText(Before).GetRoot();
        SyntaxNode afterRoot = CSharpSyntaxTree.ParseText(after).GetRoot();
        List<TextChange> changes = afterRoot.SyntaxTree.GetChanges(beforeRoot.SyntaxTree).ToList();

        IReadOnlyList<string> lost = Preservation.Lost(beforeRoot, afterRoot, changes);

        Assert.Contains("comment lost: // the count, for the caller", lost);
    }

    [Fact]
    public void Map_FollowsTheTextThroughEdits()
    {
        var changes = new List<TextChange> { new(new TextSpan(2, 3), "XXXXXX"), new(new TextSpan(20, 0), "ab") };

        Assert.Equal(new TextSpan(0, 2), FixChecks.Map(new TextSpan(0, 2), changes));
        Assert.Equal(new TextSpan(2, 6), FixChecks.Map(new TextSpan(3, 1), changes));
        Assert.Equal(new TextSpan(13, 2), FixChecks.Map(new TextSpan(10, 2), changes));
        Assert.Equal(new TextSpan(21, 4), FixChecks.Map(new TextSpan(18, 2), changes));
    }

    [Fact]
    public void NewCompilerDiagnostics_CountsOnlyWhatWasNotThereBefore()
    {
        ImmutableArray<Diagnostic> before = Compile("class C { void M() { int x = 0; } }");
        ImmutableArray<Diagnostic> after = Compile("class C { void M() { int x = 0; y = 1; } }");

        Assert.Empty(FixChecks.NewCompilerDiagnostics(before, before));
        Assert.Single(FixChecks.NewCompilerDiagnostics(before, after));
    }

    [Fact]
    public void Mutator_IsDeterministicAndBreaksTheCode()
    {
        const string Code = "class C { int M(int a) { int b = a + 1; return Helper.Twice(b) * 2; } }";
        string[] first = Enum.GetValues<MutationKind>().Select(k => new Mutator(Code).Apply(k, new Random(7))?.Text ?? "").ToArray();
        string[] second = Enum.GetValues<MutationKind>().Select(k => new Mutator(Code).Apply(k, new Random(7))?.Text ?? "").ToArray();

        Assert.Equal(first, second);
        Assert.All(first, text => Assert.NotEqual(Code, text));
    }

    private static ImmutableArray<Diagnostic> Compile(string code) => AnalyzerRun.CompilerDiagnostics(
        CSharpCompilation.Create("T", new[] { CSharpSyntaxTree.ParseText(code) }, References.Framework, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)));

    private static IReadOnlyList<string> Lost(string before, string after, int start, int length, string with) =>
        Preservation.Lost(CSharpSyntaxTree.ParseText(before).GetRoot(), CSharpSyntaxTree.ParseText(after).GetRoot(),
            new[] { new TextChange(new TextSpan(start, length), with) });

    // No [DiagnosticAnalyzer]: handed to the driver directly, never picked up as a product analyzer.
#pragma warning disable RS1001, RS1036, RS2008 // A test double, not a shipped analyzer.
    private sealed class ThrowingAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Rule = new("TEST0001", "t", "t", "t", DiagnosticSeverity.Warning, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterSyntaxNodeAction(_ => throw new InvalidOperationException("boom"), SyntaxKind.ClassDeclaration);
        }
    }
#pragma warning restore RS1001, RS1036, RS2008
}
