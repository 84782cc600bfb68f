using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0022's helpers of helpers and ownership marks, against the counter-examples a review found: a wrapper passing an
/// inner helper's count on, a middle function releasing through the driver's own release function, and an unrelated
/// flag-guarded unmap, which must not hide a leak.
/// </summary>
public sealed class P2P0022HelperChainTests
{
    private const string Usings = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    private const string Types = """
        sealed class Dev
        {
            public PciDevice Device = null!;
            public SgTable InSg = null!;
            public SgTable OutSg = null!;
            public int NbInSg, NbOutSg, Count;
            public bool Busy, Done, HasOut;
        }

        """;

    // The helpers that map: one returning dma_map_sg's count, one an errno.
    private const string Helpers = """
        static partial class Xfer
        {
            static int MapIn(Dev dev)
            {
                int n = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                dev.Count = n;
                return n;
            }

            static int Create(Dev dev)
            {
                int n = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                if (n == 0)
                {
                    return -14;
                }

                return 0;
            }
        }

        """;

    // a wrapper that passes an inner helper's count on (0 = nothing mapped). Correct caller: no leak on n == 0.
    [Fact]
    public Task WrapperPassesTheInnerCountOn_CallerReturnsOnZero_NoDiagnostic() => Verifier.Analyzer(Usings + Types + Helpers + """
        static partial class Xfer
        {
            static int Prepare(Dev dev)
            {
                dev.Busy = true;
                return MapIn(dev);
            }

            static int Caller(Dev dev)
            {
                int n = Prepare(dev);
                if (n == 0)
                {
                    return -12;
                }

                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // Same, one level (MapIn called directly): for comparison.
    [Fact]
    public Task DirectCountHelper_CallerReturnsOnZero_NoDiagnostic() => Verifier.Analyzer(Usings + Types + Helpers + """
        static partial class Xfer
        {
            static int Caller(Dev dev)
            {
                int n = MapIn(dev);
                if (n == 0)
                {
                    return -12;
                }

                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // a middle function maps through a helper, runs the transfer and releases through its own release helper
    // (not named Unmap*); its caller's later error return leaks nothing.
    [Fact]
    public Task MiddleReleasesThroughTheDriversReleaseFunction_CallerErrorAfter_NoDiagnostic() => Verifier.Analyzer(Usings + Types + Helpers + """
        static partial class Xfer
        {
            static void ReleaseLinks(Dev dev) => Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);

            static int RunOnce(Dev dev)
            {
                int r = Create(dev);
                if (r != 0)
                {
                    return r;
                }

                dev.Busy = false;
                ReleaseLinks(dev);
                return 0;
            }

            static int Caller(Dev dev)
            {
                int ret = RunOnce(dev);
                if (ret != 0)
                {
                    return ret;
                }

                if (!dev.Done)
                {
                    return -5;
                }

                return 0;
            }
        }
        """);

    // An `if (dev.HasOut) unmap(OutSg)` before the error return is no mark of dev.InSg's mapping: the timeout return's
    // leak of InSg is reported.
    [Fact]
    public Task FlagGuardedUnmapOfAnotherTable_DoesNotHideTheLeak_Reports() => Verifier.Analyzer(Usings + Types + Helpers + """
        static partial class Xfer
        {
            static int Caller(Dev dev)
            {
                int ret = [|Create(dev)|];
                if (ret != 0)
                {
                    return ret;
                }

                if (dev.HasOut)
                {
                    Dma.UnmapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                }

                if (!dev.Done)
                {
                    return -110;
                }

                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // The same without the guarded unmap (the control).
    [Fact]
    public Task NoGuardedUnmap_Reports() => Verifier.Analyzer(Usings + Types + Helpers + """
        static partial class Xfer
        {
            static int Caller(Dev dev)
            {
                int ret = [|Create(dev)|];
                if (ret != 0)
                {
                    return ret;
                }

                dev.Busy = false;

                if (!dev.Done)
                {
                    return -110;
                }

                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);
}
