using Microsoft.CodeAnalysis.Testing;
using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0024ScatterlistCountConfusionAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// P2P0024's fix passes the nents given to the map call, as the kernel's own fixes did: <c>data-&gt;sg_len</c> in mvsdio
/// and bcm2835, <c>task-&gt;num_scatter</c> in mvsas, <c>sgt-&gt;orig_nents</c> in the sg_table drivers.
/// </summary>
public sealed class P2P0024CodeFixTests
{
    private const string Usings = """
        using P2PDma.Mapping;
        using P2PDma.Pci;

        """;

    private const string MmcData = """
        class MmcData
        {
            public SgTable Sg = SgTable.Alloc(1);
            public int SgLen;
            public DmaDirection Dir;
        }

        class MvsdHost
        {
            public PciDevice Dev = null!;
            public int SgFrags;
        }

        """;

    private const string Mvsdio = """
        static class Mvsdio
        {
            static int MvsdSetupData(MvsdHost host, MmcData data)
            {
                host.SgFrags = Dma.MapSg(host.Dev, data.Sg, data.SgLen, data.Dir);
                return host.SgFrags == 0 ? -12 : 0;
            }

            static uint MvsdFinishData(MvsdHost host, MmcData data, uint errStatus)
            {
                // unmap once the interrupt says the transfer is done
                Dma.UnmapSg(host.Dev, data.Sg, NENTS, data.Dir);
                return errStatus;
            }
        }
        """;

    [Fact]
    public Task MvsdFinishData_UnmapsWithDataSgLen() => Verifier.CodeFix<P2P0024ScatterlistCountConfusionCodeFix>(
        Usings + MmcData + Mvsdio.Replace("NENTS", "[|host.SgFrags|]"),
        Usings + MmcData + Mvsdio.Replace("NENTS", "data.SgLen"));

    [Fact]
    public async Task MvsdFinishDataInItsOwnFile_UnmapsWithDataSgLen()
    {
        var test = new Verifier.CodeFixTest<P2P0024ScatterlistCountConfusionCodeFix>();
        test.Configure(withLibrary: true);
        string setup = Usings + MmcData + """
            static class MvsdSetup
            {
                public static int MvsdSetupData(MvsdHost host, MmcData data)
                {
                    host.SgFrags = Dma.MapSg(host.Dev, data.Sg, data.SgLen, data.Dir);
                    return 0;
                }
            }
            """;
        string finish = Usings + """
            static class MvsdIrq
            {
                public static void MvsdFinishData(MvsdHost host, MmcData data) => Dma.UnmapSg(host.Dev, data.Sg, NENTS, data.Dir);
            }
            """;
        test.TestState.Sources.Add(("/0/Setup.cs", setup));
        test.TestState.Sources.Add(("/0/Irq.cs", finish.Replace("NENTS", "[|host.SgFrags|]")));
        test.FixedState.Sources.Add(("/0/Setup.cs", setup));
        test.FixedState.Sources.Add(("/0/Irq.cs", finish.Replace("NENTS", "data.SgLen")));
        test.TestState.MarkupHandling = MarkupMode.Allow;
        await test.RunAsync();
    }

    private const string Bcm2835 = """
        class Bcm2835Host
        {
            public PciDevice Dev = null!;

            static object? PrepSlaveSg(SgTable sg, int sgLen) => sgLen > 1 ? sg : null;

            // bcm2835_prepare_dma
            public void PrepareDma(MmcData data)
            {
                int sgLen = Dma.MapSg(Dev, data.Sg, data.SgLen, data.Dir);
                if (sgLen == 0)
                {
                    return;
                }

                if (PrepSlaveSg(data.Sg, sgLen) is null)
                {
                    Dma.UnmapSg(Dev, data.Sg, NENTS, data.Dir);
                }
            }
        }
        """;

    [Fact]
    public Task Bcm2835PrepareDma_UnmapsWithDataSgLen() => Verifier.CodeFix<P2P0024ScatterlistCountConfusionCodeFix>(
        Usings + MmcData + Bcm2835.Replace("NENTS", "[|sgLen|]"),
        Usings + MmcData + Bcm2835.Replace("NENTS", "data.SgLen"));

