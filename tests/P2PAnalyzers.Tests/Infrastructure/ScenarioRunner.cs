using System.IO;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace P2PAnalyzers.Tests.Infrastructure;

/// <summary>
/// Executed proof of a fix: compiles test code (before or after the fix, with the diagnostic markup stripped) against
/// the companion library and calls into it, so that its DMA runs on a real fabric topology. The library is shared
/// with the test, so topologies cross the boundary.
/// </summary>
internal static class ScenarioRunner
{
    public static Assembly Compile(string markedSource) => CompileFiles(markedSource);

    /// <summary>Several files (a project's, each with its own usings and namespace) as one assembly.</summary>
    public static Assembly CompileFiles(params string[] markedSources)
    {
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Scenario" + System.Guid.NewGuid().ToString("N"),
            markedSources.Select(s => CSharpSyntaxTree.ParseText(StripMarkup(s))),
            TestReferences.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult result = compilation.Emit(image);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        image.Position = 0;
        return new AssemblyLoadContext("scenario", isCollectible: true).LoadFromStream(image);
    }

    /// <summary>Calls the public static <paramref name="method"/> of type <paramref name="type"/> in the compiled code.</summary>
    public static T Invoke<T>(string markedSource, string type, string method, params object?[] args)
    {
        Assembly assembly = Compile(markedSource);
        MethodInfo target = assembly.GetType(type, throwOnError: true)!.GetMethod(method)!;
        return (T)target.Invoke(null, args)!;
    }

    /// <summary>Creates an instance of <paramref name="type"/> in the compiled code.</summary>
    public static object Create(string markedSource, string type, params object?[] args) =>
        System.Activator.CreateInstance(Compile(markedSource).GetType(type, throwOnError: true)!, args)!;

    /// <summary>Removes <c>{|ID:</c>, <c>{|#0:</c>, <c>[|</c> and their closing <c>|}</c>, <c>|]</c>.</summary>
    public static string StripMarkup(string source) =>
        Regex.Replace(source, @"\{\|[^:|]*:|\|\}|\[\||\|\]", "");
}
