using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0023UseAfterUnmapAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// P2P0023's fix removes the redundant one of two unmaps: the earlier one where every path from it reaches the reported
/// one (the Amlogic A4 fix), else the reported one where every path to it has unmapped already; a map call's failure
/// that jumps to the unmap leaves past it; it declines for a sync or a device use after the unmap, and where the two
/// unmaps differ.
/// </summary>
public sealed class P2P0023CodeFixTests
{
    private const string Usings = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    private const string Sfc = """
        sealed class AmlSfc
        {
            public PciDevice Dev = null!;
            public DmaAddr Daddr;
            public DmaAddr Iaddr;
        }

        """;

    // aml_sfc_dma_buffer_setup with the first hunk of the fix applied: the inline unmap before `goto out_map_data` goes,
    // the label's unmap stays (the second hunk, as merged).
    [Fact]
    public Task AmlSfcInlineUnmapBeforeTheLabel_TheInlineUnmapGoes() => Verifier.CodeFix<P2P0023UseAfterUnmapCodeFix>(Usings + Sfc + """
        static class SpiAmlogicSpifcA4
        {
            static int RegmapWrite(AmlSfc sfc, uint cmd) => cmd == 0 ? -5 : 0;

            static int Setup(AmlSfc sfc, KernelBuffer databuf, ulong datalen, KernelBuffer? infobuf, ulong infolen, DmaDirection dir)
            {
                int ret = 0;
                sfc.Daddr = Dma.MapSingle(sfc.Dev, databuf, 0, datalen, dir);
                if (Dma.MappingError(sfc.Dev, sfc.Daddr))
                {
                    return -12;
                }

                ret = RegmapWrite(sfc, 0x8000u | (uint)(sfc.Daddr.Raw & 0xffff));
                if (ret != 0)
                    goto out_map_data;

                if (infobuf != null)
                {
                    sfc.Iaddr = Dma.MapSingle(sfc.Dev, infobuf, 0, infolen, dir);
                    if (Dma.MappingError(sfc.Dev, sfc.Iaddr))
                    {
                        Console.Error.WriteLine("DMA mapping error");
                        ret = -12;
                        // the data buffer goes too
                        Dma.UnmapSingle(sfc.Dev, sfc.Daddr, datalen, dir);
                        goto out_map_data;
                    }
                }

                return 0;

            out_map_data:
                [|Dma.UnmapSingle(sfc.Dev, sfc.Daddr, datalen, dir)|];
                return ret;
            }
        }
        """, Usings + Sfc + """
        static class SpiAmlogicSpifcA4
        {
            static int RegmapWrite(AmlSfc sfc, uint cmd) => cmd == 0 ? -5 : 0;

            static int Setup(AmlSfc sfc, KernelBuffer databuf, ulong datalen, KernelBuffer? infobuf, ulong infolen, DmaDirection dir)
            {
                int ret = 0;
                sfc.Daddr = Dma.MapSingle(sfc.Dev, databuf, 0, datalen, dir);
                if (Dma.MappingError(sfc.Dev, sfc.Daddr))
                {
                    return -12;
                }

                ret = RegmapWrite(sfc, 0x8000u | (uint)(sfc.Daddr.Raw & 0xffff));
                if (ret != 0)
                    goto out_map_data;

                if (infobuf != null)
                {
                    sfc.Iaddr = Dma.MapSingle(sfc.Dev, infobuf, 0, infolen, dir);
                    if (Dma.MappingError(sfc.Dev, sfc.Iaddr))
                    {
                        Console.Error.WriteLine("DMA mapping error");
                        ret = -12;
                        // the data buffer goes too
                        goto out_map_data;
                    }
                }

                return 0;

            out_map_data:
                Dma.UnmapSingle(sfc.Dev, sfc.Daddr, datalen, dir);
                return ret;
            }
        }
        """);

    // Every path to the label's unmap arrives unmapped: that unmap goes, its label stays.
    [Fact]
    public Task UnmapUnderALabelReachedOnlyUnmapped_LeavesTheLabel() => Verifier.CodeFix<P2P0023UseAfterUnmapCodeFix>(Usings + """
        static class Tx
        {
            static int Send(PciDevice dev, KernelBuffer buf, ulong len, bool ok)
            {
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a))
                {
                    return -12;
                }

                Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                if (ok)
                {
                    return 0;
                }

                goto out_err;

            out_err:
                [|Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice)|];
                return -5;
            }
        }
        """, Usings + """
        static class Tx
        {
            static int Send(PciDevice dev, KernelBuffer buf, ulong len, bool ok)
            {
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a))
                {
                    return -12;
                }

                Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                if (ok)
                {
                    return 0;
                }

                goto out_err;

            out_err:
                ;
                return -5;
            }
        }
        """);

