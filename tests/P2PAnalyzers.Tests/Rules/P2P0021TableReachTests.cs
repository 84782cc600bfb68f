using Microsoft.CodeAnalysis.Testing;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0021UnmapDoesNotMatchMapAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// Which map calls a scatterlist unmap answers to: those that reach it on some path with no unmap of the list between
/// (kernel/dma/debug.c pairs an unmap with the live entry, not with every map the function ever made), and, where the
/// list may arrive mapped (the path reaches the function's entry or a new value of what names it), the compilation's
/// map calls of the member that holds it. Shapes from an MMC host's request switch, a NIC's TX and RX rings walked in
/// one poll function, and a crypto driver that re-maps its request's list for the other direction.
/// </summary>
public sealed class P2P0021TableReachTests
{
    private const string Usings = """
        using System.Collections.Generic;
        using P2PDma.Mapping;
        using P2PDma.Pci;

        sealed class Xfer { public SgTable Sgl = SgTable.Alloc(4); public int Nents = 4; public int Count; }

        """;

    // The read's list is mapped FromDevice when it is queued; the write case maps and unmaps its own ToDevice. The read
    // case's unmap is not reached by the write case's map.
    [Fact]
    public Task MapInAnotherSwitchCase_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Host
        {
            static void QueueRead(PciDevice dev, Xfer x) => x.Count = Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.FromDevice);

