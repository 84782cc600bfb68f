namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// pm8001 (drivers/scsi/pm8001/pm8001_sas.c, the PMC-Sierra/Microchip SAS HBA under libsas) before "scsi: pm80xx:
/// Corrected dma_unmap_sg() parameter" (76cb25b05803, Deepak Ukey, 2019): the submission path maps the task's
/// scatterlist, <c>n_elem = dma_map_sg(pm8001_ha-&gt;dev, t-&gt;scatter, t-&gt;num_scatter, t-&gt;data_dir)</c>, and its
/// <c>err_out:</c> unwinding unmapped with <c>n_elem</c>, the mapped count ("the &lt;nents&gt; parameter should be number
/// of elements in the scatter list prior to the mapping, not after the mapping"); the fix passes t-&gt;num_scatter.
/// The one-line diff is read from the stable backports (4.4/4.9, "[ Upstream commit 76cb25b05803... ]"). The
/// surrounding function is transliterated from a later stored tree (v5.1x, where pm8001_task_exec had become
/// pm8001_queue_command and the fix was already in) with that line reverted: reconstructed, not the 2019 text.
/// Also transliterated: the completion pm8001_ccb_task_free (unmaps with task-&gt;num_scatter, correct), and the SSP
/// prep path down to pm8001_chip_make_sg (pm8001_hwi.c), which walks the mapped entries with for_each_sg over
/// ccb-&gt;n_elem (correct) into the chip's PRD table. The PRD table is in the HBA's coherent memory: its addr is a DMA
/// address sink. PM8001_CHIP_DISP is the chip dispatch table, kept as a delegate field. The SMP and ATA prep paths are
/// stubs returning 0 (they map their own buffers elsewhere).
/// </summary>
public sealed class Pm8001Tests
{
    internal const string Types = """
        // struct pm8001_prd
        sealed class Pm8001Prd
        {
            [DmaAddress] public ulong Addr;
            public uint Len;
            public uint E;
        }

        sealed class TaskStatusStruct
        {
            public int Resp;
            public int Stat;
        }

        sealed class DomainDevice
        {
            public object? Port;
            public Pm8001Device? LlddDev;
            public int DevType;
        }

        // struct sas_task (libsas)
        sealed class SasTask
        {
            public DomainDevice Dev = null!;
            public int TaskProto;
            public SgTable Scatter = null!;
            public int NumScatter;
            public DmaDirection DataDir;
            public TaskStatusStruct TaskStatus = new();
            public Pm8001CcbInfo? LlddTask;
            public Action<SasTask> TaskDone = null!;
            public object? Tmf;
        }

        sealed class Pm8001Device
        {
            public int DevType;
            public int RunningReq;
        }

        sealed class Pm8001Port
        {
            public bool PortAttached;
        }

        // struct pm8001_ccb_info
        sealed class Pm8001CcbInfo
        {
            public SasTask? Task;
            public uint NElem;
            public uint CcbTag;
            public Pm8001Device? Device;
            public Pm8001Prd[] BufPrd = new Pm8001Prd[32];
            public int OpenRetry;
        }

        // struct pm8001_dispatch (the part used here)
        sealed class Pm8001Dispatch
        {
            public Func<Pm8001HbaInfo, Pm8001CcbInfo, int> SspIoReq = null!;
        }

        // struct pm8001_hba_info
        sealed class Pm8001HbaInfo
        {
            public PciDevice Dev = null!;
            public object Lock = new();
            public bool ControllerFatalError;
            public Pm8001Port[] Port = new Pm8001Port[16];
            public Pm8001CcbInfo[] CcbInfo = new Pm8001CcbInfo[1024];
            public bool[] Tags = new bool[1024];
            public Pm8001Dispatch ChipDisp = null!;  // PM8001_CHIP_DISP
        }

        static partial class Pm8001
        {
            const int ENOMEM = 12;
            const int EINVAL = 22;
            const int SasProtocolSmp = 0x01, SasProtocolStp = 0x02, SasProtocolSata = 0x04, SasProtocolSsp = 0x08;
            const int SasTaskUndelivered = 1, SasPhyDown = 0x8a;
            const int SasPhyUnused = 0;

            static bool SasProtocolAta(int proto) => (proto & (SasProtocolSata | SasProtocolStp)) != 0;

            static Pm8001HbaInfo Pm8001FindHaByDev(DomainDevice dev) => Ha;
            static Pm8001HbaInfo Ha = null!;

            static int SasFindLocalPortId(DomainDevice dev) => 0;

            static bool DevIsGone(Pm8001Device? pm8001Dev) => pm8001Dev == null || pm8001Dev.DevType == SasPhyUnused;

            static void DevPrintk(PciDevice dev, string msg) { }

            // pm8001_tag_alloc / pm8001_tag_free
            static int Pm8001TagAlloc(Pm8001HbaInfo pm8001Ha, out uint tag)
            {
                for (uint i = 0; i < pm8001Ha.Tags.Length; i++)
                {
                    if (!pm8001Ha.Tags[i])
                    {
                        pm8001Ha.Tags[i] = true;
                        tag = i;
                        return 0;
                    }
                }
                tag = 0;
                return -16;  // -SAS_QUEUE_FULL
            }

            static void Pm8001TagFree(Pm8001HbaInfo pm8001Ha, uint tag) => pm8001Ha.Tags[tag] = false;

            static int Pm8001TaskPrepSmp(Pm8001HbaInfo pm8001Ha, Pm8001CcbInfo ccb) => 0;
            static int Pm8001TaskPrepAta(Pm8001HbaInfo pm8001Ha, Pm8001CcbInfo ccb) => 0;
            static int Pm8001TaskPrepSspTm(Pm8001HbaInfo pm8001Ha, Pm8001CcbInfo ccb, object tmf) => 0;

            // pm8001_task_prep_ssp
            static int Pm8001TaskPrepSsp(Pm8001HbaInfo pm8001Ha, Pm8001CcbInfo ccb) =>
                pm8001Ha.ChipDisp.SspIoReq(pm8001Ha, ccb);
        }
        """;

