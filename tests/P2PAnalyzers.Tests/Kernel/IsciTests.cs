namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// isci (drivers/scsi/isci/request.c, Intel C600 SAS controller) before "scsi: isci: Fix dma_unmap_sg() nents value"
/// (2025, 063bec4444d5; Fixes: ddcc7e347a89 "isci: fix dma_unmap_sg usage"). isci_io_request_build() maps the SSP task's
/// scatterlist and keeps what dma_map_sg() returned in request-&gt;num_sg_entries; the task context's SGL is built from
/// the mapped entries (sci_request_build_sgl, through isci_request_ssp_request_construct); when the controller
/// completes the request, isci_request_io_request_complete() (reached from the completion queue processing in host.c)
/// unmaps the task's scatterlist with request-&gt;num_sg_entries, the segment count, instead of task-&gt;num_scatter,
/// the nents given. The fix passes task-&gt;num_scatter. The SMP and STP/SATA construction paths are left out (libsas
/// maps SATA itself; SMP maps and unmaps its one-entry request on its own path).
/// <para>
/// Sites the commit did not fix, present before and after it, marked as the rule pages define them:
/// sci_request_build_sgl() maps the buffer of a task with no scatterlist with dma_map_single() and never asks
/// dma_mapping_error() (P2P0020); it walks every entry of the list (<c>while (sg)</c> over sg_next) reading
/// sg_dma_address/sg_dma_len, not the num_sg_entries segments that were mapped (P2P0024, the loop half); and
/// isci_io_request_build() returns SCI_FAILURE when sci_io_request_construct() fails after the map, with the list still
/// mapped (isci_request_execute() and isci_task_execute_task() only refuse the task: P2P0022).
/// </para>
/// </summary>
public sealed class IsciTests
{
    // Known miss (MissedP2P0022): the count is stored into the request beside the table the task holds, which P2P0022
    // takes for handing the mapping on, and SCI_FAILURE (1) is not an error value it recognises.

    // include/scsi/libsas.h, drivers/scsi/isci/request.h, scu_task_context.h: what the request keeps.
    internal const string Structs = """
        enum SasProtocol { Sata = 0x01, Smp = 0x02, Stp = 0x04, Ssp = 0x08 }

        enum SciStatus { Success = 0, Failure = 1, FailureInsufficientResources = 2 }

        // struct sas_task
        sealed class SasTask
        {
            public SasProtocol TaskProto;
            public SgTable Scatter = null!;
            public KernelBuffer ScatterBuf = null!;  // task->scatter taken as the buffer itself when num_scatter is 0
            public int NumScatter;
            public uint TotalXferLen;
            public DmaDirection DataDir;
        }

        // struct scu_sgl_element, struct scu_sgl_element_pair
        sealed class ScuSglElement { public uint Length, AddressUpper, AddressLower, AddressModifier; }

        sealed class ScuSglElementPair
        {
            public ScuSglElement A = new(), B = new();
            public uint NextPairUpper, NextPairLower;
        }

        // struct scu_task_context (the SGL part)
        sealed class ScuTaskContext
        {
            public uint TransferLengthBytes;
            public uint TaskType;
            public ScuSglElementPair SglPairAb = new(), SglPairCd = new();
        }

        // struct isci_host
        sealed class IsciHost
        {
            public PciDevice Pdev = null!;
            public ulong TcDma;
        }

        // struct isci_request
        sealed class IsciRequest
        {
            public IsciHost IsciHost = null!;
            public SasTask IoTaskPtr = null!;  // ttype_ptr.io_task_ptr
            public ScuTaskContext Tc = new();
            public ScuSglElementPair[] SgTable = new ScuSglElementPair[64];
            public int NumSgEntries;
            public DmaAddr ZeroScatterDaddr;
            public bool DeviceReady;
        }

        """;