    private const string MvSas = """
        class SasTask
        {
            public SgTable Scatter = SgTable.Alloc(1);
            public int NumScatter;
            public DmaDirection DataDir;
        }

        class MvsSlotInfo
        {
            public int NElem;
        }

        static class MvSas
        {
            static int MvsTaskPrep(SasTask task, PciDevice dev, MvsSlotInfo? slot)
            {
                int nElem = Dma.MapSg(dev, task.Scatter, task.NumScatter, task.DataDir);
                if (nElem == 0)
                {
                    return -12;
                }

                if (slot is null)
                {
                    goto err_out;
                }

                slot.NElem = nElem;
                return 0;

            err_out:
                Dma.UnmapSg(dev, task.Scatter, PREP, task.DataDir);
                return -16;
            }

            static void MvsSlotTaskFree(PciDevice dev, SasTask task, MvsSlotInfo slot)
            {
                if (slot.NElem != 0)
                {
                    Dma.UnmapSg(dev, task.Scatter, FREE, task.DataDir);
                }

                slot.NElem = 0;
            }
        }
        """;

    [Fact]
    public Task MvsTaskPrepAndMvsSlotTaskFree_UnmapWithTaskNumScatter() => Verifier.CodeFix<P2P0024ScatterlistCountConfusionCodeFix>(
        Usings + MvSas.Replace("PREP", "[|nElem|]").Replace("FREE", "[|slot.NElem|]"),
        Usings + MvSas.Replace("PREP", "task.NumScatter").Replace("FREE", "task.NumScatter"));

    private const string SgTableDriver = """
        class Vb2DmaSgBuf
        {
            public PciDevice Dev = null!;

            public void MapAndSync(SgTable sgt, DmaDirection dir)
            {
                sgt.Nents = Dma.MapSg(Dev, sgt, sgt.OrigNents, dir);
                if (sgt.Nents == 0)
                {
                    return;
                }

                Dma.SyncSgForDevice(Dev, sgt, SYNC, dir);
                Dma.UnmapSg(Dev, sgt, UNMAP, dir);
            }
        }
        """;

    [Fact]
    public Task SgTableNents_BecomesOrigNents() => Verifier.CodeFix<P2P0024ScatterlistCountConfusionCodeFix>(
        Usings + SgTableDriver.Replace("SYNC", "[|sgt.Nents|]").Replace("UNMAP", "[|sgt.Nents|]"),
        Usings + SgTableDriver.Replace("SYNC", "sgt.OrigNents").Replace("UNMAP", "sgt.OrigNents"));

    // The nents overwritten with the count (rw.c's `sg_cnt = ret;`): a copy kept just before the map call, as pch_uart's
    // fix kept orig_nent, and both unmaps given it (the second reuses the copy the first made).
    [Fact]
    public Task NentsOverwrittenByTheCount_KeptBeforeTheMap() => Verifier.CodeFix<P2P0024ScatterlistCountConfusionCodeFix>(Usings + """
        static class Driver
        {
            static int Io(PciDevice dev, SgTable sg, int nents, bool fail)
            {
                nents = Dma.MapSg(dev, sg, nents, DmaDirection.FromDevice);
                if (fail)
                {
                    Dma.UnmapSg(dev, sg, [|nents|], DmaDirection.FromDevice);
                    return -5;
                }

                Dma.UnmapSg(dev, sg, [|nents|], DmaDirection.FromDevice);
                return 0;
            }
        }
        """, Usings + """
        static class Driver
        {
            static int Io(PciDevice dev, SgTable sg, int nents, bool fail)
            {
                int origNents = nents;
                nents = Dma.MapSg(dev, sg, nents, DmaDirection.FromDevice);
                if (fail)
                {
                    Dma.UnmapSg(dev, sg, origNents, DmaDirection.FromDevice);
                    return -5;
                }

                Dma.UnmapSg(dev, sg, origNents, DmaDirection.FromDevice);
                return 0;
            }
        }
        """);

