using Microsoft.CodeAnalysis.Testing;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0024ScatterlistCountConfusionAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0024: an sg unmap or sync given the DMA segment count Dma.MapSg returned instead of the nents given to it. The
/// positives are the kernel functions fixed for exactly this (2025, "Fix dma_unmap_sg() nents value"), split as the
/// kernel splits them; the negatives are the DMA API documentation's own examples and the fixed drivers.
/// </summary>
public sealed class P2P0024Tests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    // The mmc core's request data (struct mmc_data), shared by the mmc host drivers below.
    private const string MmcData = """
        class MmcData
        {
            public SgTable Sg = SgTable.Alloc(1);
            public int SgLen;
            public bool Read;
            public DmaDirection Dir => Read ? DmaDirection.FromDevice : DmaDirection.ToDevice;
        }

        """;

    private static DiagnosticResult Count(string call, string nents, string origin) => Count(0, call, nents, origin);

    private static DiagnosticResult Count(int location, string call, string nents, string origin) =>
        Verifier.Diagnostic("P2P0024").WithLocation(location).WithLocation(1).WithArguments(
            $"{call} is given '{nents}' as nents, the DMA segment count returned by {origin}", "unmap and sync take the nents given to the map call");

    private static DiagnosticResult Beyond(string what) =>
        Verifier.Diagnostic("P2P0024").WithLocation(0).WithLocation(1).WithArguments(
            what, "only the first entries, as many as the DMA segment count it returned, hold DMA addresses (for_each_sg over that count)");

    // ---------------------------------------------------------------- the kernel's fixes

    [Fact]
    public Task MvsdSetupData_KeepsSgFrags_MvsdFinishDataUnmapsWithIt_Reports() => Verifier.Analyzer(Usings + MmcData + """
        class MvsdHost
        {
            public PciDevice Dev = null!;
            public int SgFrags;
            public uint SysAddrLow, SysAddrHi;
        }

        static class Mvsdio
        {
            // mvsd_setup_data: host->sg_frags = dma_map_sg(mmc_dev(host->mmc), data->sg, data->sg_len, dir)
            static int MvsdSetupData(MvsdHost host, MmcData data)
            {
                {|#2:host.SgFrags = {|#1:Dma.MapSg(host.Dev, data.Sg, data.SgLen, data.Dir)|}|};
                DmaAddr physAddr = data.Sg[0].DmaAddress;
                host.SysAddrLow = (uint)physAddr.Raw & 0xffff;
                host.SysAddrHi = (uint)(physAddr.Raw >> 16);
                return 0;
            }

            // mvsd_finish_data, run from the interrupt handler when the transfer completes
            static uint MvsdFinishData(MvsdHost host, MmcData data, uint errStatus)
            {
                Dma.UnmapSg(host.Dev, data.Sg, {|#0:host.SgFrags|}, data.Dir);
                return errStatus;
            }
        }
        """,
        Count("Dma.UnmapSg", "host.SgFrags", "Dma.MapSg, stored into MvsdHost.SgFrags in MvsdSetupData").WithLocation(2));

    // cx25821_alsa_dma_map keeps the count in buf->sglen and cx25821_alsa_dma_unmap unmapped with it, until "media: pci:
    // fix common ALSA DMA-mapping related codes" (2020, Marek Szyprowski's series; cx23885, cx88 and saa7134 the same).
    [Fact]
    public Task Cx25821AlsaDmaUnmap_UnmapsWithTheSglenCx25821AlsaDmaMapKept_Reports() => Verifier.Analyzer(Usings + """
        class Cx25821AudioBuffer
        {
            public SgTable Sglist = SgTable.Alloc(1);
            public int Sglen;
            public int NrPages;
        }

        class Cx25821AudioDev
        {
            public PciDevice Pci = null!;
            public Cx25821AudioBuffer Buf = new();
        }

        static class Cx25821Alsa
        {
            // cx25821_alsa_dma_map
            static int DmaMap(Cx25821AudioDev dev)
            {
                Cx25821AudioBuffer buf = dev.Buf;
                {|#2:buf.Sglen = {|#1:Dma.MapSg(dev.Pci, buf.Sglist, buf.NrPages, DmaDirection.FromDevice)|}|};
                if (buf.Sglen == 0)
                {
                    return -12;
                }

                return 0;
            }

            // cx25821_alsa_dma_unmap
            static int DmaUnmap(Cx25821AudioDev dev)
            {
                Cx25821AudioBuffer buf = dev.Buf;
                if (buf.Sglen == 0)
                {
                    return 0;
                }

                Dma.UnmapSg(dev.Pci, buf.Sglist, {|#0:buf.Sglen|}, DmaDirection.FromDevice);
                buf.Sglen = 0;
                return 0;
            }
        }
        """,
        Count("Dma.UnmapSg", "buf.Sglen", "Dma.MapSg, stored into Cx25821AudioBuffer.Sglen in DmaMap").WithLocation(2));

    [Fact]
    public Task Bcm2835PrepareDma_UnmapsWithSgLenOnPrepFailure_Reports() => Verifier.Analyzer(Usings + MmcData + """
        class DmaChan
        {
            public PciDevice Dev = null!;
            public object? PrepSlaveSg(SgTable sg, int sgLen) => sgLen > 0 ? new object() : null;
        }

        class Bcm2835Host
        {
            public DmaChan DmaChan = null!;
            public object? DmaDesc;

            // bcm2835_prepare_dma
            public void PrepareDma(MmcData data)
            {
                int sgLen = {|#1:Dma.MapSg(DmaChan.Dev, data.Sg, data.SgLen, data.Dir)|};
                if (sgLen == 0)
                {
                    return;
                }

                object? desc = DmaChan.PrepSlaveSg(data.Sg, sgLen);
                if (desc is null)
                {
                    Dma.UnmapSg(DmaChan.Dev, data.Sg, {|#0:sgLen|}, data.Dir);
                    return;
                }

                DmaDesc = desc;
            }
        }
        """,
        Count("Dma.UnmapSg", "sgLen", "Dma.MapSg"));

    private const string SasTask = """
        class SasTask
        {
            public SgTable Scatter = SgTable.Alloc(1);
            public int NumScatter;
            public DmaDirection DataDir;
            public bool Ata;
            public MvsSlotInfo? LlddTask;
        }

        class MvsSlotInfo
        {
            public int NElem;
            public SasTask? Task;
        }

        class MvsInfo
        {
            public PciDevice Dev = null!;
            public MvsSlotInfo[] SlotInfo = new MvsSlotInfo[64];
        }

        """;

    [Fact]
    public Task MvsTaskPrep_UnmapsWithNElemOnError_Reports() => Verifier.Analyzer(Usings + SasTask + """
        static class MvSas
        {
            // mvs_task_prep: the unwinding error path at err_out
            static int MvsTaskPrep(SasTask task, MvsInfo mvi, int tag)
            {
                int nElem = 0;
                int rc = 0;
                if (!task.Ata)
                {
                    if (task.NumScatter != 0)
                    {
                        nElem = {|#1:Dma.MapSg(mvi.Dev, task.Scatter, task.NumScatter, task.DataDir)|};
                        if (nElem == 0)
                        {
                            return -12;
                        }
                    }
                }

                MvsSlotInfo slot = mvi.SlotInfo[tag];
                if (slot is null)
                {
                    rc = -16;
                    goto err_out;
                }

                slot.NElem = nElem;
                slot.Task = task;
                task.LlddTask = slot;
                return 0;

            err_out:
                if (!task.Ata && nElem != 0)
                {
                    Dma.UnmapSg(mvi.Dev, task.Scatter, {|#0:nElem|}, task.DataDir);
                }

                return rc;
            }
        }
        """,
        Count("Dma.UnmapSg", "nElem", "Dma.MapSg"));

    [Fact]
    public Task MvsSlotTaskFree_UnmapsWithSlotNElem_Reports() => Verifier.Analyzer(Usings + SasTask + """
        static class MvSas
        {
            // mvs_task_prep keeps the count in the slot ...
            static int MvsTaskPrep(SasTask task, MvsInfo mvi, int tag)
            {
                int nElem = 0;
                if (!task.Ata && task.NumScatter != 0)
                {
                    nElem = {|#1:Dma.MapSg(mvi.Dev, task.Scatter, task.NumScatter, task.DataDir)|};
                    if (nElem == 0)
                    {
                        return -12;
                    }
                }

                MvsSlotInfo slot = mvi.SlotInfo[tag];
                {|#2:slot.NElem = nElem|};
                slot.Task = task;
                task.LlddTask = slot;
                return 0;
            }

            // ... and mvs_slot_task_free, on completion or abort, unmaps with it
            static void MvsSlotTaskFree(MvsInfo mvi, SasTask task, MvsSlotInfo slot, int slotIdx)
            {
                if (!task.Ata && slot.NElem != 0)
                {
                    Dma.UnmapSg(mvi.Dev, task.Scatter, {|#0:slot.NElem|}, task.DataDir);
                }

                slot.NElem = 0;
                slot.Task = null;
                task.LlddTask = null;
            }
        }
        """,
        Count("Dma.UnmapSg", "slot.NElem", "Dma.MapSg, stored into MvsSlotInfo.NElem in MvsTaskPrep").WithLocation(2));

    [Fact]
    public Task SgTableNentsOverwrittenWithTheCount_UnmapAndSyncWithNents_Report() => Verifier.Analyzer(Usings + """
        // The struct sg_table drivers Marek Szyprowski's 2020 series fixed: sgt->nents = dma_map_sg(.., sgt->orig_nents, ..)
        // then dma_sync_sg_for_device / dma_unmap_sg with sgt->nents.
        class Vb2DmaSgBuf
        {
            public PciDevice Dev = null!;
            public DmaDirection DmaDir;

            public void MapAndSync(SgTable sgt)
            {
                sgt.Nents = {|#1:Dma.MapSg(Dev, sgt, sgt.OrigNents, DmaDir)|};
                if (sgt.Nents == 0)
                {
                    return;
                }

                Dma.SyncSgForDevice(Dev, sgt, {|#0:sgt.Nents|}, DmaDir);
                Dma.UnmapSg(Dev, sgt, {|#2:sgt.Nents|}, DmaDir);
            }
        }
        """,
        Count("Dma.SyncSgForDevice", "sgt.Nents", "Dma.MapSg"),
        Count(2, "Dma.UnmapSg", "sgt.Nents", "Dma.MapSg"));

    [Fact]
    public Task LegacyMapSgCount_GivenToLegacyUnmapSg_Reports() => Verifier.Analyzer(Usings + """
        static class OldDriver
        {
            static void Io(PciDevice dev, SgTable sg, int nents)
            {
                int count = {|#1:Dma.LegacyMapSg(dev, sg, nents, DmaDirection.ToDevice)|};
                Dma.LegacyUnmapSg(dev, sg, {|#0:count|}, DmaDirection.ToDevice);
            }
        }
        """,
        Count("Dma.LegacyUnmapSg", "count", "Dma.LegacyMapSg"));

    [Fact]
    public Task CountReassignedIntoNents_UnmapWithNents_Reports() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            // nents = dma_map_sg(dev, sg, nents, dir): the original count is gone when the unmap needs it.
            static void Io(PciDevice dev, SgTable sg, int nents)
            {
                nents = {|#1:Dma.MapSg(dev, sg, nents, DmaDirection.FromDevice)|};
                Dma.UnmapSg(dev, sg, {|#0:nents|}, DmaDirection.FromDevice);
            }
        }
        """,
        Count("Dma.UnmapSg", "nents", "Dma.MapSg"));

    // ---------------------------------------------------------------- flow

    [Fact]
    public Task CountOnOneBranch_NentsOnTheOther_Reports() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            static void Io(PciDevice dev, SgTable sg, int nents, bool merged)
            {
                int mapped = {|#1:Dma.MapSg(dev, sg, nents, DmaDirection.ToDevice)|};
                int n = merged ? mapped : nents;
                Dma.UnmapSg(dev, sg, {|#0:n|}, DmaDirection.ToDevice);
            }
        }
        """,
        Count("Dma.UnmapSg", "n", "Dma.MapSg"));

    [Fact]
    public Task CountKeptPerRequestInALoop_UnmappedInFinally_Reports() => Verifier.Analyzer(Usings + """
        class Req
        {
            public SgTable Sg = SgTable.Alloc(4);
            public int Nents = 4;
            public int Mapped;
        }

        static class Driver
        {
            static void Run(PciDevice dev, Req[] reqs)
            {
                foreach (Req rq in reqs)
                {
                    try
                    {
                        rq.Mapped = {|#1:Dma.MapSg(dev, rq.Sg, rq.Nents, DmaDirection.FromDevice)|};
                    }
                    finally
                    {
                        Dma.UnmapSg(dev, rq.Sg, {|#0:rq.Mapped|}, DmaDirection.FromDevice);
                    }
                }
            }
        }
        """,
        Count("Dma.UnmapSg", "rq.Mapped", "Dma.MapSg"));

    // ---------------------------------------------------------------- correct code

    [Fact]
    public Task DmaApiHowtoExample_IteratesTheCountAndUnmapsWithNents_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Howto
        {
            // Documentation/core-api/dma-api-howto.rst: count = dma_map_sg(dev, sglist, nents, direction);
            // for_each_sg(sglist, sg, count, i) { hw_address[i] = sg_dma_address(sg); ... }
            static void Io(PciDevice dev, SgTable sglist, int nents, ulong[] hwAddress)
            {
                int count = Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return;
                }

                for (int i = 0; i < count; i++)
                {
                    hwAddress[i] = sglist[i].DmaAddress.Raw;
                }

                Dma.SyncSgForCpu(dev, sglist, nents, DmaDirection.ToDevice);
                Dma.UnmapSg(dev, sglist, nents, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task MvsdFinishData_AsFixed_UnmapsWithDataSgLen_NoDiagnostic() => Verifier.Analyzer(Usings + MmcData + """
        class MvsdHost
        {
            public PciDevice Dev = null!;
            public int SgFrags;
        }

        static class Mvsdio
        {
            static int MvsdSetupData(MvsdHost host, MmcData data)
            {
                host.SgFrags = Dma.MapSg(host.Dev, data.Sg, data.SgLen, data.Dir);
                return host.SgFrags == 0 ? -12 : 0;
            }

            static uint MvsdFinishData(MvsdHost host, MmcData data, uint errStatus)
            {
                Dma.UnmapSg(host.Dev, data.Sg, data.SgLen, data.Dir);
                return errStatus;
            }
        }
        """);

    [Fact]
    public Task CountHandedToTheEngineThatWalksSegments_NoDiagnostic() => Verifier.Analyzer(Usings + """
        // dmaengine_prep_slave_sg(chan, sg, sg_len, ...) walks the DMA segments: the count is what it wants.
        static class Engine
        {
            static object? PrepSlaveSg(SgTable sg, int segments) => segments > 0 ? sg : null;

            static void Io(PciDevice dev, SgTable sg, int nents)
            {
                int segments = Dma.MapSg(dev, sg, nents, DmaDirection.ToDevice);
                if (PrepSlaveSg(sg, segments) is null)
                {
                    Dma.UnmapSg(dev, sg, nents, DmaDirection.ToDevice);
                }
            }
        }
        """);

    [Fact]
    public Task CountReplacedByNentsBeforeTheUnmap_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            static void Io(PciDevice dev, SgTable sg, int nents, bool merged)
            {
                int n = Dma.MapSg(dev, sg, nents, DmaDirection.ToDevice);
                if (n == 0)
                {
                    return;
                }

                n = nents;
                Dma.UnmapSg(dev, sg, n, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task SgTableApi_MapSgTableAndUnmapSgTable_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            static void Io(PciDevice dev, SgTable sgt)
            {
                if (Dma.MapSgTable(dev, sgt, DmaDirection.ToDevice) != DmaError.None)
                {
                    return;
                }

                Dma.SyncSgTableForCpu(dev, sgt, DmaDirection.ToDevice);
                Dma.UnmapSgTable(dev, sgt, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task FieldKeepsNentsBesideTheCount_UnmapWithNents_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Request
        {
            public SgTable Sg = SgTable.Alloc(4);
            public int Nents;
            public int Mapped;
        }

        class Queue
        {
            PciDevice _dev = null!;

            public void Submit(Request rq, int nents)
            {
                rq.Nents = nents;
                rq.Mapped = Dma.MapSg(_dev, rq.Sg, nents, DmaDirection.ToDevice);
            }

            public void Complete(Request rq) => Dma.UnmapSg(_dev, rq.Sg, rq.Nents, DmaDirection.ToDevice);
        }
        """);

    // ---------------------------------------------------------------- DMA addresses read past the count

    // Documentation/core-api/dma-api-howto.rst, "Using Streaming DMA mappings": the loop over the count dma_map_sg
    // returned, as written, and with the nents it was given instead (the misuse DRM's 2020 "struct sg_table nents vs.
    // orig_nents misuse" series removed from a dozen drivers: "ignoring the number of mapped entries returned by the
    // dma_map_sg() function").
    private const string Hw = """
        sealed class HwDesc { public DmaAddr[] Address = new DmaAddr[16]; public ulong[] Len = new ulong[16]; }

        """;

    [Fact]
    public Task DmaApiHowtoLoop_OverTheNentsGiven_Reports() => Verifier.Analyzer(Usings + Hw + """
        static class Howto
        {
            static int Program(PciDevice dev, SgTable sglist, int nents, HwDesc hw)
            {
                int count = {|#1:Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice)|};
                if (count == 0)
                {
                    return -12;
                }

                for (int i = 0; i < {|#0:nents|}; i++)
                {
                    hw.Address[i] = sglist[i].DmaAddress;
                    hw.Len[i] = sglist[i].DmaLength;
                }

                return count;
            }
        }
        """, Beyond("the loop reads DMA addresses of 'sglist' up to 'nents', the entry count given to Dma.MapSg"));

    [Fact]
    public Task DmaApiHowtoLoop_AsWritten_OverTheCount_NoDiagnostic() => Verifier.Analyzer(Usings + Hw + """
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
                    hw.Len[i] = sglist[i].DmaLength;
                }

                return count;
            }
        }
        """);

    // The count stored back into the variable that held the nents (`nents = dma_map_sg(dev, sg, nents, dir)`).
    [Fact]
    public Task CountStoredBackIntoNents_NoDiagnostic() => Verifier.Analyzer(Usings + Hw + """
        static class Howto
        {
            static int Program(PciDevice dev, SgTable sglist, int nents, HwDesc hw)
            {
                nents = Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice);
                if (nents == 0)
                {
                    return -12;
                }

                for (int i = 0; i < nents; i++)
                {
                    hw.Address[i] = sglist[i].DmaAddress;
                }

                return 0;
            }
        }
        """);

    // Every entry of the table, after dma_map_sg (which leaves nents at the entry count), and its DmaSegments likewise.
    [Fact]
    public Task ForEachEntryAfterMapSg_Reports() => Verifier.Analyzer(Usings + Hw + """
        static class Ring
        {
            static int Post(PciDevice dev, SgTable sgt, HwDesc hw)
            {
                int count = {|#1:Dma.MapSg(dev, sgt, sgt.OrigNents, DmaDirection.FromDevice)|};
                if (count == 0)
                {
                    return -12;
                }

                int n = 0;
                foreach (Scatterlist sg in {|#0:sgt.DmaSegments|})
                {
                    hw.Address[n++] = sg.DmaAddress;
                }

                return n;
            }
        }
        """, Beyond("the loop reads DMA addresses of every entry of 'sgt', not only the segments Dma.MapSg returned"));

    // dma_map_sgtable's own bookkeeping written out: Nents set to the count before iterating the DMA segments.
    [Fact]
    public Task DmaSegmentsAfterNentsSetToTheCount_NoDiagnostic() => Verifier.Analyzer(Usings + Hw + """
        static class Ring
        {
            static int Post(PciDevice dev, SgTable sgt, HwDesc hw)
            {
                int count = Dma.MapSg(dev, sgt, sgt.OrigNents, DmaDirection.FromDevice);
                if (count == 0)
                {
                    return -12;
                }

                sgt.Nents = count;
                int n = 0;
                foreach (Scatterlist sg in sgt.DmaSegments)
                {
                    hw.Address[n++] = sg.DmaAddress;
                }

                return n;
            }
        }
        """);

    // The CPU side of every entry (page, length) is fine to walk; so is a table mapped with MapSgTable.
    [Fact]
    public Task CpuSideLoopAndMapSgTable_NoDiagnostic() => Verifier.Analyzer(Usings + Hw + """
        static class Ring
        {
            static int Post(PciDevice dev, SgTable sgt, SgTable other, HwDesc hw)
            {
                int count = Dma.MapSg(dev, sgt, sgt.OrigNents, DmaDirection.FromDevice);
                if (count == 0)
                {
                    return -12;
                }

                ulong total = 0;
                for (int i = 0; i < sgt.OrigNents; i++)
                {
                    total += sgt[i].Length;
                }

                if (Dma.MapSgTable(dev, other, DmaDirection.FromDevice) != DmaError.None)
                {
                    return -12;
                }

                int n = 0;
                foreach (Scatterlist sg in other.DmaSegments)
                {
                    hw.Address[n++] = sg.DmaAddress;
                }

                return (int)total + n;
            }
        }
        """);

    // ---------------------------------------------------------------- walks over a table another method mapped

    // The request keeps the table, its entry count and the count Dma.MapSg returned; submission maps, the SGL builder
    // walks the table with a cursor (isci's sci_request_build_sgl, rockchip's rk_hash_run, sahara's link loops).
    private const string Request = """
        sealed class Request
        {
            public PciDevice Dev = null!;
            public SgTable Sg = null!;
            public int Nents;
            public int Count;
            public HwDesc Hw = new();
        }

        static class Submit
        {
            public static int Map(Request rq)
            {
                rq.Count = {|#1:Dma.MapSg(rq.Dev, rq.Sg, rq.Nents, DmaDirection.ToDevice)|};
                return rq.Count == 0 ? -12 : 0;
            }
        }

        """;

    [Fact]
    public Task CursorWalkToTheEnd_OfATableMappedInAnotherMethod_Reports() => Verifier.Analyzer(Usings + Hw + Request + """
        static class Sgl
        {
            // init_sgl_element: the helper handed the entry reads its DMA side
            static void InitElement(HwDesc hw, int i, Scatterlist sg)
            {
                hw.Address[i] = sg.DmaAddress;
                hw.Len[i] = sg.DmaLength;
            }

            public static void Build(Request rq)
            {
                Scatterlist? sg = rq.Sg[0];
                int i = 0;
                while ({|#0:sg != null|})
                {
                    InitElement(rq.Hw, i++, sg);
                    sg = sg.Next();
                }
            }
        }
        """, Beyond("the loop reads DMA addresses of every entry of 'rq.Sg', not only the segments Dma.MapSg returned"));

    [Fact]
    public Task CursorLoopOverTheNentsField_FromAnOffset_Reports() => Verifier.Analyzer(Usings + Hw + Request + """
        static class Sgl
        {
            public static void Build(Request rq, int start)
            {
                Scatterlist sg = rq.Sg[0];
                for (int j = start; j < {|#0:rq.Nents + start|}; j++)
                {
                    rq.Hw.Address[j] = sg.DmaAddress;
                    if (j < rq.Nents + start - 1)
                    {
                        sg = sg.Next()!;
                    }
                }
            }
        }
        """, Beyond("the loop reads DMA addresses of 'rq.Sg' up to 'rq.Nents + start', the entry count given to Dma.MapSg"));

    [Fact]
    public Task CursorLoopOverTheCountField_NoDiagnostic() => Verifier.Analyzer(Usings + Hw + Request.Replace("{|#1:", "").Replace("|}", "") + """
        static class Sgl
        {
            public static void Build(Request rq)
            {
                Scatterlist sg = rq.Sg[0];
                for (int i = 0; i < rq.Count; i++)
                {
                    rq.Hw.Address[i] = sg.DmaAddress;
                    sg = sg.Next()!;
                }
            }
        }
        """);

    // A walk that reads only the CPU side, or over a table no method maps with a count, reads no DMA address past it.
    [Fact]
    public Task CpuSideWalk_AndWalkOfATableMappedWithMapSgTable_NoDiagnostic() => Verifier.Analyzer(Usings + Hw + Request.Replace("{|#1:", "").Replace("|}", "") + """
        sealed class Table
        {
            public SgTable Sgt = null!;
        }

        static class Sgl
        {
            public static ulong Total(Request rq)
            {
                ulong total = 0;
                for (Scatterlist? sg = rq.Sg[0]; sg != null; sg = sg.Next())
                {
                    total += sg.Length;
                }

                return total;
            }

            public static int MapAll(PciDevice dev, Table t) => (int)Dma.MapSgTable(dev, t.Sgt, DmaDirection.ToDevice);

            public static void Build(Table t, HwDesc hw)
            {
                int i = 0;
                for (Scatterlist? sg = t.Sgt[0]; sg != null; sg = sg.Next())
                {
                    hw.Address[i++] = sg.DmaAddress;
                }
            }
        }
        """);
}
