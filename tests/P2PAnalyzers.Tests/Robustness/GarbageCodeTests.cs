using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using P2PAnalyzers.Analysis;
using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Robustness;

/// <summary>
/// Every analyzer over code as an IDE sees it while it is being typed: syntax errors, half-typed expressions, unknown
/// names, missing references. No analyzer may throw (no AD0001, and <see cref="AnalysisGuard.Rethrow"/> is on so that a
/// swallowed defect fails here too), and none may report on a sink that is not a complete, well-typed expression.
/// </summary>
public sealed class GarbageCodeTests
{
    private const string Usings = """
        using System;
        using System.Linq;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    public GarbageCodeTests() => AnalysisGuard.Rethrow = true;

    /// <summary>Snippets whose every would-be sink is itself broken: no P2P diagnostic is acceptable on any of them.</summary>
    public static TheoryData<string, string> BrokenSinks => new()
    {
        { "FromRawOpenParenthesis", """
            class C
            {
                void M(PciBar bar, Scatterlist sg)
                {
                    sg.DmaAddress = DmaAddr.FromRaw(
                }
            }
            """ },
        { "FromRawWithoutClosingParenthesis", """
            class C
            {
                void M(PciBar bar, Scatterlist sg)
                {
                    sg.DmaAddress = DmaAddr.FromRaw(bar.CpuStart.Raw
                }
            }
            """ },
        { "DanglingMemberAccessOnDmaAddr", """
            class C
            {
                void M(PciBar bar, Scatterlist sg)
                {
                    sg.DmaAddress = DmaAddr.
                }
            }
            """ },
        { "DanglingDotAfterCpuStart", """
            class C
            {
                void M(PciBar bar, Scatterlist sg)
                {
                    var x = bar.CpuStart.
                    sg.DmaAddress = DmaAddr.FromRaw(x);
                }
            }
            """ },
        { "HalfTypedMapTypeSwitch", """
            class C
            {
                void M(P2PProvider p, PciDevice client, PhysAddr phys, Scatterlist sg)
                {
                    ulong addr = phys.Raw;
                    switch (PciP2PDma.MapType(p, 
            """ },
        { "UnclosedBraces", """
            class C
            {
                void M(PciBar bar, Scatterlist sg)
                {
                    if (bar.Size > 0)
                    {
                        ulong a = bar.CpuStart.Raw;
                        sg.DmaAddress = DmaAddr.FromRaw(a +
            """ },
        { "MissingSemicolonsAroundABrokenSink", """
            class C
            {
                void M(PciBar bar, Scatterlist sg)
                {
                    ulong a = bar.CpuStart.Raw
                    ulong b = a + 0x1000
                    sg.DmaAddress = DmaAddr.FromRaw(b,
                }
            }
            """ },
        { "UnknownIdentifiers", """
            class C
            {
                void M(Scatterlist sg)
                {
                    sg.DmaAddress = DmaAddr.FromRaw(unknownBar.CpuStart.Raw + offsett);
                    var p = PciBusAddr.FromRaw(nosuchPage.Phys.Raw);
                    regs.WriteDescriptorBase(buf.VirtToPhys(0).Raw);
                }
            }
            """ },
        { "WrongArgumentType", """
            class C
            {
                void M(PciBar bar, Scatterlist sg)
                {
                    sg.DmaAddress = DmaAddr.FromRaw(bar.CpuStart);
                    var b = PciBusAddr.FromRaw(bar.CpuRange);
                }
            }
            """ },
        { "TooManyArguments", """
            class C
            {
                void M(PciBar bar, Scatterlist sg)
                {
                    sg.DmaAddress = DmaAddr.FromRaw(bar.CpuStart.Raw, 1);
                    var b = PciBusAddr.FromRaw(bar.CpuStart.Raw, bar.Size);
                }
            }
            """ },
        { "HalfTypedAttributes", """
            class C
            {
                [CpuPhysicalAddress ulong _phys;
                static void W([DmaAddress ulong a) { }
                [return: PciBusAddress
                static ulong B(PciBar bar) => bar.CpuStart.
                void M(PciBar bar) { W(bar.CpuStart.Raw ; }
            }
            """ },
        { "MapDmaBufWithHalfTypedFill", """
            sealed class Exporter : DmaBufOps
            {
                public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
                {
                    SgTable t = SgTable.Alloc(1);
                    t[0].DmaAddress = ;
                    return t
                }

                public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir) { }
            }
            """ },
        { "MapDmaBufReturningHalfTypedTable", """
            sealed class Exporter : DmaBufOps
            {
                public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
                {
                    SgTable t = SgTable.Alloc(1);
                    t[0].DmaAddress = DmaAddr.FromRaw(0);
                    return SgTable.Alloc(
                }
            """ },
        { "ImporterHalfTyped", """
            class C
            {
                void M(DmaBufAttachment attach)
                {
                    SgTable table = attach.Map(DmaDirection.ToDevice).Value;
                    var p = table[0].Pa
                    foreach (var sg in attach.Map(
                }
            }
            """ },
        { "HalfTypedLambdaAndLocalFunction", """
            class C
            {
                void M(PciBar bar, Scatterlist sg)
                {
                    Action a = () => sg.DmaAddress = DmaAddr.FromRaw(bar.CpuStart.;
                    ulong Start() => Start(
                    void Store(ulong v) => sg.DmaAddress = DmaAddr.FromRaw(v
                }
            }
            """ },
        { "StrayTokens", """
            class { }
            void M( { } }}}
            class C : DmaBufOps, , { => => ; override ; }
            namespace { int = ; }
            #if
            """ },
        { "UserTypeShadowsLibraryTypeWithoutMembers", """
            class DmaAddr { }
            class C
            {
                void M(PciBar bar, Scatterlist sg)
                {
                    sg.DmaAddress = DmaAddr.FromRaw(bar.CpuStart.Raw);
                }
            }
            """ },
        { "HalfTypedGenericsAndCompoundAssignments", """
            class C
            {
                [DmaAddress] ulong _cursor;
                DmaResult<SgTable M(DmaBufAttachment attach, PciBar bar)
                {
                    _cursor += ;
                    _cursor = bar.CpuStart.
                    var r = attach.Map(DmaDirection.
                }
            }
            """ },
        { "BrokenOperatorsInsideTheSink", """
            class C
            {
                void M(PciBar bar, Scatterlist sg)
                {
                    sg.DmaAddress = DmaAddr.FromRaw(((((bar.CpuStart.Raw + ) & ) | ) ^ );
                    var b = PciBusAddr.FromRaw(bar.CpuStart.Raw <<);
                }
            }
            """ },
        { "HalfTypedTuplesStructsAndSwitchExpression", """
            struct Desc { public ulong Addr; }
            class C
            {
                void M(PciBar bar, P2PMapType type, Scatterlist sg)
                {
                    var (a, b) = (bar.CpuStart.Raw, ;
                    Desc d; d. = bar.CpuStart.Raw;
                    ulong addr = type switch { P2PMapType.BusAddr => , _ => bar.CpuStart.
                    sg.DmaAddress = DmaAddr.FromRaw(d.);
                }
            }
            """ },
        { "OverrideOfNothingAndUnknownBase", """
            sealed class Exporter : NoSuchOps
            {
                public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
                {
                    SgTable t = SgTable.Alloc(1);
                    t[0].DmaAddress = DmaAddr.FromRaw(0);
                    return t;
                }
            }
            """ },
    };

    [Theory]
    [MemberData(nameof(BrokenSinks))]
    public async Task HalfTypedCode_NoCrashAndNoDiagnostic(string name, string code)
    {
        CSharpCompilation compilation = AllAnalyzers.Compile(Usings + code);
        Assert.True(compilation.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error), $"{name} is meant to be broken code but compiles.");

        ImmutableArray<Diagnostic> diagnostics = await AllAnalyzers.RunAsync(compilation);

        AssertNoCrash(name, diagnostics);
        Assert.True(!diagnostics.Any(d => d.Id.StartsWith("P2P", StringComparison.Ordinal)), $"{name}: no P2P diagnostic expected on broken sinks, got:\n{Describe(diagnostics)}");
    }

    [Fact]
    public async Task CompleteSinkBesideGarbage_IsStillReported()
    {
        CSharpCompilation compilation = AllAnalyzers.Compile(Usings + """
            class HabanaExporter
            {
                void Fill(PciDevice pdev, Scatterlist sg, ulong offset)
                {
                    ulong barAddress = pdev.Bar(4).CpuStart.Raw + offset;
                    sg.DmaAddress = DmaAddr.FromRaw(barAddress);
                }

                void BeingTyped(PciBar bar, Scatterlist sg)
                {
                    var x = bar.CpuStart.
                    sg.DmaAddress = DmaAddr.FromRaw(
                }
            }
            """);
        Assert.Contains(compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);

        ImmutableArray<Diagnostic> diagnostics = await AllAnalyzers.RunAsync(compilation);

        AssertNoCrash(nameof(CompleteSinkBesideGarbage_IsStillReported), diagnostics);
        Diagnostic reported = Assert.Single(diagnostics, d => d.Id.StartsWith("P2P", StringComparison.Ordinal));
        Assert.Equal("P2P0001", reported.Id);
        Assert.Equal(14, reported.Location.GetLineSpan().StartLinePosition.Line + 1);
    }

    [Fact]
    public async Task MissingLibraryReference_NoCrashAndNoDiagnostic()
    {
        // The usings and every library type are unresolved: the analyzers must register nothing and stay quiet.
        CSharpCompilation compilation = CSharpCompilation.Create(
            "NoLibrary",
            new[] { CSharpSyntaxTree.ParseText(Usings + """
                class HabanaExporter : DmaBufOps
                {
                    public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
                    {
                        SgTable t = SgTable.Alloc(1);
                        t[0].DmaAddress = DmaAddr.FromRaw(attach.Device.Bar(4).CpuStart.Raw);
                        var bus = PciBusAddr.FromRaw(t[0].Phys.Raw);
                        return t;
                    }
                }
                """, path: "/0/Test0.cs") },
            TestReferences.Framework,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Contains(compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);

        ImmutableArray<Diagnostic> diagnostics = await AllAnalyzers.RunAsync(compilation);

        AssertNoCrash(nameof(MissingLibraryReference_NoCrashAndNoDiagnostic), diagnostics);
        Assert.True(!diagnostics.Any(d => d.Id.StartsWith("P2P", StringComparison.Ordinal)), Describe(diagnostics));
    }

    [Fact]
    public async Task OwnAttributeCopyWithoutLibraryAndSyntaxErrors_NoCrashAndNoDiagnostic()
    {
        // Only the attributes exist (the flow rules that need no library run); the sinks are half typed.
        CSharpCompilation compilation = CSharpCompilation.Create(
            "OwnAttributes",
            new[] { CSharpSyntaxTree.ParseText("""
                namespace P2PDma.Addresses
                {
                    [System.AttributeUsage(System.AttributeTargets.All)] sealed class CpuPhysicalAddressAttribute : System.Attribute { }
                    [System.AttributeUsage(System.AttributeTargets.All)] sealed class DmaAddressAttribute : System.Attribute { }
                    [System.AttributeUsage(System.AttributeTargets.All)] sealed class PciBusAddressAttribute : System.Attribute { }
                }

                namespace MyDriver
                {
                    using P2PDma.Addresses;

                    sealed class Hw
                    {
                        [CpuPhysicalAddress] ulong _base;
                        static void W([DmaAddress] ulong a) { }
                        [return: PciBusAddress] ulong Bus() => _base +
                        void M() { W(_base ; W(DmaAddr.FromRaw(_base)); }
                    }
                """, path: "/0/Test0.cs") },
            TestReferences.Framework,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Contains(compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);

        ImmutableArray<Diagnostic> diagnostics = await AllAnalyzers.RunAsync(compilation);

        AssertNoCrash(nameof(OwnAttributeCopyWithoutLibraryAndSyntaxErrors_NoCrashAndNoDiagnostic), diagnostics);
        Assert.True(!diagnostics.Any(d => d.Id.StartsWith("P2P", StringComparison.Ordinal)), Describe(diagnostics));
    }

    [Fact]
    public async Task HarnessSeesAnAnalyzerException_AsAD0001()
    {
        // Proves that the AD0001 assertion above can fail: a throwing analyzer run the same way is reported.
        CSharpCompilation compilation = AllAnalyzers.Compile(Usings + "class C { }");
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: true, logAnalyzerExecutionTime: false);

        ImmutableArray<Diagnostic> diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ThrowingAnalyzer()), options)
            .GetAnalyzerDiagnosticsAsync();

        Assert.Contains(diagnostics, d => d.Id == "AD0001");
    }

    private static void AssertNoCrash(string name, ImmutableArray<Diagnostic> diagnostics) =>
        Assert.True(!diagnostics.Any(d => d.Id == "AD0001"), $"{name}: an analyzer threw:\n{Describe(diagnostics)}");

    private static string Describe(ImmutableArray<Diagnostic> diagnostics) =>
        string.Join("\n", diagnostics.Select(d => d.ToString()));

    // No [DiagnosticAnalyzer]: it is handed to the driver directly and must not be picked up as a product analyzer.
    private sealed class ThrowingAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Rule = new("TEST0001", "t", "t", "t", DiagnosticSeverity.Warning, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterSyntaxNodeAction(_ => throw new InvalidOperationException("boom"), Microsoft.CodeAnalysis.CSharp.SyntaxKind.ClassDeclaration);
        }
    }
}