    // A goto from before the map into the unmap's label would reach the unmap without the copy: no fix.
    [Fact]
    public Task NentsOverwrittenWithAGotoBeforeTheMap_NoFix() => Verifier.NoCodeFix<P2P0024ScatterlistCountConfusionCodeFix>(Usings + """
        static class Driver
        {
            static int Io(PciDevice dev, SgTable sg, int nents, bool skip)
            {
                if (skip)
                {
                    goto out_unmap;
                }

                nents = Dma.MapSg(dev, sg, nents, DmaDirection.FromDevice);
            out_unmap:
                Dma.UnmapSg(dev, sg, [|nents|], DmaDirection.FromDevice);
                return 0;
            }
        }
        """);

    [Fact]
    public Task CountKeptInAFieldAndTheTableInAnother_NoFix() => Verifier.NoCodeFix<P2P0024ScatterlistCountConfusionCodeFix>(Usings + """
        // The map was given a parameter: nothing at the completion holds it.
        class Port
        {
            PciDevice _dev = null!;
            SgTable _sg = SgTable.Alloc(4);
            int _mapped;

            public void Submit(int nents) => _mapped = Dma.MapSg(_dev, _sg, nents, DmaDirection.ToDevice);

            public void Complete() => Dma.UnmapSg(_dev, _sg, [|_mapped|], DmaDirection.ToDevice);
        }
        """);

    // The DMA API documentation's loop with the nents given as its bound: bounded by the count the map call returned.
    [Fact]
    public Task LoopOverTheNentsGiven_LoopsOverTheCount() => Verifier.CodeFix<P2P0024ScatterlistCountConfusionCodeFix>(LoopUsings + """
        sealed class HwDesc { public DmaAddr[] Address = new DmaAddr[16]; }

        static class Howto
        {
            static int Program(PciDevice dev, SgTable sglist, int nents, HwDesc hw)
            {
                int count = Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                for (int i = 0; i < [|nents|]; i++)
                {
                    hw.Address[i] = sglist[i].DmaAddress;
                }

                return count;
            }
        }
        """, LoopUsings + """
        sealed class HwDesc { public DmaAddr[] Address = new DmaAddr[16]; }

        static class Howto
        {
            static int Program(PciDevice dev, SgTable sglist, int nents, HwDesc hw)
            {
                int count = Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                for (int i = 0; i < count; i++)
                {
                    hw.Address[i] = sglist[i].DmaAddress;
                }

                return count;
            }
        }
        """);

    // A foreach over the table has no bound to change: set Nents to the count, or map with MapSgTable, by hand.
    [Fact]
    public Task ForEachOverTheTable_NoFix() => Verifier.NoCodeFix<P2P0024ScatterlistCountConfusionCodeFix>(LoopUsings + """
        static class Ring
        {
            static int Post(PciDevice dev, SgTable sgt, DmaAddr[] hw)
            {
                int count = Dma.MapSg(dev, sgt, sgt.OrigNents, DmaDirection.FromDevice);
                if (count == 0)
                {
                    return -12;
                }

                int n = 0;
                foreach (Scatterlist sg in [|sgt|])
                {
                    hw[n++] = sg.DmaAddress;
                }

                return n;
            }
        }
        """);

    private const string LoopUsings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;