    // request.c: building the request (isci_request_execute -> isci_io_request_build).
    internal const string Build = """
        static partial class IsciRequestC
        {
            static SasTask IsciRequestAccessTask(IsciRequest ireq) => ireq.IoTaskPtr;

            static bool SasProtocolAta(SasProtocol proto) => (proto & (SasProtocol.Sata | SasProtocol.Stp)) != 0;

            static uint UpperBits(DmaAddr a) => (uint)(a.Raw >> 32);

            static uint LowerBits(DmaAddr a) => (uint)a.Raw;

            // to_sgl_element_pair
            static ScuSglElementPair? ToSglElementPair(IsciRequest ireq, int idx)
            {
                if (idx == 0)
                {
                    return ireq.Tc.SglPairAb;
                }
                else if (idx == 1)
                {
                    return ireq.Tc.SglPairCd;
                }
                else if (idx < 0)
                {
                    return null;
                }
                else
                {
                    return ireq.SgTable[idx - 2] ??= new ScuSglElementPair();
                }
            }

            // to_sgl_element_pair_dma
            static ulong ToSglElementPairDma(IsciHost ihost, IsciRequest ireq, int idx) => ihost.TcDma + (ulong)idx * 32;

            // init_sgl_element
            static void InitSglElement(ScuSglElement e, Scatterlist sg)
            {
                e.Length = (uint)sg.DmaLength;
                e.AddressUpper = UpperBits(sg.DmaAddress);
                e.AddressLower = LowerBits(sg.DmaAddress);
                e.AddressModifier = 0;
            }

            // sci_request_build_sgl
            static void SciRequestBuildSgl(IsciRequest ireq)
            {
                IsciHost ihost = ireq.IsciHost;
                SasTask task = IsciRequestAccessTask(ireq);
                Scatterlist? sg = null;
                ulong dmaAddr;
                int sgIdx = 0;
                ScuSglElementPair? scuSg = null;
                ScuSglElementPair? prevSg = null;

                if (task.NumScatter > 0)
                {
                    sg = task.Scatter[0];

                    while ({|P2P0024:sg != null|})
                    {
                        scuSg = ToSglElementPair(ireq, sgIdx)!;
                        InitSglElement(scuSg.A, sg);
                        sg = sg.Next();
                        if (sg != null)
                        {
                            InitSglElement(scuSg.B, sg);
                            sg = sg.Next();
                        }
                        else
                        {
                            scuSg.B = new ScuSglElement();  // memset(&scu_sg->B, 0, sizeof(scu_sg->B))
                        }

                        if (prevSg != null)
                        {
                            dmaAddr = ToSglElementPairDma(ihost, ireq, sgIdx);
                            prevSg.NextPairUpper = (uint)(dmaAddr >> 32);
                            prevSg.NextPairLower = (uint)dmaAddr;
                        }

                        prevSg = scuSg;
                        sgIdx++;
                    }
                }
                else
                {
                    // handle when no sg
                    scuSg = ToSglElementPair(ireq, sgIdx)!;

                    DmaAddr dmaHandle = {|P2P0020:Dma.MapSingle(ihost.Pdev, task.ScatterBuf, 0, task.TotalXferLen, task.DataDir)|};

                    ireq.ZeroScatterDaddr = dmaHandle;

                    scuSg.A.Length = task.TotalXferLen;
                    scuSg.A.AddressUpper = UpperBits(dmaHandle);
                    scuSg.A.AddressLower = LowerBits(dmaHandle);
                }

                if (scuSg != null)
                {
                    scuSg.NextPairUpper = 0;
                    scuSg.NextPairLower = 0;
                }
            }

            // scu_ssp_io_request_construct_task_context (the DIF setup left out)
            static void ScuSspIoRequestConstructTaskContext(IsciRequest ireq, DmaDirection dir, uint len)
            {
                ScuTaskContext taskContext = ireq.Tc;
                taskContext.TaskType = dir == DmaDirection.ToDevice ? 1u : 0u;  // SCU_TASK_TYPE_IOWRITE : IOREAD
                taskContext.TransferLengthBytes = len;

                if (taskContext.TransferLengthBytes > 0)
                {
                    SciRequestBuildSgl(ireq);
                }
            }

            // sci_io_request_construct_basic_ssp
            static SciStatus SciIoRequestConstructBasicSsp(IsciRequest ireq)
            {
                SasTask task = IsciRequestAccessTask(ireq);
                ScuSspIoRequestConstructTaskContext(ireq, task.DataDir, task.TotalXferLen);
                return SciStatus.Success;
            }

            // isci_request_ssp_request_construct
            static SciStatus IsciRequestSspRequestConstruct(IsciRequest request) => SciIoRequestConstructBasicSsp(request);

            // sci_io_request_construct: fails when the remote device is not ready
            static SciStatus SciIoRequestConstruct(IsciHost ihost, IsciRequest ireq) =>
                ireq.DeviceReady ? SciStatus.Success : SciStatus.FailureInsufficientResources;

            // isci_io_request_build
            static SciStatus IsciIoRequestBuild(IsciHost ihost, IsciRequest request)
            {
                SciStatus status = SciStatus.Success;
                SasTask task = IsciRequestAccessTask(request);

                // map the sgl addresses, if present.
                // libata does the mapping for sata devices
                // before we get the request.
                if (task.NumScatter != 0 &&
                    !SasProtocolAta(task.TaskProto) &&
                    (SasProtocol.Smp & task.TaskProto) == 0)
                {
                    request.NumSgEntries = {|MissedP2P0022:Dma.MapSg(
                        ihost.Pdev,
                        task.Scatter,
                        task.NumScatter,
                        task.DataDir
                        )|};

                    if (request.NumSgEntries == 0)
                    {
                        return SciStatus.FailureInsufficientResources;
                    }
                }

                status = SciIoRequestConstruct(ihost, request);

                if (status != SciStatus.Success)
                {
                    // dev_dbg(&ihost->pdev->dev, "%s: failed request construct\n", __func__);
                    return SciStatus.Failure;
                }

                switch (task.TaskProto)
                {
                    case SasProtocol.Ssp:
                        status = IsciRequestSspRequestConstruct(request);
                        break;
                    default:
                        // dev_dbg(&ihost->pdev->dev, "%s: unknown protocol\n", __func__);
                        return SciStatus.Failure;
                }

                return SciStatus.Success;
            }

            // isci_request_execute (the part that builds the request)
            public static SciStatus IsciRequestExecute(IsciHost ihost, IsciRequest ireq)
            {
                SciStatus status = IsciIoRequestBuild(ihost, ireq);
                if (status != SciStatus.Success)
                {
                    // dev_dbg(&ihost->pdev->dev, "%s: request_construct failed - status = 0x%x\n", ...);
                    return status;
                }

                return SciStatus.Success;
            }
        }

        """;

