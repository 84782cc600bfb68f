using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// P2P0022's fix unmaps just before the leaking exit with the map's own arguments, where every path to that exit leaks;
/// where the exit is shared with success or with paths that never mapped (zcrx's <c>return ret</c>), under the tests that
/// tell the leaking paths apart; it declines where no such tests are known at the exit or an argument may have changed.
/// </summary>
public sealed class P2P0022CodeFixTests
{
    private const string Usings = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    // dma-api-howto's example 1 with its second failure returning at once.
    [Fact]
    public Task SecondMappingFails_TheFirstIsUnmappedBeforeTheReturn() => Verifier.CodeFix<P2P0022MappingLeakedCodeFix>(Usings + """
        sealed class TxRing { public DmaAddr Hdr, Payload; }

        static class Howto
        {
            static int Xmit(PciDevice dev, KernelBuffer addr, ulong size, TxRing ring)
            {
                DmaAddr dmaAddr1 = [|Dma.MapSingle(dev, addr, 0, size, DmaDirection.ToDevice)|];
                if (Dma.MappingError(dev, dmaAddr1))
                {
                    return -12;
                }

                DmaAddr dmaAddr2 = Dma.MapSingle(dev, addr, 0, size, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, dmaAddr2))
                {
                    // reduce current DMA mapping usage, delay and try again later
                    return -12;
                }

                ring.Hdr = dmaAddr1;
                ring.Payload = dmaAddr2;
                return 0;
            }
        }
        """, Usings + """
        sealed class TxRing { public DmaAddr Hdr, Payload; }

        static class Howto
        {
            static int Xmit(PciDevice dev, KernelBuffer addr, ulong size, TxRing ring)
            {
                DmaAddr dmaAddr1 = Dma.MapSingle(dev, addr, 0, size, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, dmaAddr1))
                {
                    return -12;
                }

                DmaAddr dmaAddr2 = Dma.MapSingle(dev, addr, 0, size, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, dmaAddr2))
                {
                    // reduce current DMA mapping usage, delay and try again later
                    Dma.UnmapSingle(dev, dmaAddr1, size, DmaDirection.ToDevice);
                    return -12;
                }

                ring.Hdr = dmaAddr1;
                ring.Payload = dmaAddr2;
                return 0;
            }
        }
        """);

    private const string Chip = """
        sealed class Chip { public PciDevice Dev = null!; public SgTable Sg = SgTable.Alloc(4); public int Pages = 4; }

        """;

    [Fact]
    public Task ErrorLabel_KeepsItsLabelOnTheUnmap() => Verifier.CodeFix<P2P0022MappingLeakedCodeFix>(Usings + Chip + """
        static class Audio
        {
            static int BuildRisc(Chip chip, int pages) => pages > 0 ? 0 : -22;

            static int HwParams(Chip chip)
            {
                int ret;
                if ([|Dma.MapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice)|] != DmaError.None)
                {
                    return -12;
                }

                ret = BuildRisc(chip, chip.Pages);
                if (ret < 0)
                {
                    goto error;
                }

                return 0;

            error:
                return ret;
            }
        }
        """, Usings + Chip + """
        static class Audio
        {
            static int BuildRisc(Chip chip, int pages) => pages > 0 ? 0 : -22;

            static int HwParams(Chip chip)
            {
                int ret;
                if (Dma.MapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice) != DmaError.None)
                {
                    return -12;
                }

                ret = BuildRisc(chip, chip.Pages);
                if (ret < 0)
                {
                    goto error;
                }

                return 0;

            error:
                Dma.UnmapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice);
                return ret;
            }
        }
        """);