    // Unmapped on one branch, then by the code both branches reach: the branch's unmap goes.
    [Fact]
    public Task UnmapOnOneBranchThenAfter_TheBranchUnmapGoes() => Verifier.CodeFix<P2P0023UseAfterUnmapCodeFix>(Usings + """
        static class Tx
        {
            static void Send(PciDevice dev, KernelBuffer buf, ulong len, bool shortFrame)
            {
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a))
                {
                    return;
                }

                if (shortFrame)
                {
                    Console.WriteLine("short");
                    Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                }

                [|Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice)|];
            }
        }
        """, Usings + """
        static class Tx
        {
            static void Send(PciDevice dev, KernelBuffer buf, ulong len, bool shortFrame)
            {
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a))
                {
                    return;
                }

                if (shortFrame)
                {
                    Console.WriteLine("short");
                }

                Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
            }
        }
        """);

    // mtip32xx's exec_drive_taskfile after 5173cb814b36 (Mtip32xxTests has the whole function): the failure jumps to
    // abort:, whose `if (outbuf_dma)` lets DMA_MAPPING_ERROR through. The failure clears the address before the jump.
    private const string MtipBefore = """
        static class Mtip
        {
            static int ExecDriveTaskfile(PciDevice dev, KernelBuffer outbuf, uint taskout, Func<DmaAddr, int> issue)
            {
                DmaAddr outbufDma = default;
                int err = 0;
                if (taskout != 0)
                {
                    outbufDma = Dma.MapSingle(dev, outbuf, 0, taskout, DmaDirection.ToDevice);
                    if (Dma.MappingError(dev, outbufDma))
                    {
                        err = -12;
                        goto abort;
                    }
                }

                err = issue(outbufDma);
            abort:
                if (outbufDma.Raw != 0)
                    [|Dma.UnmapSingle(dev, outbufDma, taskout, DmaDirection.ToDevice)|];
                return err;
            }
        }
        """;

    [Fact]
    public Task Mtip32xxFailureToAZeroGuardedUnmap_ClearsTheAddressBeforeTheJump() => Verifier.CodeFix<P2P0023UseAfterUnmapCodeFix>(Usings + MtipBefore,
        Usings + MtipBefore.Replace("[|", string.Empty).Replace("|]", string.Empty)
            .Replace("err = -12;\n                goto abort;", "err = -12;\n                outbufDma = default;\n                goto abort;"));

    // After the label the address is also read without the guard: cleared, it would reach the device as zero.
    [Fact]
    public Task ZeroGuardedUnmapButAnUnguardedReadAfterTheLabel_NoFix() => Verifier.NoCodeFix<P2P0023UseAfterUnmapCodeFix>(Usings + MtipBefore.Replace(
        "return err;", "Console.WriteLine(outbufDma);\n        return err;"));

    // The two unmaps are given different sizes: which one is right is the author's call.
    [Fact]
    public Task UnmapsDiffer_NoFix() => Verifier.NoCodeFix<P2P0023UseAfterUnmapCodeFix>(Usings + """
        static class Tx
        {
            static void Send(PciDevice dev, KernelBuffer buf, ulong len, bool shortFrame)
            {
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a))
                {
                    return;
                }

                if (shortFrame)
                {
                    Dma.UnmapSingle(dev, a, len / 2, DmaDirection.ToDevice);
                }

                [|Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice)|];
            }
        }
        """);

    // A sync after the unmap: move it or drop it, by hand.
    [Fact]
    public Task SyncAfterUnmap_NoFix() => Verifier.NoCodeFix<P2P0023UseAfterUnmapCodeFix>(Usings + """
        static class Rx
        {
            static void Poll(PciDevice dev, KernelBuffer buf, ulong len)
            {
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.FromDevice);
                if (Dma.MappingError(dev, a))
                {
                    return;
                }

                Dma.UnmapSingle(dev, a, len, DmaDirection.FromDevice);
                [|Dma.SyncSingleForCpu(dev, a, len, DmaDirection.FromDevice)|];
            }
        }
        """);