            static int Request(PciDevice dev, Xfer x, int op)
            {
                switch (op)
                {
                    case 0:
                        if (Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice) == 0)
                        {
                            return -12;
                        }

                        Dma.UnmapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice);
                        return 0;
                    case 1:
                        Dma.UnmapSg(dev, x.Sgl, x.Nents, DmaDirection.FromDevice);
                        return 0;
                    default:
                        return -22;
                }
            }
        }
        """);

    // The TX loop's `x` and the RX loop's `x` are different requests: the RX ring was mapped FromDevice at refill.
    [Fact]
    public Task SameTextForAnotherRequestInAnotherLoop_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Nic
        {
            static void Refill(PciDevice dev, List<Xfer> rx)
            {
                foreach (Xfer x in rx)
                {
                    x.Count = Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.FromDevice);
                }
            }

            static void Poll(PciDevice dev, List<Xfer> tx, List<Xfer> rx)
            {
                foreach (Xfer x in tx)
                {
                    if (Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice) == 0)
                    {
                        continue;
                    }

                    Dma.UnmapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice);
                }

                foreach (Xfer x in rx)
                {
                    Dma.UnmapSg(dev, x.Sgl, x.Nents, DmaDirection.FromDevice);
                }
            }
        }
        """);

    // The request is unmapped and handed to a helper that maps it again for the read back; the second unmap answers to
    // the helper's map, which this function does not show.
    [Fact]
    public Task RemappedThroughAHelper_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Crypto
        {
            static int MapForReadBack(PciDevice dev, Xfer x)
            {
                x.Count = Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.FromDevice);
                return x.Count == 0 ? -12 : 0;
            }

            static int Crypt(PciDevice dev, Xfer x)
            {
                if (Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice) == 0)
                {
                    return -12;
                }

                Dma.UnmapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice);
                if (MapForReadBack(dev, x) != 0)
                {
                    return -12;
                }

                Dma.UnmapSg(dev, x.Sgl, x.Nents, DmaDirection.FromDevice);
                return 0;
            }
        }
        """);

    // The same function re-maps the list for the other direction; its second unmap still says ToDevice.
    [Fact]
    public Task RemappedWithTheOtherDirection_SecondUnmapWrong_Reports() => Verifier.Analyzer(Usings + """
        static class Crypto
        {
            static int Crypt(PciDevice dev, Xfer x)
            {
                if (Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice) == 0)
                {
                    return -12;
                }

                Dma.UnmapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice);
                if ({|#1:Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.FromDevice)|} == 0)
                {
                    return -12;
                }

                Dma.UnmapSg(dev, x.Sgl, x.Nents, {|#0:DmaDirection.ToDevice|});
                return 0;
            }
        }
        """, Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1)
            .WithArguments("Dma.UnmapSg", "x.Sgl", "direction", "ToDevice", "Dma.MapSg", "FromDevice"));

    // A loop that maps, and on the next round unmaps with the direction of the previous round's map.
    [Fact]
    public Task MapOfThePreviousIterationReaches_Reports() => Verifier.Analyzer(Usings + """
        static class Crypto
        {
            static void Rounds(PciDevice dev, Xfer x, int rounds)
            {
                for (int i = 0; i < rounds; i++)
                {
                    if (i > 0)
                    {
                        Dma.UnmapSg(dev, x.Sgl, x.Nents, {|#0:DmaDirection.ToDevice|});
                    }

                    x.Count = {|#1:Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.Bidirectional)|};
                }
            }
        }
        """, Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1)
            .WithArguments("Dma.UnmapSg", "x.Sgl", "direction", "ToDevice", "Dma.MapSg", "Bidirectional"));

    // The read-back re-map kept in a local function that captures the list: called on some paths, it may have mapped it
    // FromDevice, which the unmap then answers to.
    [Fact]
    public Task RemappedThroughALocalFunction_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Crypto
        {
            static int Crypt(PciDevice dev, SgTable sgl, int nents, bool readBack)
            {
                void RemapForReadBack()
                {
                    Dma.UnmapSg(dev, sgl, nents, DmaDirection.ToDevice);
                    Dma.MapSg(dev, sgl, nents, DmaDirection.FromDevice);
                }

                if (Dma.MapSg(dev, sgl, nents, DmaDirection.ToDevice) == 0)
                {
                    return -12;
                }

                if (readBack)
                {
                    RemapForReadBack();
                }

                Dma.UnmapSg(dev, sgl, nents, DmaDirection.FromDevice);
                return 0;
            }
        }
        """);

    // A C# port that unmaps in a finally: the map in the try reaches it.
    [Fact]
    public Task UnmapInAFinally_Reports() => Verifier.Analyzer(Usings + """
        static class Crypto
        {
            static int Crypt(PciDevice dev, Xfer x)
            {
                if ({|#1:Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice)|} == 0)
                {
                    return -12;
                }

                try
                {
                    return x.Nents > 1 ? 0 : -22;
                }
                finally
                {
                    Dma.UnmapSg(dev, x.Sgl, x.Nents, {|#0:DmaDirection.FromDevice|});
                }
            }
        }
        """, Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1)
            .WithArguments("Dma.UnmapSg", "x.Sgl", "direction", "FromDevice", "Dma.MapSg", "ToDevice"));

    // The map inside the try, the unmap in the finally, a helper in between handed only the device.
    [Fact]
    public Task MapInTheTryUnmapInTheFinally_Reports() => Verifier.Analyzer(Usings + """
        static class Crypto
        {
            static void Kick(PciDevice dev) { }

            static void Crypt(PciDevice dev, Xfer x)
            {
                try
                {
                    x.Count = {|#1:Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.Bidirectional)|};
                    Kick(dev);
                }
                finally
                {
                    Dma.UnmapSg(dev, x.Sgl, x.Nents, {|#0:DmaDirection.ToDevice|});
                }
            }
        }
        """, Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1)
            .WithArguments("Dma.UnmapSg", "x.Sgl", "direction", "ToDevice", "Dma.MapSg", "Bidirectional"));

    // Mapped at submit, unmapped in the completion: followed only with the whole-program analysis on.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task CompletionUnmap_FollowsTheWholeProgramOption(bool wholeProgram)
    {
        string source = Usings + """
                static class Driver
                {
                    static int Submit(PciDevice dev, Xfer x)
                    {
                        x.Count = {|#1:Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.FromDevice)|};
                        return x.Count == 0 ? -12 : 0;
                    }

                    static void Complete(PciDevice dev, Xfer x) => Dma.UnmapSg(dev, x.Sgl, x.Nents, {|#0:DmaDirection.Bidirectional|});
                }
                """;
        if (!wholeProgram)
        {
            source = source.Replace("{|#0:", string.Empty).Replace("{|#1:", string.Empty).Replace(")|}", ")").Replace("Bidirectional|}", "Bidirectional");
        }

        var test = new Microsoft.CodeAnalysis.CSharp.Testing.CSharpAnalyzerTest<P2PAnalyzers.Rules.P2P0021UnmapDoesNotMatchMapAnalyzer, DefaultVerifier> { TestCode = source };
        P2PAnalyzers.Tests.Infrastructure.TestSetup.Configure(test, withLibrary: true);
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", $"root = true\n\n[*.cs]\np2p_analyzers.whole_program = {(wholeProgram ? "true" : "false")}\n"));
        if (wholeProgram)
        {
            test.ExpectedDiagnostics.Add(Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1)
                .WithArguments("Dma.UnmapSg", "x.Sgl", "direction", "Bidirectional", "Dma.MapSg", "FromDevice"));
        }

        return test.RunAsync();
    }
}