    // request.c: isci_request_io_request_complete, as before the fix (the SSP case of its unmap switch).
    internal const string CompleteBefore = """
        static partial class IsciRequestC
        {
            // isci_request_io_request_complete
            public static void IsciRequestIoRequestComplete(IsciHost ihost, IsciRequest request, uint completionStatus)
            {
                SasTask task = IsciRequestAccessTask(request);

                switch (task.TaskProto)
                {
                    case SasProtocol.Ssp:
                        if (task.DataDir == DmaDirection.None)
                        {
                            break;
                        }

                        if (task.NumScatter == 0)
                        {
                            // 0 indicates a single dma address
                            Dma.UnmapSingle(ihost.Pdev,
                                            request.ZeroScatterDaddr,
                                            task.TotalXferLen, task.DataDir);
                        }
                        else
                        {
                            // unmap the sgl dma addresses
                            Dma.UnmapSg(ihost.Pdev, task.Scatter,
                                        {|P2P0024:request.NumSgEntries|}, task.DataDir);
                        }

                        break;
                    default:
                        break;
                }
            }
        }

        """;

    // As fixed: task->num_scatter, the nents given to dma_map_sg().
    internal const string CompleteFixed = """
        static partial class IsciRequestC
        {
            // isci_request_io_request_complete
            public static void IsciRequestIoRequestComplete(IsciHost ihost, IsciRequest request, uint completionStatus)
            {
                SasTask task = IsciRequestAccessTask(request);

                switch (task.TaskProto)
                {
                    case SasProtocol.Ssp:
                        if (task.DataDir == DmaDirection.None)
                        {
                            break;
                        }

                        if (task.NumScatter == 0)
                        {
                            // 0 indicates a single dma address
                            Dma.UnmapSingle(ihost.Pdev,
                                            request.ZeroScatterDaddr,
                                            task.TotalXferLen, task.DataDir);
                        }
                        else
                        {
                            // unmap the sgl dma addresses
                            Dma.UnmapSg(ihost.Pdev, task.Scatter,
                                        task.NumScatter, task.DataDir);
                        }

                        break;
                    default:
                        break;
                }
            }
        }

        """;

    // host.c: the completion queue processing that completes the request (sci_controller_process_completions ->
    // sci_io_request_tc_completion -> ... -> isci_request_io_request_complete).
    internal const string Host = """
        static class IsciHostC
        {
            // sci_controller_process_completions, for one task-context completion
            public static void SciControllerProcessCompletion(IsciHost ihost, IsciRequest ireq, uint ent)
            {
                IsciRequestC.IsciRequestIoRequestComplete(ihost, ireq, ent);
            }
        }
        """;

    [Fact]
    public Task IsciRequestIoRequestComplete_UnmapsWithNumSgEntriesKeptAtBuild_Reports() =>
        KernelVerify.RunAsync(Structs, Build, CompleteBefore, Host);

    // The fix's own site is gone; the sites the commit did not touch stay marked in Build.
    [Fact]
    public Task IsciRequestIoRequestComplete_AsFixed_UnmapsWithTaskNumScatter_OnlyUnfixedSitesReport() =>
        KernelVerify.RunAsync(Structs, Build, CompleteFixed, Host);
}
