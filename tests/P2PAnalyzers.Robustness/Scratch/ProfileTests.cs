using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using P2PAnalyzers.Analysis;
using P2PAnalyzers.Corpus;
using Xunit.Abstractions;
using P2PAnalyzers.Robustness.Infrastructure;

namespace P2PAnalyzers.Robustness.Scratch;

public sealed class ProfileTests(ITestOutputHelper output)
{
    [Fact]
    public void BuildProgram()
    {
        var corpus = DriverCorpus.Generate(1000);
        var compilation = CSharpCompilation.Create("c", corpus.Files.Select(f => CSharpSyntaxTree.ParseText(f.Text, Workbench.ParseOptions, f.Path)),
            References.WithLibrary, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var sw0 = Stopwatch.StartNew();
        long ops = 0, graphs = 0; int n = 0;
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            var index = TreeIndex.Of(tree);
            foreach (var body in index.Bodies)
            {
                var t = Stopwatch.StartNew();
                var op = model.GetOperation(body);
                ops += t.ElapsedTicks; t.Restart();
                if (op is Microsoft.CodeAnalysis.Operations.IMethodBodyOperation mb) { Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowGraph.Create(mb); n++; }
                graphs += t.ElapsedTicks;
            }
        }
        output.WriteLine($"bind all bodies: {sw0.ElapsedMilliseconds} ms, GetOperation {ops * 1000 / Stopwatch.Frequency} ms, CFG {graphs * 1000 / Stopwatch.Frequency} ms, {n} graphs");
        compilation = compilation.WithAssemblyName("fresh");
        for (int i = 0; i < 3; i++)
        {
            var c = compilation.WithAssemblyName("c" + i);
            var sw = Stopwatch.StartNew();
            var p = KnownSymbols.TryGet(c)!.Program;
            output.WriteLine($"run {i}: {sw.ElapsedMilliseconds} ms, bodies {p.Bodies}, analyses {p.Analyses}, reused {p.Reused}");
        }
    }
}