    [Fact]
    public Task EmbeddedReturn_BecomesABlock() => Verifier.CodeFix<P2P0022MappingLeakedCodeFix>(Usings + """
        static class Howto
        {
            static int Submit(PciDevice dev, SgTable sglist, int nents, bool queueFull)
            {
                int count = [|Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice)|];
                if (count == 0)
                    return -12;
                if (queueFull)
                    return -16;
                Dma.UnmapSg(dev, sglist, nents, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, Usings + """
        static class Howto
        {
            static int Submit(PciDevice dev, SgTable sglist, int nents, bool queueFull)
            {
                int count = Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice);
                if (count == 0)
                    return -12;
                if (queueFull)
                {
                    Dma.UnmapSg(dev, sglist, nents, DmaDirection.ToDevice);
                    return -16;
                }
                Dma.UnmapSg(dev, sglist, nents, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // zcrx's shape, with what stands before its return.
    private const string ZcrxMapArea = """
        static class Zcrx
        {
            static int Populate(Chip chip) => chip.Pages > 0 ? 0 : -14;

            static int MapArea(Chip chip, ref bool isMapped)
            {
                int ret = (int)%MAP%;
                if (ret < 0)
                {
                    return ret;
                }

                ret = Populate(chip);
                if (ret == 0)
                {
                    isMapped = true;
                }

        %BEFORE%        return ret;
            }
        }
        """;

    private const string ZcrxMap = "Dma.MapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice)";

    // zcrx's shape: the error return is also the success return. The unmap goes before it under the test that tells them
    // apart, as io_uring's fix did (if (ret && ..) dma_unmap_sgtable): an unguarded one would unmap the table kept on success.
    [Fact]
    public Task ExitSharedWithSuccess_UnmapsUnderTheTestThatTellsThemApart() => Verifier.CodeFix<P2P0022MappingLeakedCodeFix>(
        Usings + Chip + ZcrxMapArea.Replace("%MAP%", "[|" + ZcrxMap + "|]").Replace("%BEFORE%", string.Empty),
        Usings + Chip + ZcrxMapArea.Replace("%MAP%", ZcrxMap).Replace("%BEFORE%", """
                if (ret != 0)
                {
                    Dma.UnmapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice);
                }


        """));

    // The same, where the test that tells them apart was overwritten before the exit: no guard is known there.
    [Fact]
    public Task ExitSharedWithSuccess_TestOverwrittenBeforeTheExit_NoFix() => Verifier.NoCodeFix<P2P0022MappingLeakedCodeFix>(
        Usings + Chip + ZcrxMapArea.Replace("%MAP%", "[|" + ZcrxMap + "|]").Replace("%BEFORE%", """
                if (ret != 0)
                {
                    ret = -14;
                }


        """));

    // nents reassigned after the map: the unmap would not get what the map was given.
    [Fact]
    public Task NentsAssignedAfterTheMap_NoFix() => Verifier.NoCodeFix<P2P0022MappingLeakedCodeFix>(Usings + """
        static class Howto
        {
            static int Submit(PciDevice dev, SgTable sglist, int nents, bool queueFull)
            {
                int count = [|Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice)|];
                if (count == 0)
                {
                    return -12;
                }

                nents = count;
                if (queueFull)
                {
                    return -16;
                }

                Dma.UnmapSg(dev, sglist, nents, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // Found by mutation fuzzing: without its error check the mapping may have failed, and unmapping it then is its own bug
    // (P2P0020 reports the unmap of an unchecked address).
    [Fact]
    public Task MappingNeverChecked_NoFix() => Verifier.NoCodeFix<P2P0022MappingLeakedCodeFix>(Usings + """
        static class Driver
        {
            static int Send(PciDevice dev, KernelBuffer buf, ulong len, bool ringFull, Action<DmaAddr> post)
            {
                DmaAddr a = [|Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice)|];
                if (ringFull)
                {
                    return -16;
                }

                post(a);
                return 0;
            }
        }
        """);

    // A firmware load that maps, lets the device read and returns true: the unmap goes after the last use.
    [Fact]
    public Task SuccessReturnOfALostAddress_UnmapsBeforeIt() => Verifier.CodeFix<P2P0022MappingLeakedCodeFix>(Usings + """
        static class Fw
        {
            static bool LoadBlob(PciDevice dev, KernelBuffer blob, ulong len, P2PDma.Fabric.DmaFabric fabric)
            {
                DmaAddr a = [|Dma.MapSingle(dev, blob, 0, len, DmaDirection.ToDevice)|];
                if (Dma.MappingError(dev, a))
                {
                    return false;
                }

                fabric.Read(dev, a, (int)len);
                return true;
            }
        }
        """, Usings + """
        static class Fw
        {
            static bool LoadBlob(PciDevice dev, KernelBuffer blob, ulong len, P2PDma.Fabric.DmaFabric fabric)
            {
                DmaAddr a = Dma.MapSingle(dev, blob, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a))
                {
                    return false;
                }

                fabric.Read(dev, a, (int)len);
                Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                return true;
            }
        }
        """);

    // The end of a void method has no statement to put the unmap before.
    [Fact]
    public Task EndOfAVoidMethod_NoFix() => Verifier.NoCodeFix<P2P0022MappingLeakedCodeFix>(Usings + """
        static class Fw
        {
            static void LoadBlob(PciDevice dev, KernelBuffer blob, ulong len, P2PDma.Fabric.DmaFabric fabric)
            {
                DmaAddr a = [|Dma.MapSingle(dev, blob, 0, len, DmaDirection.ToDevice)|];
                if (Dma.MappingError(dev, a))
                {
                    return;
                }

                fabric.Read(dev, a, (int)len);
            }
        }
        """);

    // The address kept in a descriptor this function made: the unmap reads it from there.
    [Fact]
    public Task DescriptorDroppedOnRingFull_UnmapsItsAddress() => Verifier.CodeFix<P2P0022MappingLeakedCodeFix>(Usings + """
        sealed class TxDesc { public DmaAddr Addr; public ulong Len; }

        static class Tx
        {
            static int Xmit(PciDevice dev, KernelBuffer frame, ulong len, bool ringFull, Action<TxDesc> post)
            {
                var desc = new TxDesc();
                desc.Addr = [|Dma.MapSingle(dev, frame, 0, len, DmaDirection.ToDevice)|];
                if (Dma.MappingError(dev, desc.Addr))
                {
                    return -12;
                }

                if (ringFull)
                {
                    return -28;
                }

                post(desc);
                return 0;
            }
        }
        """, Usings + """
        sealed class TxDesc { public DmaAddr Addr; public ulong Len; }

        static class Tx
        {
            static int Xmit(PciDevice dev, KernelBuffer frame, ulong len, bool ringFull, Action<TxDesc> post)
            {
                var desc = new TxDesc();
                desc.Addr = Dma.MapSingle(dev, frame, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, desc.Addr))
                {
                    return -12;
                }

                if (ringFull)
                {
                    Dma.UnmapSingle(dev, desc.Addr, len, DmaDirection.ToDevice);
                    return -28;
                }

                post(desc);
                return 0;
            }
        }
        """);

    // An error label shared with the failures before the mapping: the unmap goes before the goto taken with it live, as
    // the cx25821 fix put it, not at the label.
    [Fact]
    public Task SharedErrorLabel_UnmapsBeforeTheGotoTakenWithTheMapping() => Verifier.CodeFix<P2P0022MappingLeakedCodeFix>(Usings + Chip + """
        static class Audio
        {
            static int Init(Chip chip) => chip.Pages > 0 ? 0 : -12;

            static int BuildRisc(Chip chip, int pages) => pages > 0 ? 0 : -22;

            static int HwParams(Chip chip, ref bool busy)
            {
                int ret = Init(chip);
                if (ret < 0)
                    goto error;

                if ([|Dma.MapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice)|] != DmaError.None)
                {
                    ret = -12;
                    goto error;
                }

                ret = BuildRisc(chip, chip.Pages);
                if (ret < 0)
                    goto error;

                busy = true;
                return 0;

            error:
                busy = false;
                return ret;
            }
        }
        """, Usings + Chip + """
        static class Audio
        {
            static int Init(Chip chip) => chip.Pages > 0 ? 0 : -12;

