using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Tests.Engine;

/// <summary>
/// The whole-program summary finds bodies by the names they mention (<see cref="TreeIndex.BodiesNaming"/>), read from the
/// text: it must propose every body whose tokens name a member, and may propose more (words in comments and strings).
/// </summary>
public sealed class TreeIndexTests
{
    [Fact]
    public void EveryIdentifierToken_FindsItsBody()
    {
        const string source = """
            using P2PDma.Mapping;
            sealed class Nvme
            {
                private ulong _barStart;
                public ulong BarStart { get => _barStart; set => _barStart = value; }
                public static ulong Offset = 0x1F + 10UL;
                [System.Obsolete("MapPage")] public void Map(Scatterlist @sg, int nents)
                {
                    // a comment naming Unmap
                    var text = $"{nents,4}:{_barStart:X}";
                    sg.DmaLength = (uint)(nents * 1.5e3f);
                    @class(sg);
                }
                private static void @class(Scatterlist sg) => System.Console.WriteLine(sg);
            }
            """;

        SyntaxTree tree = CSharpSyntaxTree.ParseText(source);
        TreeIndex index = TreeIndex.Of(tree);

        AssertTokensFound(index);
        int map = Ordinal(index, "Map");
        Assert.Contains(map, index.BodiesNaming("Unmap"));   // the comment counts: a proposal, confirmed by binding
        Assert.Contains(map, index.BodiesNaming("MapPage")); // so does the string
        Assert.Contains(map, index.BodiesNaming("class"));   // @class is the identifier class
        Assert.Empty(index.BodiesNaming("UL"));              // number suffixes are no names
        Assert.Empty(index.BodiesNaming("e3f"));
    }

    [Fact]
    public void IdentifiersTheTextCannotShowExactly_AreReadFromTokens()
    {
        // \u0041 is the identifier "Abar"; a non-ASCII letter is part of a word (the scan gives such a body back to the
        // token walk, which knows both).
        const string source = """
            sealed class Ntb
            {
                private ulong Abar, gröBar;
                public ulong Peer() => \u0041bar + 1;
                public ulong Local() => gröBar;
                public ulong Plain() => Abar; // résumé
            }
            """;

        SyntaxTree tree = CSharpSyntaxTree.ParseText(source);
        TreeIndex index = TreeIndex.Of(tree);

        AssertTokensFound(index);
        Assert.Contains(Ordinal(index, "Peer"), index.BodiesNaming("Abar"));
        Assert.Contains(Ordinal(index, "Local"), index.BodiesNaming("gröBar"));
        Assert.Contains(Ordinal(index, "Plain"), index.BodiesNaming("Abar"));
    }

    private static void AssertTokensFound(TreeIndex index)
    {
        for (int ordinal = 0; ordinal < index.Bodies.Length; ordinal++)
        {
            IEnumerable<string> names = index.Bodies[ordinal].DescendantTokens()
                .Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText);
            foreach (string name in names)
            {
                Assert.True(index.BodiesNaming(name).Contains(ordinal), $"body {ordinal} names '{name}' but is not found by it");
            }
        }
    }

    private static int Ordinal(TreeIndex index, string method) =>
        index.Bodies.IndexOf(index.Bodies.Single(b => b is Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax m && m.Identifier.ValueText == method));
}