    // pm8001_hwi.c: pm8001_chip_make_sg and the part of pm8001_chip_ssp_io_req that builds the PRD table.
    internal const string Hwi = """
        static partial class Pm8001
        {
            // pm8001_chip_make_sg
            static void Pm8001ChipMakeSg(SgTable scatter, int nr, Pm8001Prd[] prd)
            {
                int i;
                Scatterlist? sg;
                int bufPrd = 0;

                sg = scatter[0];
                for (i = 0; i < nr; i++)  // for_each_sg(scatter, sg, nr, i)
                {
                    prd[bufPrd].Addr = sg!.DmaAddress.Raw;   // cpu_to_le64(sg_dma_address(sg))
                    prd[bufPrd].Len = (uint)sg.DmaLength;    // cpu_to_le32(sg_dma_len(sg))
                    prd[bufPrd].E = 0;
                    bufPrd++;
                    sg = sg.Next();
                }
            }

            // pm8001_chip_ssp_io_req (the data-buffer part)
            static int Pm8001ChipSspIoReq(Pm8001HbaInfo pm8001Ha, Pm8001CcbInfo ccb)
            {
                SasTask task = ccb.Task!;

                /* fill in PRD (scatter/gather) table, if any */
                if (task.NumScatter > 1)
                {
                    Pm8001ChipMakeSg(task.Scatter, (int)ccb.NElem, ccb.BufPrd);
                }
                else if (task.NumScatter == 1)
                {
                    ulong dmaAddr = task.Scatter[0].DmaAddress.Raw;  // sg_dma_address(task->scatter)
                    ccb.BufPrd[0].Addr = dmaAddr;
                    ccb.BufPrd[0].Len = (uint)task.Scatter[0].DmaLength;
                }

                return 0;  // pm8001_mpi_build_cmd(..)
            }
        }
        """;