        """;

    // sahara's link loop from an offset: only the entry count in the bound becomes the count.
    [Fact]
    public Task LoopFromAnOffset_OnlyTheEntryCountInTheBoundChanges() => Verifier.CodeFix<P2P0024ScatterlistCountConfusionCodeFix>(LoopUsings + """
        static class Links
        {
            static int Create(PciDevice dev, SgTable sglist, int n, int start, DmaAddr[] hw)
            {
                int ret = Dma.MapSg(dev, sglist, n, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -12;
                }

                Scatterlist? sg = sglist[0];
                for (int i = start; i < [|n + start|]; i++)
                {
                    hw[i] = sg!.DmaAddress;
                    sg = sg.Next();
                }

                return ret;
            }
        }
        """, LoopUsings + """
        static class Links
        {
            static int Create(PciDevice dev, SgTable sglist, int n, int start, DmaAddr[] hw)
            {
                int ret = Dma.MapSg(dev, sglist, n, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -12;
                }

                Scatterlist? sg = sglist[0];
                for (int i = start; i < ret + start; i++)
                {
                    hw[i] = sg!.DmaAddress;
                    sg = sg.Next();
                }

                return ret;
            }
        }
        """);

    // The body tests for the last link with the entry count (sahara's i == n - 1): the test follows the bound, or the
    // chain would end past the mapped segments.
    [Fact]
    public Task BodyTestsForTheLastSegment_TheTestFollowsTheBound() => Verifier.CodeFix<P2P0024ScatterlistCountConfusionCodeFix>(LoopUsings + """
        static class Links
        {
            static int Create(PciDevice dev, SgTable sglist, int n, DmaAddr[] hw, bool[] last)
            {
                int ret = Dma.MapSg(dev, sglist, n, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -12;
                }

                for (int i = 0; i < [|n|]; i++)
                {
                    hw[i] = sglist[i].DmaAddress;
                    last[i] = i == n - 1;
                }

                return ret;
            }
        }
        """, LoopUsings + """
        static class Links
        {
            static int Create(PciDevice dev, SgTable sglist, int n, DmaAddr[] hw, bool[] last)
            {
                int ret = Dma.MapSg(dev, sglist, n, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -12;
                }

                for (int i = 0; i < ret; i++)
                {
                    hw[i] = sglist[i].DmaAddress;
                    last[i] = i == ret - 1;
                }

                return ret;
            }
        }
        """);

    // Any other read of the entry count in the body (a length shared out over the entries) mixes the two counts: no fix.
    [Fact]
    public Task BodyReadsTheEntryCountOtherwise_NoFix() => Verifier.NoCodeFix<P2P0024ScatterlistCountConfusionCodeFix>(LoopUsings + """
        static class Links
        {
            static int Create(PciDevice dev, SgTable sglist, int n, DmaAddr[] hw, uint[] len, uint total)
            {
                int ret = Dma.MapSg(dev, sglist, n, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -12;
                }

                for (int i = 0; i < [|n|]; i++)
                {
                    hw[i] = sglist[i].DmaAddress;
                    len[i] = total / (uint)n;
                }

                return ret;
            }
        }
        """);

    // A body that reads the CPU length of another list's entries (a bounce copy beside the descriptors): that length
    // belongs to the entries, not to the DMA segments, so it cannot become a DMA length; the bound alone would mix the
    // counts: no fix.
    [Fact]
    public Task BodyReadsTheCpuLengthOfAnotherList_NoFix() => Verifier.NoCodeFix<P2P0024ScatterlistCountConfusionCodeFix>(LoopUsings + """
        static class Links
        {
            static int Create(PciDevice dev, SgTable sglist, SgTable bounce, int n, DmaAddr[] hw, ulong[] len)
            {
                int ret = Dma.MapSg(dev, sglist, n, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -12;
                }

                for (int i = 0; i < [|n|]; i++)
                {
                    hw[i] = sglist[i].DmaAddress;
                    len[i] = bounce[i].Length;
                }

                return ret;
            }
        }
        """);

    // The body records each entry's CPU range (Phys, Length) beside the descriptor: that length sizes a CPU range, which
    // DmaLength would run past the entry for a merged segment (found in review): no fix.
    [Fact]
    public Task BodyReadsTheCpuRangeOfTheAddressedEntry_NoFix() => Verifier.NoCodeFix<P2P0024ScatterlistCountConfusionCodeFix>(LoopUsings + """
        static class Links
        {
            static int Create(PciDevice dev, SgTable sglist, int n, DmaAddr[] hw, ulong[] len, ulong[] cpu, ulong[] cpuLen)
            {
                int ret = Dma.MapSg(dev, sglist, n, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -12;
                }

                for (int i = 0; i < [|n|]; i++)
                {
                    hw[i] = sglist[i].DmaAddress;
                    len[i] = sglist[i].Length;
                    cpu[i] = sglist[i].Phys.Raw;
                    cpuLen[i] = sglist[i].Length;
                }

                return ret;
            }
        }
        """);

    // sahara_hw_descriptor_create keeps both lists' counts in ret, one after the other, then links in_sg for nb_in_sg
    // entries with a last-link test: the first count is kept in a local of its own, and the loop and its test use it.
    [Fact]
    public Task CountOverwrittenByTheNextMap_KeptInItsOwnLocal() => Verifier.CodeFix<P2P0024ScatterlistCountConfusionCodeFix>(LoopUsings + """
        sealed class SaharaDev
        {
            public PciDevice Device = null!;
            public SgTable InSg = null!, OutSg = null!;
            public int NbInSg, NbOutSg;
            public uint[] Link = new uint[32];
            public uint[] Next = new uint[32];
        }

