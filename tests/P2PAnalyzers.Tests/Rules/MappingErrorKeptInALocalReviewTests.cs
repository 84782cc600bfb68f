using P2PAnalyzers.CodeFixes.Fixes;
using Fix20 = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0020MappingErrorNotCheckedAnalyzer>;
using P2P0022 = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>;
using P2P0023 = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0023UseAfterUnmapAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// Counter-examples a review found to the first reading of a check kept in a local (f3675cb) and to P2P0020's decline
/// (ca4fa36): stores the reading did not see or placed wrongly (loops, one branch, out arguments, compound stores), and
/// declines matched by name instead of symbol, past a finally, or past a reassignment.
/// </summary>
public sealed class MappingErrorKeptInALocalReviewTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        sealed class Dcp { public PciDevice Dev = null!; public KernelBuffer Key = null!; public KernelBuffer Buf = null!; public DmaAddr KeyAddr; }

        """;

    // ---- P2P0023 (UnmappedUsePaths: a failed path takes a later test of the kept check only on its failure edge) ----

    // 1. The check is stored only when !skip; on the failed path with skip, err stays false and the unmap of the
    //    failed mapping is reached. Parent (b30ed55) reports; HEAD: no diagnostic.
    [Fact]
    public Task P2P0023_CheckStoredOnOneBranch_FailedPathStillReachesUnmap() => P2P0023.Analyzer(Usings + """
        static class Aes
        {
            static void Log() { }
            static int Run(Dcp sdcp, bool skip)
            {
                bool err = false;
                DmaAddr a = {|#2:Dma.MapSingle(sdcp.Dev, sdcp.Buf, 0, 64, DmaDirection.ToDevice)|};
                if ({|#1:Dma.MappingError(sdcp.Dev, a)|})
                {
                    Log();
                }

                if (!skip)
                {
                    err = Dma.MappingError(sdcp.Dev, a);
                }

                if (err)
                {
                    return -12;
                }

                {|#0:Dma.UnmapSingle(sdcp.Dev, a, 64, DmaDirection.ToDevice)|};
                return 0;
            }
        }
        """, P2P0023.Diagnostic("P2P0023").WithLocation(0).WithLocation(1).WithLocation(2)
            .WithArguments("a", "Dma.UnmapSingle, which frees it", "its mapping failed ('Dma.MappingError(sdcp.Dev, a)')"));

    // 2. Loop: the flag holds the check on the first round only (Step overwrites it below, later in source order).
    //    On the failed path a later round finds !err and unmaps the failed mapping. Parent reports; HEAD: nothing.
    [Fact]
    public Task P2P0023_LoopOverwritesKeptCheck_FailedPathStillReachesUnmap() => P2P0023.Analyzer(Usings + """
        static class Aes
        {
            static void Log() { }
            static bool Step(int i) => i > 3;
            static int Run(Dcp sdcp, int n)
            {
                DmaAddr a = {|#2:Dma.MapSingle(sdcp.Dev, sdcp.Buf, 0, 64, DmaDirection.ToDevice)|};
                bool err = Dma.MappingError(sdcp.Dev, a);
                if ({|#1:Dma.MappingError(sdcp.Dev, a)|})
                {
                    Log();
                }

                for (int i = 0; i < n; i++)
                {
                    if (!err)
                    {
                        {|#0:Dma.UnmapSingle(sdcp.Dev, a, 64, DmaDirection.ToDevice)|};
                        return 0;
                    }

                    err = Step(i);
                }

                return -12;
            }
        }
        """, P2P0023.Diagnostic("P2P0023").WithLocation(0).WithLocation(1).WithLocation(2)
            .WithArguments("a", "Dma.UnmapSingle, which frees it", "its mapping failed ('Dma.MappingError(sdcp.Dev, a)')"));

    // 3. NEW FALSE POSITIVE. The mapping succeeded (the first test returned); in the loop, err is Step's result on
    //    every round after the first, but its last store in source order is the check, so its true edge is read as
    //    the mapping's failure. HEAD: P2P0023 "'a' reaches Dma.UnmapSingle ... after its mapping failed ('err')";
    //    parent: nothing.
    [Fact]
    public Task P2P0023_LoopOverwritesKeptCheck_NoUseAfterFailure() => P2P0023.Analyzer(Usings + """
        static class Aes
        {
            static bool Step(int i) => i > 3;
            static int Run(Dcp sdcp, int n)
            {
                DmaAddr a = Dma.MapSingle(sdcp.Dev, sdcp.Buf, 0, 64, DmaDirection.ToDevice);
                bool err = Dma.MappingError(sdcp.Dev, a);
                if (err)
                {
                    return -12;
                }

                for (int i = 0; i < n; i++)
                {
                    if (err)
                    {
                        Dma.UnmapSingle(sdcp.Dev, a, 64, DmaDirection.ToDevice);
                        return -5;
                    }

                    err = Step(i);
                }

                Dma.UnmapSingle(sdcp.Dev, a, 64, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // ---- P2P0022 (MappingOwnership.CheckHeldIn: stores it does not see, or that source order misplaces) ----

    // 4. `Prepare(out ret)` is a store CheckHeldIn does not see: the second `if (ret != 0)` is read as the mapping's
    //    failure test and the leak at its return is hidden. HEAD: nothing. (Parent reported the mapping, at the first
    //    return.) Same with `ret |= Prepare();` (test 5), and with ++/--, deconstruction, ref.
    [Fact]
    public Task P2P0022_OutArgumentOverwritesKeptCheck_StillALeak() => P2P0022.Analyzer(Usings + """
        static class Aes
        {
            static void Prepare(out int r) { r = -5; }
            static int Run(Dcp sdcp)
            {
                int ret;
                DmaAddr key = {|#0:Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice)|};
                ret = Dma.MappingError(sdcp.Dev, key) ? -12 : 0;
                if (ret != 0)
                {
                    return ret;
                }

                Prepare(out ret);
                if (ret != 0)
                {
                    {|#1:return ret;|}
                }

                Dma.UnmapSingle(sdcp.Dev, key, 32, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, P2P0022.Diagnostic("P2P0022").WithLocation(0).WithLocation(1).WithArguments("Dma.MapSingle", "at 'return ret;', which returns an error"));

    // 5. Compound assignment overwrites the kept check unseen.
    [Fact]
    public Task P2P0022_CompoundAssignmentOverwritesKeptCheck_StillALeak() => P2P0022.Analyzer(Usings + """
        static class Aes
        {
            static int Prepare() => -5;
            static int Run(Dcp sdcp)
            {
                int ret;
                DmaAddr key = {|#0:Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice)|};
                ret = Dma.MappingError(sdcp.Dev, key) ? -12 : 0;
                if (ret != 0)
                {
                    return ret;
                }

                ret |= Prepare();
                if (ret != 0)
                {
                    {|#1:return ret;|}
                }

                Dma.UnmapSingle(sdcp.Dev, key, 32, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, P2P0022.Diagnostic("P2P0022").WithLocation(0).WithLocation(1).WithArguments("Dma.MapSingle", "at 'return ret;', which returns an error"));

    // 6. Loop back edge: from the second round err is Step's result, and `return -5` leaks the key. HEAD: nothing
    //    (the store is later in source order); parent reports at 'return -5;'.
    [Fact]
    public Task P2P0022_LoopOverwritesKeptCheck_StillALeak() => P2P0022.Analyzer(Usings + """
        static class Aes
        {
            static bool Step(int i) => i > 3;
            static int Run(Dcp sdcp, int n)
            {
                DmaAddr key = {|#0:Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice)|};
                bool err = Dma.MappingError(sdcp.Dev, key);
                for (int i = 0; i < n; i++)
                {
                    if (err)
                    {
                        {|#1:return -5;|}
                    }

                    err = Step(i);
                }

                Dma.UnmapSingle(sdcp.Dev, key, 32, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, P2P0022.Diagnostic("P2P0022").WithLocation(0).WithLocation(1).WithArguments("Dma.MapSingle", "at 'return -5;', which returns an error"));

    // 7. Check stored on one branch only (the approximation docs/rules/P2P0022.md admits): with !check, err is
    //    Validate's result and `return -12` leaks. HEAD: nothing; parent reports.
    [Fact]
    public Task P2P0022_CheckStoredOnOneBranch_StillALeak() => P2P0022.Analyzer(Usings + """
        static class Aes
        {
            static bool Validate(Dcp d) => d.Key == null;
            static int Run(Dcp sdcp, bool check)
            {
                DmaAddr a = {|#0:Dma.MapSingle(sdcp.Dev, sdcp.Buf, 0, 64, DmaDirection.ToDevice)|};
                bool err = Validate(sdcp);
                if (check)
                {
                    err = Dma.MappingError(sdcp.Dev, a);
                }

                if (err)
                {
                    {|#1:return -12;|}
                }

                Dma.UnmapSingle(sdcp.Dev, a, 64, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, P2P0022.Diagnostic("P2P0022").WithLocation(0).WithLocation(1).WithArguments("Dma.MapSingle", "at 'return -12;', which returns an error"));

    // ---- P2P0020 fix (EarlierMappings, through EarlierUnmaps: over-broad declines) ----

    // 8. One local reused: the earlier mapping in `a` is handed on to a field; the only unmap after the fix point is
    //    the NEW mapping's own. Names match, so the fix is declined. Parent offers the fix; HEAD: no fix.
    [Fact]
    public Task P2P0020Fix_LocalReusedForTheFlaggedMapping_StillOffered() => Fix20.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        static class MxsDcp
        {
            static int RunAes(Dcp sdcp)
            {
                DmaAddr a = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                if (Dma.MappingError(sdcp.Dev, a))
                {
                    return -12;
                }

                sdcp.KeyAddr = a;
                a = [|Dma.MapSingle(sdcp.Dev, sdcp.Buf, 0, 512, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(sdcp.Dev, a, 512, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, Usings + """
        static class MxsDcp
        {
            static int RunAes(Dcp sdcp)
            {
                DmaAddr a = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                if (Dma.MappingError(sdcp.Dev, a))
                {
                    return -12;
                }

                sdcp.KeyAddr = a;
                a = Dma.MapSingle(sdcp.Dev, sdcp.Buf, 0, 512, DmaDirection.ToDevice);
                if (Dma.MappingError(sdcp.Dev, a))
                {
                    return (int)DmaError.NoMemory;
                }

                Dma.UnmapSingle(sdcp.Dev, a, 512, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // 9. The earlier mapping is unmapped in a finally: the return the fix adds inside the try unmaps it. Declined
    //    because the finally's unmap is after the fix point in source. Parent offers the fix; HEAD: no fix.
    [Fact]
    public Task P2P0020Fix_EarlierUnmappedInFinally_StillOffered() => Fix20.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        static class MxsDcp
        {
            static int RunAes(Dcp sdcp)
            {
                DmaAddr keyPhys = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                if (Dma.MappingError(sdcp.Dev, keyPhys))
                {
                    return -12;
                }

                try
                {
                    DmaAddr srcPhys = [|Dma.MapSingle(sdcp.Dev, sdcp.Buf, 0, 512, DmaDirection.ToDevice)|];
                    Dma.UnmapSingle(sdcp.Dev, srcPhys, 512, DmaDirection.ToDevice);
                    return 0;
                }
                finally
                {
                    Dma.UnmapSingle(sdcp.Dev, keyPhys, 32, DmaDirection.ToDevice);
                }
            }
        }
        """, Usings + """
        static class MxsDcp
        {
            static int RunAes(Dcp sdcp)
            {
                DmaAddr keyPhys = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                if (Dma.MappingError(sdcp.Dev, keyPhys))
                {
                    return -12;
                }

                try
                {
                    DmaAddr srcPhys = Dma.MapSingle(sdcp.Dev, sdcp.Buf, 0, 512, DmaDirection.ToDevice);
                    if (Dma.MappingError(sdcp.Dev, srcPhys))
                    {
                        return (int)DmaError.NoMemory;
                    }

                    Dma.UnmapSingle(sdcp.Dev, srcPhys, 512, DmaDirection.ToDevice);
                    return 0;
                }
                finally
                {
                    Dma.UnmapSingle(sdcp.Dev, keyPhys, 32, DmaDirection.ToDevice);
                }
            }
        }
        """);

    // 10. Two different locals named `k` in sibling blocks: the earlier one is handed on to a field, the later one is
    //     another mapping made after the fix point. Text match across locals declines. Parent offers; HEAD: no fix.
    [Fact]
    public Task P2P0020Fix_SameNameDifferentLocal_StillOffered() => Fix20.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        static class MxsDcp
        {
            static int RunAes(Dcp sdcp, bool a1, bool a2)
            {
                if (a1)
                {
                    DmaAddr k = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                    if (Dma.MappingError(sdcp.Dev, k))
                    {
                        return -12;
                    }

                    sdcp.KeyAddr = k;
                }

                DmaAddr srcPhys = [|Dma.MapSingle(sdcp.Dev, sdcp.Buf, 0, 512, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(sdcp.Dev, srcPhys, 512, DmaDirection.ToDevice);
                if (a2)
                {
                    DmaAddr k = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                    if (Dma.MappingError(sdcp.Dev, k))
                    {
                        return -12;
                    }

                    Dma.UnmapSingle(sdcp.Dev, k, 32, DmaDirection.ToDevice);
                }

                return 0;
            }
        }
        """, Usings + """
        static class MxsDcp
        {
            static int RunAes(Dcp sdcp, bool a1, bool a2)
            {
                if (a1)
                {
                    DmaAddr k = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                    if (Dma.MappingError(sdcp.Dev, k))
                    {
                        return -12;
                    }

                    sdcp.KeyAddr = k;
                }

                DmaAddr srcPhys = Dma.MapSingle(sdcp.Dev, sdcp.Buf, 0, 512, DmaDirection.ToDevice);
                if (Dma.MappingError(sdcp.Dev, srcPhys))
                {
                    return (int)DmaError.NoMemory;
                }

                Dma.UnmapSingle(sdcp.Dev, srcPhys, 512, DmaDirection.ToDevice);
                if (a2)
                {
                    DmaAddr k = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                    if (Dma.MappingError(sdcp.Dev, k))
                    {
                        return -12;
                    }

                    Dma.UnmapSingle(sdcp.Dev, k, 32, DmaDirection.ToDevice);
                }

                return 0;
            }
        }
        """);
}
