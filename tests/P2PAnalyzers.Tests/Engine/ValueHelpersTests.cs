using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Tests.Engine;

/// <summary>
/// Which methods of the compilation hand back the number they are given (<see cref="ValueHelpers"/>): the kernel's
/// byte-order and width helpers do, anything that takes the address apart or computes from it does not.
/// </summary>
public sealed class ValueHelpersTests
{
    private const string Source = """
        using System.Buffers.Binary;

        static class Helpers
        {
            static uint CpuToBe32(ulong v) => (uint)v;
            static ulong CpuToLe64(ulong v) => BinaryPrimitives.ReverseEndianness(v);
            static uint CpuToBe32Swapped(ulong v) => BinaryPrimitives.ReverseEndianness((uint)v);
            static uint Lower32Bits(ulong n) { return (uint)(n & 0xffffffff); }
            static uint MaskFirst(ulong n) => unchecked((uint)(0xffffffffUL & n));
            static ulong Second(int flags, ulong addr) => addr;

            static uint Upper32Bits(ulong n) => (uint)((n >> 16) >> 16);
            static uint PageOffset(ulong n) => (uint)(n & 0xfff);
            static ulong Plus(ulong a) => a + 4;
            static ulong Either(ulong a, ulong b) => a != 0 ? a : b;
            static ulong Logged(ulong a) { System.Console.WriteLine(a); return a; }
            static ulong Called(ulong a) => Other(a);
            static ulong Other(ulong a) => a;
            static void Nothing(ulong a) { }
        }
        """;

    [Theory]
    [InlineData("CpuToBe32", 0)]
    [InlineData("CpuToLe64", 0)]
    [InlineData("CpuToBe32Swapped", 0)]
    [InlineData("Lower32Bits", 0)]
    [InlineData("MaskFirst", 0)]
    [InlineData("Second", 1)]
    [InlineData("Other", 0)]
    public void HandsBackItsParameter(string name, int ordinal) => Assert.Equal(ordinal, ValueHelpers.Passes(Method(name)));

    [Theory]
    [InlineData("Upper32Bits")]
    [InlineData("PageOffset")]
    [InlineData("Plus")]
    [InlineData("Either")]
    [InlineData("Logged")]
    [InlineData("Called")]
    [InlineData("Nothing")]
    public void AnythingElse_IsNotOne(string name) => Assert.Null(ValueHelpers.Passes(Method(name)));

    private static IMethodSymbol Method(string name)
    {
        CSharpCompilation compilation = CSharpCompilation.Create("t", new[] { CSharpSyntaxTree.ParseText(Source) },
            Basic.Reference.Assemblies.Net100.References.All, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        return compilation.GetTypeByMetadataName("Helpers")!.GetMembers(name).OfType<IMethodSymbol>().Single();
    }
}