        static class Sahara
        {
            static int HwDescriptorCreate(SaharaDev dev)
            {
                int ret;
                int i;
                Scatterlist? sg;

                ret = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -22;
                }

                ret = Dma.MapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                if (ret == 0)
                {
                    Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                    return -22;
                }

                // Create input links
                sg = dev.InSg[0];
                for (i = 0; i < [|dev.NbInSg|]; i++)
                {
                    dev.Link[i] = (uint)sg!.DmaAddress.Raw;
                    if (i == (dev.NbInSg - 1))
                    {
                        dev.Next[i] = 0;
                    }
                    else
                    {
                        dev.Next[i] = (uint)(i + 1);
                        sg = sg.Next();
                    }
                }

                return 0;
            }
        }
        """, LoopUsings + """
        sealed class SaharaDev
        {
            public PciDevice Device = null!;
            public SgTable InSg = null!, OutSg = null!;
            public int NbInSg, NbOutSg;
            public uint[] Link = new uint[32];
            public uint[] Next = new uint[32];
        }

        static class Sahara
        {
            static int HwDescriptorCreate(SaharaDev dev)
            {
                int ret;
                int i;
                Scatterlist? sg;

                ret = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                int inSgCount = ret;
                if (ret == 0)
                {
                    return -22;
                }

                ret = Dma.MapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                if (ret == 0)
                {
                    Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                    return -22;
                }

                // Create input links
                sg = dev.InSg[0];
                for (i = 0; i < inSgCount; i++)
                {
                    dev.Link[i] = (uint)sg!.DmaAddress.Raw;
                    if (i == (inSgCount - 1))
                    {
                        dev.Next[i] = 0;
                    }
                    else
                    {
                        dev.Next[i] = (uint)(i + 1);
                        sg = sg.Next();
                    }
                }

                return 0;
            }
        }
        """);

    // rockchip crypto's rk_hash_run walks areq->src with sg_next until the end of the list, though rk_hash_prepare kept the
    // DMA segment count dma_map_sg returned in rctx->nrsg: the walk stops at that count (for_each_sg over it).
    [Fact]
    public Task CursorWalkOfATableMappedElsewhere_StopsAtTheCountKeptBesideIt() => Verifier.CodeFix<P2P0024ScatterlistCountConfusionCodeFix>(LoopUsings + WalkTypes + """
        static class RkHash
        {
            // rk_hash_prepare
            static int Prepare(AhashRequest areq)
            {
                RkAhashRctx rctx = areq.Rctx;
                int ret;

                ret = Dma.MapSg(rctx.Dev, areq.Src, areq.Src.Count, DmaDirection.ToDevice);
                if (ret <= 0)
                {
                    return -22;
                }

                rctx.Nrsg = ret;
                return 0;
            }

            // rk_hash_run
            static int Run(AhashRequest areq, uint[] hrdma)
            {
                Scatterlist? sg = areq.Src[0];
                int err = Prepare(areq);
                if (err != 0)
                {
                    return err;
                }

                int n = 0;
                while ([|sg != null|])
                {
                    // CRYPTO_WRITE(dev, RK_CRYPTO_HRDMAS, sg_dma_address(sg))
                    hrdma[n++] = (uint)sg.DmaAddress.Raw;
                    sg = sg.Next();
                }

                return 0;
            }
        }
        """, LoopUsings + WalkTypes + """
        static class RkHash
        {
            // rk_hash_prepare
            static int Prepare(AhashRequest areq)
            {
                RkAhashRctx rctx = areq.Rctx;
                int ret;

                ret = Dma.MapSg(rctx.Dev, areq.Src, areq.Src.Count, DmaDirection.ToDevice);
                if (ret <= 0)
                {
                    return -22;
                }

                rctx.Nrsg = ret;
                return 0;
            }

            // rk_hash_run
            static int Run(AhashRequest areq, uint[] hrdma)
            {
                Scatterlist? sg = areq.Src[0];
                int err = Prepare(areq);
                if (err != 0)
                {
                    return err;
                }

                int n = 0;
                for (int segment = 0; sg != null && segment < areq.Rctx.Nrsg; segment++)
                {
                    // CRYPTO_WRITE(dev, RK_CRYPTO_HRDMAS, sg_dma_address(sg))
                    hrdma[n++] = (uint)sg.DmaAddress.Raw;
                    sg = sg.Next();
                }

                return 0;
            }
        }
        """);

    // sci_request_build_sgl fills SGL pairs: two entries an iteration, the second advance inside a branch. Each advance
    // stops at the count, so both tests of the cursor end the walk there.
    [Fact]
    public Task CursorWalkTakingTwoEntriesAnIteration_EveryAdvanceStopsAtTheCount() => Verifier.CodeFix<P2P0024ScatterlistCountConfusionCodeFix>(LoopUsings + """
        static class Isci
        {
            static int BuildSgl(PciDevice dev, SgTable scatter, ulong[] a, ulong[] b)
            {
                int count = Dma.MapSg(dev, scatter, scatter.Count, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                Scatterlist? sg = scatter[0];
                int idx = 0;
                while ([|sg != null|])
                {
                    a[idx] = sg.DmaAddress.Raw;
                    sg = sg.Next();
                    if (sg != null)
                    {
                        b[idx] = sg.DmaAddress.Raw;
                        sg = sg.Next();
                    }

                    idx++;
                }

                return idx;
            }
        }
        """, LoopUsings + """
        static class Isci
        {
            static int BuildSgl(PciDevice dev, SgTable scatter, ulong[] a, ulong[] b)
            {
                int count = Dma.MapSg(dev, scatter, scatter.Count, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                Scatterlist? sg = scatter[0];
                int idx = 0;
                int segment = 0;
                while (sg != null)
                {
                    a[idx] = sg.DmaAddress.Raw;
                    sg = ++segment < count ? sg.Next() : null;
                    if (sg != null)
                    {
                        b[idx] = sg.DmaAddress.Raw;
                        sg = ++segment < count ? sg.Next() : null;
                    }

                    idx++;
                }

                return idx;
            }
        }
        """);

    private const string WalkTypes = """
        sealed class RkAhashRctx
        {
            public PciDevice Dev = null!;
            public int Nrsg;
        }

        sealed class AhashRequest
        {
            public SgTable Src = null!;
            public RkAhashRctx Rctx = new();
        }

        """;

    // rockchip crypto before "Fix dma_unmap_sg() nents value" (2025): rk_hash_prepare maps with sg_nents(areq->src) and
    // keeps the count in rctx->nrsg; rk_hash_unprepare unmapped with it. The fix passes sg_nents(areq->src), as the
    // kernel's did.
    private const string RkHash = """
        sealed class AhashRequest
        {
            public SgTable Src = null!;
            public RkAhashRctx Ctx = new();
        }

        sealed class RkAhashRctx
        {
            public int Nrsg;
        }

        static class RkCryptoAhash
        {
            // sg_nents
            static int SgNents(SgTable sg) => sg.Count;

            static int RkHashPrepare(PciDevice dev, AhashRequest areq)
            {
                int ret = Dma.MapSg(dev, areq.Src, SgNents(areq.Src), DmaDirection.ToDevice);
                if (ret <= 0)
                {
                    return -22;
                }

                areq.Ctx.Nrsg = ret;
                return 0;
            }

            static void RkHashUnprepare(PciDevice dev, AhashRequest areq)
            {
                Dma.UnmapSg(dev, areq.Src, NENTS, DmaDirection.ToDevice);
            }
        }
        """;

    [Fact]
    public Task RkHashUnprepare_PassesSgNentsOfTheTable() => Verifier.CodeFix<P2P0024ScatterlistCountConfusionCodeFix>(
        Usings + RkHash.Replace("NENTS", "[|areq.Ctx.Nrsg|]"), Usings + RkHash.Replace("NENTS", "SgNents(areq.Src)"));
}