            static int BuildRisc(Chip chip, int pages) => pages > 0 ? 0 : -22;

            static int HwParams(Chip chip, ref bool busy)
            {
                int ret = Init(chip);
                if (ret < 0)
                    goto error;

                if (Dma.MapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice) != DmaError.None)
                {
                    ret = -12;
                    goto error;
                }

                ret = BuildRisc(chip, chip.Pages);
                if (ret < 0)
                {
                    Dma.UnmapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice);
                    goto error;
                }

                busy = true;
                return 0;

            error:
                busy = false;
                return ret;
            }
        }
        """);

    private const string HwParams = """
        static class Audio
        {
            static int BuildRisc(Chip chip, int pages) => pages > 0 ? 0 : -22;

            static int HwParams(Chip chip, bool useDma)
            {
                int ret;
                if (useDma)
                {
                    if ([|Dma.MapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice)|] != DmaError.None)
                    {
                        return -12;
                    }
                }

                %REASSIGN%ret = BuildRisc(chip, chip.Pages);
                if (ret < 0)
                    goto error;

                return 0;

            error:
                return ret;
            }
        }
        """;

    // A goto reached both with the mapping and without it: an unmap before it would unmap what was never mapped, so the
    // unmap at the label goes under the test the mapping was made under.
    [Fact]
    public Task GotoTakenWithAndWithoutTheMapping_UnmapsAtTheLabelUnderTheMapsTest() => Verifier.CodeFix<P2P0022MappingLeakedCodeFix>(Usings + Chip + HwParams.Replace("%REASSIGN%", string.Empty), Usings + Chip + """
        static class Audio
        {
            static int BuildRisc(Chip chip, int pages) => pages > 0 ? 0 : -22;

            static int HwParams(Chip chip, bool useDma)
            {
                int ret;
                if (useDma)
                {
                    if (Dma.MapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice) != DmaError.None)
                    {
                        return -12;
                    }
                }

                ret = BuildRisc(chip, chip.Pages);
                if (ret < 0)
                    goto error;

                return 0;

            error:
                if (useDma)
                {
                    Dma.UnmapSgTable(chip.Dev, chip.Sg, DmaDirection.FromDevice);
                }

                return ret;
            }
        }
        """);

    // The flag the mapping was made under is assigned after it: whether it still says so at the label is not known.
    [Fact]
    public Task GotoTakenWithAndWithoutTheMapping_FlagReassigned_NoFix() => Verifier.NoCodeFix<P2P0022MappingLeakedCodeFix>(Usings + Chip + HwParams
        .Replace("%REASSIGN%", "useDma = chip.Pages > 4;\n            "));

    // sahara_aes_process before 2dba8e1d1a79: the timeout return leaves what sahara_hw_descriptor_create mapped; the unmaps
    // the function makes after the test are made before the return too (the fix moved them above the test).
    [Fact]
    public Task SaharaAesProcessTimeout_UnmapsWhatTheHelperMappedBeforeReturning() => Verifier.CodeFix<P2P0022MappingLeakedCodeFix>(
        Usings + P2PAnalyzers.Tests.Rules.P2P0022Tests.SaharaHelper + """
        static partial class Sahara
        {
            static int AesProcess(SaharaDev dev)
            {
                int ret = [|HwDescriptorCreate(dev)|];
                if (ret != 0)
                {
                    return -22;
                }

                if (!WaitForCompletionTimeout(dev))
                {
                    // dev_err(dev->device, "AES timeout\n");
                    return -110;
                }

                Dma.UnmapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, Usings + P2PAnalyzers.Tests.Rules.P2P0022Tests.SaharaHelper + """
        static partial class Sahara
        {
            static int AesProcess(SaharaDev dev)
            {
                int ret = HwDescriptorCreate(dev);
                if (ret != 0)
                {
                    return -22;
                }

                if (!WaitForCompletionTimeout(dev))
                {
                    // dev_err(dev->device, "AES timeout\n");
                    Dma.UnmapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                    Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                    return -110;
                }

                Dma.UnmapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    internal const string ShaHelpers = """
        sealed class ShaDev
        {
            public PciDevice Device = null!;
            public SgTable InSg = null!;
            public int NbInSg;
            public uint[] LinkP = new uint[16];
            public bool Completed;
        }

        sealed class ShaReqctx { public SgTable InSg = null!; public int SgInIdx; public bool First; }

        static partial class Sha
        {
            // sahara_sha_hw_links_create: maps dev->in_sg and returns the next link index, or an errno
            static int HwLinksCreate(ShaDev dev, ShaReqctx rctx, int start)
            {
                dev.InSg = rctx.InSg;
                int ret = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -14;
                }

                int i;
                for (i = start; i < start + ret; i++)
                {
                    dev.LinkP[i] = (uint)dev.InSg[i - start].DmaAddress.Raw;
                }

                return i;
            }

            // sahara_sha_hw_data_descriptor_create: passes the links' error on; sg_in_idx marks that they were made
            static int HwDataDescriptorCreate(ShaDev dev, ShaReqctx rctx, int index)
            {
                int i = HwLinksCreate(dev, rctx, index);
                rctx.SgInIdx = index;
                if (i < 0)
                {
                    return i;
                }

                return 0;
            }

            static bool WaitForCompletionTimeout(ShaDev dev) => dev.Completed;
        }

        """;

    // sahara_sha_process before 2dba8e1d1a79: the timeout return leaves what the links helper mapped, two helpers deep;
    // the function's unmap under the sg_in_idx mark is made before the return too (the fix moved it above the test).
    [Fact]
    public Task SaharaShaProcessTimeout_UnmapsUnderTheMarkBeforeReturning() => Verifier.CodeFix<P2P0022MappingLeakedCodeFix>(
        Usings + ShaHelpers + """
        static partial class Sha
        {
            static int Process(ShaDev dev, ShaReqctx rctx)
            {
                if (rctx.First)
                {
                    [|HwDataDescriptorCreate(dev, rctx, 0)|];
                    rctx.First = false;
                }
                else
                {
                    [|HwDataDescriptorCreate(dev, rctx, 1)|];
                }

                if (!WaitForCompletionTimeout(dev))
                {
                    // dev_err(dev->device, "SHA timeout\n");
                    return -110;
                }

                if (rctx.SgInIdx != 0)
                {
                    Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                }

                return 0;
            }
        }
        """, Usings + ShaHelpers + """
        static partial class Sha
        {
            static int Process(ShaDev dev, ShaReqctx rctx)
            {
                if (rctx.First)
                {
                    HwDataDescriptorCreate(dev, rctx, 0);
                    rctx.First = false;
                }
                else
                {
                    HwDataDescriptorCreate(dev, rctx, 1);
                }

                if (!WaitForCompletionTimeout(dev))
                {
                    // dev_err(dev->device, "SHA timeout\n");
                    if (rctx.SgInIdx != 0)
                    {
                        Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                    }

                    return -110;
                }

                if (rctx.SgInIdx != 0)
                {
                    Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                }

                return 0;
            }
        }
        """);

    // The leaking test reads the helper's result too (`ret != 0 || !done`): on the path where the helper failed, the
    // unmap copied before the return would unmap a list never mapped (found in review): no fix.
    [Fact]
    public Task ExitTestReadsTheHelpersResult_NoFix() => Verifier.NoCodeFix<P2P0022MappingLeakedCodeFix>(Usings + """
        sealed class Dev { public PciDevice Device = null!; public SgTable InSg = null!; public int NbInSg; public bool Completed; }

        static class Xfer
        {
            // refuses too long a list before mapping (sahara's SAHARA_MAX_HW_LINK)
            static int Create(Dev dev)
            {
                if (dev.NbInSg > 2)
                {
                    return -22;
                }

                int n = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                if (n == 0)
                {
                    return -12;
                }

                return 0;
            }

            static int Process(Dev dev)
            {
                int ret = [|Create(dev)|];
                if (ret != 0 || !dev.Completed)
                {
                    return -110;
                }

                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);
}