    // The failure edge reaches the label's unmap, which the success paths need: the failure leaves as the label does
    // after the unmap (the Amlogic A4 fix's `return ret;`), and the other jump keeps the unmap.
    [Fact]
    public Task FailureEdgeToASharedLabel_ReturnsPastTheUnmap() => Verifier.CodeFix<P2P0023UseAfterUnmapCodeFix>(Usings + Sfc + """
        static class SpiAmlogicSpifcA4
        {
            static int Setup(AmlSfc sfc, KernelBuffer databuf, ulong datalen, Func<int> write, DmaDirection dir)
            {
                int ret;
                sfc.Daddr = Dma.MapSingle(sfc.Dev, databuf, 0, datalen, dir);
                if (Dma.MappingError(sfc.Dev, sfc.Daddr))
                {
                    ret = -12;
                    goto out_map_data;
                }

                ret = write();
                if (ret != 0)
                {
                    goto out_map_data;
                }

                return 0;

            out_map_data:
                [|Dma.UnmapSingle(sfc.Dev, sfc.Daddr, datalen, dir)|];
                return ret;
            }
        }
        """, Usings + Sfc + """
        static class SpiAmlogicSpifcA4
        {
            static int Setup(AmlSfc sfc, KernelBuffer databuf, ulong datalen, Func<int> write, DmaDirection dir)
            {
                int ret;
                sfc.Daddr = Dma.MapSingle(sfc.Dev, databuf, 0, datalen, dir);
                if (Dma.MappingError(sfc.Dev, sfc.Daddr))
                {
                    ret = -12;
                    return ret;
                }

                ret = write();
                if (ret != 0)
                {
                    goto out_map_data;
                }

                return 0;

            out_map_data:
                Dma.UnmapSingle(sfc.Dev, sfc.Daddr, datalen, dir);
                return ret;
            }
        }
        """);

    // sahara_hw_descriptor_create before its 2023 fix: a failed map of in_sg jumps to unmap_in, which the failed map of
    // out_sg reaches too (rightly: in_sg is mapped then). The first failure returns -EINVAL, as the fix did.
    [Fact]
    public Task SaharaInSgFailureToUnmapIn_ReturnsEinval() => Verifier.CodeFix<P2P0023UseAfterUnmapCodeFix>(Usings + SaharaLists + """
        static class Sahara
        {
            // sahara_hw_descriptor_create, the mapping part
            static int HwDescriptorCreate(SaharaDev dev)
            {
                int ret;

                ret = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    // dev_err(dev->device, "couldn't map in sg\n");
                    goto unmapIn;
                }

                ret = Dma.MapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                if (ret == 0)
                {
                    // dev_err(dev->device, "couldn't map out sg\n");
                    goto unmapIn;
                }

                return 0;

            unmapIn:
                [|Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice)|];
                return -22;
            }
        }
        """, Usings + SaharaLists + """
        static class Sahara
        {
            // sahara_hw_descriptor_create, the mapping part
            static int HwDescriptorCreate(SaharaDev dev)
            {
                int ret;

                ret = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    // dev_err(dev->device, "couldn't map in sg\n");
                    return -22;
                }

                ret = Dma.MapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                if (ret == 0)
                {
                    // dev_err(dev->device, "couldn't map out sg\n");
                    goto unmapIn;
                }

                return 0;

            unmapIn:
                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return -22;
            }
        }
        """);

    // The label's code after the unmap does more than leave (counts the error): no fix.
    [Fact]
    public Task FailureEdgeToALabelThatGoesOn_NoFix() => Verifier.NoCodeFix<P2P0023UseAfterUnmapCodeFix>(Usings + SaharaLists + """
        static class Sahara
        {
            // sahara_hw_descriptor_create, the mapping part
            static int HwDescriptorCreate(SaharaDev dev)
            {
                int ret;

                ret = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    // dev_err(dev->device, "couldn't map in sg\n");
                    goto unmapIn;
                }

                ret = Dma.MapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                if (ret == 0)
                {
                    // dev_err(dev->device, "couldn't map out sg\n");
                    goto unmapIn;
                }

                return 0;

            unmapIn:
                [|Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice)|];
                dev.Errors++;
                return -22;
            }
        }
        """);

    private const string SaharaLists = """
        sealed class SaharaDev
        {
            public PciDevice Device = null!;
            public SgTable InSg = null!, OutSg = null!;
            public int NbInSg, NbOutSg, Errors;
        }

        """;

    // Three unmaps in a row: each after the first is reported, and no one of them is the redundant one to remove.
    [Fact]
    public Task ChainOfUnmaps_BothReported_NoFix() => Verifier.NoCodeFix<P2P0023UseAfterUnmapCodeFix>(Usings + """
        static class Tx
        {
            static void Send(PciDevice dev, KernelBuffer buf, ulong len)
            {
                DmaAddr a = Dma.MapSingle(dev, buf, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, a))
                {
                    return;
                }

                Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice);
                [|Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice)|];
                [|Dma.UnmapSingle(dev, a, len, DmaDirection.ToDevice)|];
            }
        }
        """);

