using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace P2PAnalyzers.Tests.Infrastructure;

/// <summary>
/// Analyzer and code-fix verification with the framework's own checks left on (generated code, #pragma suppression,
/// Fix All in document, project and solution). Sources get the usings of the companion library prepended.
/// </summary>
internal static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static DiagnosticResult Diagnostic(string id) => new DiagnosticResult(id, DiagnosticSeverity.Warning);

    /// <summary>Checks that <paramref name="source"/> (with markup) yields exactly the marked diagnostics.</summary>
    public static Task Analyzer(string source, params DiagnosticResult[] expected) => Analyzer(source, withLibrary: true, expected);

    public static Task Analyzer(string source, bool withLibrary, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest { TestCode = source };
        test.Configure(withLibrary);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>Checks the fix turns <paramref name="source"/> into <paramref name="fixedSource"/>, Fix All included.</summary>
    public static Task CodeFix<TCodeFix>(string source, string fixedSource, params DiagnosticResult[] expected)
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new CodeFixTest<TCodeFix> { TestCode = source, FixedCode = fixedSource };
        test.Configure(withLibrary: true);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>Checks the rule reports but no fix is offered.</summary>
    public static Task NoCodeFix<TCodeFix>(string source, params DiagnosticResult[] expected)
        where TCodeFix : CodeFixProvider, new() => CodeFix<TCodeFix>(source, source, expected);

    private sealed class AnalyzerTest : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        public void Configure(bool withLibrary) => TestSetup.Configure(this, withLibrary);
    }

    internal sealed class CodeFixTest<TCodeFix> : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
        where TCodeFix : CodeFixProvider, new()
    {
        public void Configure(bool withLibrary) => TestSetup.Configure(this, withLibrary);
    }
}

internal static class TestSetup
{
    static TestSetup() => Analysis.AnalysisGuard.Rethrow = true;

    public static void Configure(AnalyzerTest<DefaultVerifier> test, bool withLibrary)
    {
        test.ReferenceAssemblies = TestReferences.None;
        test.TestState.AdditionalReferences.AddRange(withLibrary ? TestReferences.All : TestReferences.Framework);
        if (test is CodeFixTest<DefaultVerifier> fix)
        {
            fix.FixedState.AdditionalReferences.AddRange(withLibrary ? TestReferences.All : TestReferences.Framework);
        }
    }
}