    // pm8001_queue_command (pm8001_task_exec in 2019) with the pre-fix unmap, and pm8001_ccb_task_free.
    internal const string SasBeforeFix = """
        static partial class Pm8001
        {
            // pm8001_queue_command / pm8001_task_exec
            static int Pm8001QueueCommand(SasTask task)
            {
                DomainDevice dev = task.Dev;
                Pm8001HbaInfo pm8001Ha;
                Pm8001Device? pm8001Dev;
                Pm8001Port? port = null;
                SasTask t = task;
                Pm8001CcbInfo ccb;
                uint tag = 0xdeadbeef;
                int rc = 0;
                int nElem = 0;
                int taskProto = t.TaskProto;
                object? tmf = task.Tmf;
                bool isTmf = task.Tmf != null;

                if (dev.Port == null)
                {
                    TaskStatusStruct tsm = t.TaskStatus;
                    tsm.Resp = SasTaskUndelivered;
                    tsm.Stat = SasPhyDown;
                    t.TaskDone(t);
                    return 0;
                }
                pm8001Ha = Pm8001FindHaByDev(task.Dev);
                if (pm8001Ha.ControllerFatalError)
                {
                    TaskStatusStruct ts = t.TaskStatus;

                    ts.Resp = SasTaskUndelivered;
                    t.TaskDone(t);
                    return 0;
                }
                System.Threading.Monitor.Enter(pm8001Ha.Lock);  // spin_lock_irqsave
                do
                {
                    dev = t.Dev;
                    pm8001Dev = dev.LlddDev;
                    port = pm8001Ha.Port[SasFindLocalPortId(dev)];
                    if (DevIsGone(pm8001Dev) || !port.PortAttached)
                    {
                        TaskStatusStruct ts = t.TaskStatus;
                        ts.Resp = SasTaskUndelivered;
                        ts.Stat = SasPhyDown;
                        if (SasProtocolAta(taskProto))
                        {
                            System.Threading.Monitor.Exit(pm8001Ha.Lock);
                            t.TaskDone(t);
                            System.Threading.Monitor.Enter(pm8001Ha.Lock);
                            continue;
                        }
                        else
                        {
                            t.TaskDone(t);
                            continue;
                        }
                    }
                    rc = Pm8001TagAlloc(pm8001Ha, out tag);
                    if (rc != 0)
                        goto errOut;
                    ccb = pm8001Ha.CcbInfo[tag];

                    if (!SasProtocolAta(taskProto))
                    {
                        if (t.NumScatter != 0)
                        {
                            nElem = Dma.MapSg(pm8001Ha.Dev,
                                t.Scatter,
                                t.NumScatter,
                                t.DataDir);
                            if (nElem == 0)
                            {
                                rc = -ENOMEM;
                                goto errOutTag;
                            }
                        }
                    }
                    else
                    {
                        nElem = t.NumScatter;
                    }

                    t.LlddTask = ccb;
                    ccb.NElem = (uint)nElem;
                    ccb.CcbTag = tag;
                    ccb.Task = t;
                    ccb.Device = pm8001Dev;
                    switch (taskProto)
                    {
                        case SasProtocolSmp:
                            pm8001Dev!.RunningReq++;
                            rc = Pm8001TaskPrepSmp(pm8001Ha, ccb);
                            break;
                        case SasProtocolSsp:
                            pm8001Dev!.RunningReq++;
                            if (isTmf)
                                rc = Pm8001TaskPrepSspTm(pm8001Ha, ccb, tmf!);
                            else
                                rc = Pm8001TaskPrepSsp(pm8001Ha, ccb);
                            break;
                        case SasProtocolSata:
                        case SasProtocolStp:
                            pm8001Dev!.RunningReq++;
                            rc = Pm8001TaskPrepAta(pm8001Ha, ccb);
                            break;
                        default:
                            DevPrintk(pm8001Ha.Dev, "unknown sas_task proto");
                            rc = -EINVAL;
                            break;
                    }

                    if (rc != 0)
                    {
                        pm8001Dev!.RunningReq--;
                        goto errOutTag;
                    }
                    /* TODO: select normal or high priority */
                } while (false);
                rc = 0;
                goto outDone;

            errOutTag:
                Pm8001TagFree(pm8001Ha, tag);
            errOut:
                DevPrintk(pm8001Ha.Dev, "pm8001 exec failed!");
                if (!SasProtocolAta(taskProto))
                    if (nElem != 0)
                        Dma.UnmapSg(pm8001Ha.Dev, t.Scatter, {|P2P0024:nElem|},
                            t.DataDir);
            outDone:
                System.Threading.Monitor.Exit(pm8001Ha.Lock);
                return rc;
            }

            // pm8001_ccb_task_free (from the completion, pm8001_mpi_ssp_completion etc.)
            public static void Pm8001CcbTaskFree(Pm8001HbaInfo pm8001Ha, SasTask task, Pm8001CcbInfo ccb, uint ccbIdx)
            {
                if (ccb.Task == null)
                    return;
                if (!SasProtocolAta(task.TaskProto))
                    if (ccb.NElem != 0)
                        Dma.UnmapSg(pm8001Ha.Dev, task.Scatter,
                            task.NumScatter, task.DataDir);

                task.LlddTask = null;
                ccb.Task = null;
                ccb.CcbTag = 0xFFFFFFFF;
                ccb.OpenRetry = 0;
                Pm8001TagFree(pm8001Ha, ccbIdx);
            }
        }
        """;

    internal static readonly string SasFixed = SasBeforeFix.Replace("{|P2P0024:nElem|}", "t.NumScatter");

    [Fact]
    public Task Pm8001_Before76cb25b05803_ErrOutUnmapsMappedCount() =>
        KernelVerify.RunAsync(Types, Hwi, SasBeforeFix);

    // The P2P0024 fix at the err_out unmap, applied (UnitFixHarness: sound = compiles, the diagnostic gone, no new P2P
    // diagnostic): it must name the nents the map call was given, t.NumScatter, as the kernel's fix does.
    [Fact]
    public async Task Pm8001_Before76cb25b05803_P2P0024Fix_IsTheKernelFix()
    {
        string[] after = await P2PAnalyzers.Tests.Fixes.UnitFixHarness.ApplySoundAsync(
            new P2PAnalyzers.CodeFixes.Fixes.P2P0024ScatterlistCountConfusionCodeFix(), "P2P0024", "nElem", Types, Hwi, SasBeforeFix);
        Assert.Contains("Dma.UnmapSg(pm8001Ha.Dev, t.Scatter, t.NumScatter,", after[2]);
        Assert.Equal(
            SasFixed.Replace("\r\n", "\n"),
            after[2].Substring(KernelVerify.Usings.Length).Replace("\r\n", "\n"));
    }

    [Fact]
    public Task Pm8001_As76cb25b05803_NoDiagnostic()
    {
        Assert.Contains("Dma.UnmapSg(pm8001Ha.Dev, t.Scatter, t.NumScatter,", SasFixed);
        Assert.DoesNotContain("{|", SasFixed);
        return KernelVerify.RunAsync(Types, Hwi, SasFixed);
    }
}