    // A table unmapped on the error branch and again under the same test: the second, reached only unmapped, goes.
    [Fact]
    public Task TableUnmappedTwiceUnderTheSameTest_TheSecondGoes() => Verifier.CodeFix<P2P0023UseAfterUnmapCodeFix>(Usings + """
        static class Exporter
        {
            static int Map(PciDevice dev, SgTable sgt, Func<int> program)
            {
                if (Dma.MapSgTable(dev, sgt, DmaDirection.Bidirectional) != DmaError.None)
                {
                    return -12;
                }

                int ret = program();
                if (ret != 0)
                {
                    Dma.UnmapSgTable(dev, sgt, DmaDirection.Bidirectional);
                }

                if (ret != 0)
                {
                    [|Dma.UnmapSgTable(dev, sgt, DmaDirection.Bidirectional)|];
                }

                return ret;
            }
        }
        """, Usings + """
        static class Exporter
        {
            static int Map(PciDevice dev, SgTable sgt, Func<int> program)
            {
                if (Dma.MapSgTable(dev, sgt, DmaDirection.Bidirectional) != DmaError.None)
                {
                    return -12;
                }

                int ret = program();
                if (ret != 0)
                {
                    Dma.UnmapSgTable(dev, sgt, DmaDirection.Bidirectional);
                }

                if (ret != 0)
                {
                }

                return ret;
            }
        }
        """);

    // A helper that unmaps the table (nvme_unmap_data) also frees what else the request holds: its call is never removed,
    // neither where it is the second unmap nor where it is the first.
    [Fact]
    public Task HelperThenInlineUnmap_NoFix() => Verifier.NoCodeFix<P2P0023UseAfterUnmapCodeFix>(Usings + P2PAnalyzers.Tests.Rules.P2P0023Tests.NvmePci2021 + """
        static partial class NvmePci
        {
            static int Complete(NvmeDev dev, Request req)
            {
                NvmeIod iod = BlkMqRqToPdu(req);
                if (Dma.LegacyMapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir) == 0)
                {
                    return BlkStsResource;
                }

                NvmeUnmapData(dev, req);
                [|Dma.LegacyUnmapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir)|];
                return BlkStsOk;
            }

            static int Abort(NvmeDev dev, Request req)
            {
                NvmeIod iod = BlkMqRqToPdu(req);
                if (Dma.LegacyMapSg(dev.Dev, iod.Sg, iod.Nents, req.Dir) == 0)
                {
                    [|NvmeUnmapData(dev, req)|];
                    return BlkStsResource;
                }

                return BlkStsOk;
            }
        }
        """);

    // rk_hash_run: a failed rk_hash_prepare goes to theend, whose rk_hash_unprepare unmaps the list never mapped; the
    // completion at the label must still run, so the unprepare runs only where the prepare mapped.
    [Fact]
    public Task RkHashRunPrepareFailure_UnpreparesOnlyWhereItMapped() => Verifier.CodeFix<P2P0023UseAfterUnmapCodeFix>(
        P2PAnalyzers.Tests.Rules.P2P0023Tests.Usings + P2PAnalyzers.Tests.Rules.P2P0023Tests.RkHelpers + """
        static partial class RkHash
        {
            static int Run(HashRequest areq)
            {
                int err = Prepare(areq);
                if (err != 0)
                {
                    goto theend;
                }

                areq.Rctx.Dev.Nreq++;

            theend:
                Finalize(areq, err);
                [|Unprepare(areq)|];
                return 0;
            }
        }
        """, P2PAnalyzers.Tests.Rules.P2P0023Tests.Usings + P2PAnalyzers.Tests.Rules.P2P0023Tests.RkHelpers + """
        static partial class RkHash
        {
            static int Run(HashRequest areq)
            {
                bool mapped = false;
                int err = Prepare(areq);
                if (err != 0)
                {
                    goto theend;
                }

                mapped = true;
                areq.Rctx.Dev.Nreq++;

            theend:
                Finalize(areq, err);
                if (mapped)
                {
                    Unprepare(areq);
                }
                return 0;
            }
        }
        """);

    // A goto ahead of the prepare reaches the same label: the table may be mapped by whoever sent it there, so a flag set
    // only by this prepare could leak it.
    [Fact]
    public Task LabelAlsoReachedBeforeThePrepare_NoFix() => Verifier.NoCodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0023UseAfterUnmapCodeFix>(
        P2PAnalyzers.Tests.Rules.P2P0023Tests.Usings + P2PAnalyzers.Tests.Rules.P2P0023Tests.RkHelpers + """
        static partial class RkHash
        {
            static int Run(HashRequest areq, bool premapped)
            {
                int err = 0;
                if (premapped)
                {
                    goto theend;
                }

                err = Prepare(areq);
                if (err != 0)
                {
                    goto theend;
                }

                areq.Rctx.Dev.Nreq++;

            theend:
                Finalize(areq, err);
                [|Unprepare(areq)|];
                return 0;
            }
        }
        """);
}
