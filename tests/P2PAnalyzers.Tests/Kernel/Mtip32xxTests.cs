namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// mtip32xx (drivers/block/mtip32xx/mtip32xx.c, Micron P320/P420 PCIe SSD), the HDIO_DRIVE_TASKFILE ioctl path
/// <c>exec_drive_taskfile</c>, with the real fix 5173cb814b36 "mtip32xx: fix checks for dma mapping errors" (Alexey
/// Khoroshilov, 2016, v4.6-rc1; found by the Linux Driver Verification project): the function tested both
/// <c>pci_map_single</c> results against zero (<c>if (outbuf_dma == 0)</c>, <c>if (inbuf_dma == 0)</c>) instead of
/// <c>pci_dma_mapping_error()</c>, so a failed mapping (DMA_MAPPING_ERROR, all ones) was handed to the drive through
/// <c>mtip_exec_internal_command</c> and unmapped at the end. Two bug sites (P2P0020), one per map call.
/// <para>
/// Sources: the before-fix function is the copy of mtip32xx.c in the index with <c>memdup_user</c>,
/// <c>pci_map_single</c> and the <c>== 0</c> tests (the pre-v4.6 form); the fixed function is that code with the
/// commit's two hunks applied (the stored torvalds/linux version shows the same two tests as
/// <c>dma_mapping_error(&amp;dd-&gt;pdev-&gt;dev, ..)</c>, with later, unrelated changes: <c>dma_map_single</c>, early
/// returns for the size check and the first <c>memdup_user</c>).
/// </para>
/// <para>
/// The fix leaves a real bug (in the stored mainline version too): on the failure edge of either check the function
/// jumps to <c>abort:</c>, whose <c>if (inbuf_dma)</c> / <c>if (outbuf_dma)</c> guards are true for
/// DMA_MAPPING_ERROR, so the failed address is unmapped (DMA debug: "device driver tries to free DMA memory it has
/// not allocated"). Those two unmaps are marked P2P0023 in the fixed version; no upstream fix of them was found.
/// </para>
/// <para>
/// The block I/O path (<c>mtip_hw_submit_io</c>, <c>fill_command_sg</c>, <c>mtip_softirq_done_fn</c>, from the stored
/// mainline version) is transliterated too: it is unchanged by the fix, and it keeps <c>dma_map_sg</c>'s returned
/// count in <c>command-&gt;scatter_ents</c>, which the completion hands to <c>dma_unmap_sg</c> (P2P0024's kind). No
/// upstream fix of that was found in the material searched; it is marked in both versions.
/// </para>
/// Deviations: <c>memdup_user</c> failing (IS_ERR) is a null return with <c>-EFAULT</c> as PTR_ERR; the user pointer
/// is a small stub; <c>mtip_exec_internal_command</c> is reduced to what it does with the buffer (writes it into the
/// internal command's SG entry and issues it; the wait and retries are dropped); the FIS is a class; the request's
/// per-command data (<c>blk_mq_rq_to_pdu</c>) is an object field; <c>blk_rq_map_sg</c> is a stub that fills the table;
/// the kernel's <c>command_sg++</c> over the command table is an index into an array of SG entries.
/// </summary>
public sealed class Mtip32xxTests
{
    internal const string Types = """
        // struct host_to_dev_fis
        sealed class HostToDevFis
        {
            public byte Type, Opts, Command, Features, SectCount, LbaLow, LbaMid, LbaHi, Device;
            public byte LbaLowEx, LbaMidEx, LbaHiEx, FeaturesEx, SectCntEx, Control;
        }

        // ide_task_request_t (the fields used)
        sealed class IdeTaskRequest
        {
            public byte[] IoPorts = new byte[8];
            public byte[] HobPorts = new byte[8];
            public uint InFlagsAll;
            public uint OutFlagsAll;
            public int DataPhase;
            public int OutSize;
            public int InSize;
        }

        // void __user * (the ioctl argument)
        sealed class UserPtr
        {
            public byte[] Data = Array.Empty<byte>();
        }

        // struct mtip_cmd_sg
        sealed class MtipCmdSg
        {
            public uint Info;
            public uint Dba;
            public uint DbaUpper;
        }

        // struct mtip_cmd_hdr
        sealed class MtipCmdHdr
        {
            public uint Opts;
            public uint ByteCount;
            public uint Ctba;
            public uint Ctbau;
        }

        // struct mtip_cmd (the per-request data, blk_mq_rq_to_pdu)
        sealed class MtipCmd
        {
            public HostToDevFis Command = new();          // command->command (the FIS at the table's start)
            public MtipCmdSg[] CommandSg = new MtipCmdSg[8];   // command->command + AHCI_CMD_TBL_HDR_SZ
            public ulong CommandDma;
            public SgTable Sg = SgTable.Alloc(8);
            public int ScatterEnts;
            public int Retries;
            public int Unaligned;
            public DmaDirection Direction;
            public int Status;
        }

        // struct request (the fields used)
        sealed class Request
        {
            public int Tag;
            public bool IsRead;
            public ulong Pos;
            public uint Sectors;
            public MtipCmd Pdu = new();
            public Page[] Pages = Array.Empty<Page>();
            public DriverData Queuedata = null!;   // rq->q->queuedata
        }

        // struct mtip_port
        sealed class MtipPort
        {
            public DriverData Dd = null!;
            public HostToDevFis RxfisPioSetup = new();   // port->rxfis + RX_FIS_PIO_SETUP
            public HostToDevFis RxfisD2hReg = new();     // port->rxfis + RX_FIS_D2H_REG
            public uint PortTfdata;                      // readl(port->mmio + PORT_TFDATA)
            public ulong Flags;
            public MtipCmdHdr[] CommandList = new MtipCmdHdr[32];
            public MtipCmd IntCmd = new();
            public int CmdSlotUnal;
        }

        // struct driver_data
        sealed class DriverData
        {
            public PciDevice Pdev = null!;
            public MtipPort Port = new();
            public SystemMemory Mem = null!;
            public ulong DdFlag;
        }

        static partial class Mtip
        {
            const int EINVAL = 22, ENOMEM = 12, EFAULT = 14, EIO = 5;
            const int TaskfileNoData = 0, TaskfileIn = 1, TaskfileOut = 4;   // TASKFILE_*
            const uint AtaSectSize = 512;
            const byte AtaCmdSecEraseUnit = 0xF4;
            const byte MtipSecEraseMode = 0x3;
            const uint IdeTaskfileStdInFlags = 0xFE, IdeHobStdInFlags = 0xC0;
            const uint AhciCmdPrefetch = 1 << 7;
            const ulong MtipPfPauseIo = 1;
            const byte AtaCmdFpdmaRead = 0x60, AtaCmdFpdmaWrite = 0x61;

            // memdup_user: null stands for IS_ERR (PTR_ERR is -EFAULT)
            static KernelBuffer? MemdupUser(DriverData dd, UserPtr buf, int offset, uint len) =>
                offset + len > buf.Data.Length ? null : dd.Mem.Kmalloc(len);

            static bool CopyToUser(UserPtr buf, int offset, KernelBuffer? from, uint len) => offset + len > buf.Data.Length;
            static void Kfree(KernelBuffer? buf) { }
            static void DevWarn(PciDevice dev, string msg) { }
            static void DevErr(PciDevice dev, string msg) { }

            static int ImplicitSector(byte command, byte features) => command == 0xF4 ? 1 : 0;
            static void MtipSetTimeout(DriverData dd, HostToDevFis fis, out uint timeout, int erasemode) =>
                timeout = erasemode != 0 ? 240000u : 5000u;
            static void MtipIssueNonNcqCommand(MtipPort port, int tag) { }
            static void MtipIssueNcqCommand(MtipPort port, int tag) { }
            static void SetBit(int nr, ref ulong flags) => flags |= 1UL << nr;
            static void BlkMqEndRequest(Request rq, int status) { }

            // mtip_exec_internal_command, reduced to what it does with the buffer: the internal command's SG entry
            static int MtipExecInternalCommand(MtipPort port, HostToDevFis fis, int fisLen, DmaAddr buffer, uint bufLen, uint opts, uint timeout)
            {
                MtipCmd intCmd = port.IntCmd;
                intCmd.Command = fis;   // memcpy(int_cmd->command, fis, fis_len*4)
                if (bufLen != 0)
                {
                    MtipCmdSg commandSg = intCmd.CommandSg[0] = new MtipCmdSg();
                    commandSg.Info = (bufLen - 1) & 0x3FFFFF;
                    commandSg.Dba = (uint)(buffer.Raw & 0xFFFFFFFF);
                    commandSg.DbaUpper = (uint)((buffer.Raw >> 16) >> 16);
                }
                MtipIssueNonNcqCommand(port, 0);   // MTIP_TAG_INTERNAL
                return port.PortTfdata == 0xFF ? -EIO : 0;
            }

            // blk_rq_map_sg: one entry per page of the request
            static int BlkRqMapSg(Request rq, SgTable sg)
            {
                for (int i = 0; i < rq.Pages.Length; i++)
                    sg[i].SetPage(rq.Pages[i], 4096, 0);
                return rq.Pages.Length;
            }
        }
        """;

    // exec_drive_taskfile before 5173cb814b36.
    internal const string TaskfileBeforeFix = """
        static partial class Mtip
        {
            // exec_drive_taskfile (HDIO_DRIVE_TASKFILE)
            static int ExecDriveTaskfile(DriverData dd, UserPtr buf, IdeTaskRequest reqTask, int outtotal)
            {
                HostToDevFis fis;
                HostToDevFis reply;
                KernelBuffer? outbuf = null;
                KernelBuffer? inbuf = null;
                DmaAddr outbufDma = default;
                DmaAddr inbufDma = default;
                DmaAddr dmaBuffer = default;
                int err = 0;
                uint taskin = 0;
                uint taskout = 0;
                byte nsect = 0;
                uint timeout;
                int forceSingleSector;
                uint transferSize;
                uint taskFileData;
                int intotal = outtotal + reqTask.OutSize;
                int erasemode = 0;

                taskout = (uint)reqTask.OutSize;
                taskin = (uint)reqTask.InSize;
                /* 130560 = 512 * 0xFF*/
                if (taskin > 130560 || taskout > 130560)
                {
                    err = -EINVAL;
                    goto abort;
                }

                if (taskout != 0)
                {
                    outbuf = MemdupUser(dd, buf, outtotal, taskout);
                    if (outbuf == null)
                    {
                        err = -EFAULT;
                        outbuf = null;
                        goto abort;
                    }
                    outbufDma = {|P2P0020:Dma.MapSingle(dd.Pdev, outbuf, 0, taskout, DmaDirection.ToDevice)|};
                    if (outbufDma.Raw == 0)
                    {
                        err = -ENOMEM;
                        goto abort;
                    }
                    dmaBuffer = outbufDma;
                }

                if (taskin != 0)
                {
                    inbuf = MemdupUser(dd, buf, intotal, taskin);
                    if (inbuf == null)
                    {
                        err = -EFAULT;
                        inbuf = null;
                        goto abort;
                    }
                    inbufDma = {|P2P0020:Dma.MapSingle(dd.Pdev, inbuf, 0, taskin, DmaDirection.FromDevice)|};
                    if (inbufDma.Raw == 0)
                    {
                        err = -ENOMEM;
                        goto abort;
                    }
                    dmaBuffer = inbufDma;
                }

                /* only supports PIO and non-data commands from this ioctl. */
                switch (reqTask.DataPhase)
                {
                    case TaskfileOut:
                        nsect = (byte)(taskout / AtaSectSize);
                        reply = dd.Port.RxfisPioSetup;
                        break;
                    case TaskfileIn:
                        reply = dd.Port.RxfisPioSetup;
                        break;
                    case TaskfileNoData:
                        reply = dd.Port.RxfisD2hReg;
                        break;
                    default:
                        err = -EINVAL;
                        goto abort;
                }

                /* Build the FIS. */
                fis = new HostToDevFis();

                fis.Type = 0x27;
                fis.Opts = 1 << 7;
                fis.Command = reqTask.IoPorts[7];
                fis.Features = reqTask.IoPorts[1];
                fis.SectCount = reqTask.IoPorts[2];
                fis.LbaLow = reqTask.IoPorts[3];
                fis.LbaMid = reqTask.IoPorts[4];
                fis.LbaHi = reqTask.IoPorts[5];
                /* Clear the dev bit*/
                fis.Device = (byte)(reqTask.IoPorts[6] & ~0x10);

                if ((reqTask.InFlagsAll == 0) && (reqTask.OutFlagsAll & 1) != 0)
                {
                    reqTask.InFlagsAll = IdeTaskfileStdInFlags | (IdeHobStdInFlags << 8);
                    fis.LbaLowEx = reqTask.HobPorts[3];
                    fis.LbaMidEx = reqTask.HobPorts[4];
                    fis.LbaHiEx = reqTask.HobPorts[5];
                    fis.FeaturesEx = reqTask.HobPorts[1];
                    fis.SectCntEx = reqTask.HobPorts[2];
                }
                else
                {
                    reqTask.InFlagsAll = IdeTaskfileStdInFlags;
                }

                forceSingleSector = ImplicitSector(fis.Command, fis.Features);

                if ((taskin != 0 || taskout != 0) && fis.SectCount == 0)
                {
                    if (nsect != 0)
                        fis.SectCount = nsect;
                    else
                    {
                        if (forceSingleSector == 0)
                        {
                            DevWarn(dd.Pdev, "data movement but sect_count is 0");
                            err = -EINVAL;
                            goto abort;
                        }
                    }
                }

                if ((fis.Command == AtaCmdSecEraseUnit) && outbuf != null && (outbuf.Read(0, 1)[0] & MtipSecEraseMode) != 0)
                {
                    erasemode = 1;
                }

                MtipSetTimeout(dd, fis, out timeout, erasemode);

                /* Determine the correct transfer size.*/
                if (forceSingleSector != 0)
                    transferSize = AtaSectSize;
                else
                    transferSize = AtaSectSize * fis.SectCount;

                /* Execute the command.*/
                if (MtipExecInternalCommand(dd.Port, fis, 5, dmaBuffer, transferSize, 0, timeout) < 0)
                {
                    err = -EIO;
                    goto abort;
                }

                taskFileData = dd.Port.PortTfdata;

                if ((reqTask.DataPhase == TaskfileIn) && (taskFileData & 1) == 0)
                {
                    reply = dd.Port.RxfisPioSetup;
                    reqTask.IoPorts[7] = reply.Control;
                }
                else
                {
                    reply = dd.Port.RxfisD2hReg;
                    reqTask.IoPorts[7] = reply.Command;
                }

                /* reclaim the DMA buffers.*/
                if (inbufDma.Raw != 0)
                    Dma.UnmapSingle(dd.Pdev, inbufDma, taskin, DmaDirection.FromDevice);
                if (outbufDma.Raw != 0)
                    Dma.UnmapSingle(dd.Pdev, outbufDma, taskout, DmaDirection.ToDevice);
                inbufDma = default;
                outbufDma = default;

                /* return the ATA registers to the caller.*/
                reqTask.IoPorts[1] = reply.Features;
                reqTask.IoPorts[2] = reply.SectCount;
                reqTask.IoPorts[3] = reply.LbaLow;
                reqTask.IoPorts[4] = reply.LbaMid;
                reqTask.IoPorts[5] = reply.LbaHi;
                reqTask.IoPorts[6] = reply.Device;

                if ((reqTask.OutFlagsAll & 1) != 0)
                {
                    reqTask.HobPorts[3] = reply.LbaLowEx;
                    reqTask.HobPorts[4] = reply.LbaMidEx;
                    reqTask.HobPorts[5] = reply.LbaHiEx;
                    reqTask.HobPorts[1] = reply.FeaturesEx;
                    reqTask.HobPorts[2] = reply.SectCntEx;
                }

                if (taskout != 0)
                {
                    if (CopyToUser(buf, outtotal, outbuf, taskout))
                    {
                        err = -EFAULT;
                        goto abort;
                    }
                }
                if (taskin != 0)
                {
                    if (CopyToUser(buf, intotal, inbuf, taskin))
                    {
                        err = -EFAULT;
                        goto abort;
                    }
                }
            abort:
                if (inbufDma.Raw != 0)
                    Dma.UnmapSingle(dd.Pdev, inbufDma, taskin, DmaDirection.FromDevice);
                if (outbufDma.Raw != 0)
                    Dma.UnmapSingle(dd.Pdev, outbufDma, taskout, DmaDirection.ToDevice);
                Kfree(outbuf);
                Kfree(inbuf);

                return err;
            }
        }
        """;

    // After 5173cb814b36: both tests ask the mapping error. The abort path still unmaps a failed mapping (not fixed
    // upstream): P2P0023 at the two unmaps under abort:.
    internal static readonly string TaskfileFixed = TaskfileBeforeFix
        .Replace("{|P2P0020:Dma.MapSingle(dd.Pdev, outbuf, 0, taskout, DmaDirection.ToDevice)|}", "Dma.MapSingle(dd.Pdev, outbuf, 0, taskout, DmaDirection.ToDevice)")
        .Replace("{|P2P0020:Dma.MapSingle(dd.Pdev, inbuf, 0, taskin, DmaDirection.FromDevice)|}", "Dma.MapSingle(dd.Pdev, inbuf, 0, taskin, DmaDirection.FromDevice)")
        .Replace("if (outbufDma.Raw == 0)", "if (Dma.MappingError(dd.Pdev, outbufDma))")
        .Replace("if (inbufDma.Raw == 0)", "if (Dma.MappingError(dd.Pdev, inbufDma))")
        .Replace(
            "abort:\n        if (inbufDma.Raw != 0)\n            Dma.UnmapSingle(dd.Pdev, inbufDma, taskin, DmaDirection.FromDevice);\n        if (outbufDma.Raw != 0)\n            Dma.UnmapSingle(dd.Pdev, outbufDma, taskout, DmaDirection.ToDevice);",
            "abort:\n        if (inbufDma.Raw != 0)\n            {|P2P0023:Dma.UnmapSingle(dd.Pdev, inbufDma, taskin, DmaDirection.FromDevice)|};\n        if (outbufDma.Raw != 0)\n            {|P2P0023:Dma.UnmapSingle(dd.Pdev, outbufDma, taskout, DmaDirection.ToDevice)|};");
    // Both were missed while the walk held every condition it had seen to the end of the function (it outgrew its
    // bound before abort:); the zero guards are read as what they are: true for DMA_MAPPING_ERROR.

    // mtip_hw_submit_io, fill_command_sg, mtip_softirq_done_fn (stored mainline), unchanged by the fix.
    internal const string Io = """
        static partial class Mtip
        {
            // fill_command_sg
            static void FillCommandSg(DriverData dd, MtipCmd command, int nents)
            {
                int n;
                uint dmaLen;
                int commandSg;
                Scatterlist? sg;

                commandSg = 0;   // command->command + AHCI_CMD_TBL_HDR_SZ

                for (n = 0, sg = command.Sg[0]; n < nents; n++, sg = sg!.Next())
                {
                    dmaLen = (uint)sg!.DmaLength;
                    if (dmaLen > 0x400000)
                        DevErr(dd.Pdev, "DMA segment length truncated");
                    command.CommandSg[commandSg] = new MtipCmdSg();
                    command.CommandSg[commandSg].Info = (dmaLen - 1) & 0x3FFFFF;
                    command.CommandSg[commandSg].Dba = (uint)sg.DmaAddress.Raw;
                    command.CommandSg[commandSg].DbaUpper = (uint)((sg.DmaAddress.Raw >> 16) >> 16);
                    commandSg++;
                }
            }

            // mtip_hw_submit_io
            static void MtipHwSubmitIo(DriverData dd, Request rq, MtipCmd command)
            {
                MtipCmdHdr hdr = dd.Port.CommandList[rq.Tag];
                HostToDevFis fis;
                MtipPort port = dd.Port;
                DmaDirection dmaDir = rq.IsRead ? DmaDirection.FromDevice : DmaDirection.ToDevice;
                ulong start = rq.Pos;
                uint nsect = rq.Sectors;
                int nents;

                /* Map the scatter list for DMA access */
                nents = BlkRqMapSg(rq, command.Sg);
                nents = Dma.MapSg(dd.Pdev, command.Sg, nents, dmaDir);

                command.ScatterEnts = nents;

                /*
                 * The number of retries for this command before it is
                 * reported as a failure to the upper layers.
                 */
                command.Retries = 5;   // MTIP_MAX_RETRIES

                /* Fill out fis */
                fis = command.Command;
                fis.Type = 0x27;
                fis.Opts = 1 << 7;
                if (dmaDir == DmaDirection.FromDevice)
                    fis.Command = AtaCmdFpdmaRead;
                else
                    fis.Command = AtaCmdFpdmaWrite;
                fis.LbaLow = (byte)(start & 0xFF);
                fis.LbaMid = (byte)((start >> 8) & 0xFF);
                fis.LbaHi = (byte)((start >> 16) & 0xFF);
                fis.LbaLowEx = (byte)((start >> 24) & 0xFF);
                fis.LbaMidEx = (byte)((start >> 32) & 0xFF);
                fis.LbaHiEx = (byte)((start >> 40) & 0xFF);
                fis.Device = 1 << 6;
                fis.Features = (byte)(nsect & 0xFF);
                fis.FeaturesEx = (byte)((nsect >> 8) & 0xFF);
                fis.SectCount = (byte)((rq.Tag << 3) | (rq.Tag >> 5));
                fis.SectCntEx = 0;
                fis.Control = 0;
                FillCommandSg(dd, command, nents);

                if (command.Unaligned != 0)
                    fis.Device |= 1 << 7;

                /* Populate the command header */
                hdr.Ctba = (uint)(command.CommandDma & 0xFFFFFFFF);
                hdr.Ctbau = (uint)((command.CommandDma >> 16) >> 16);
                hdr.Opts = (uint)(nents << 16) | 5 | AhciCmdPrefetch;
                hdr.ByteCount = 0;

                command.Direction = dmaDir;

                /*
                 * To prevent this command from being issued
                 * if an internal command is in progress or error handling is active.
                 */
                if ((port.Flags & MtipPfPauseIo) != 0)
                {
                    SetBit(rq.Tag, ref port.Flags);
                    return;
                }

                /* Issue the command to the hardware */
                MtipIssueNcqCommand(port, rq.Tag);
            }

            // mtip_softirq_done_fn (blk_mq_ops.complete)
            static void MtipSoftirqDoneFn(Request rq)
            {
                MtipCmd cmd = rq.Pdu;
                DriverData dd = rq.Queuedata;

                /* Unmap the DMA scatter list entries */
                Dma.UnmapSg(dd.Pdev, cmd.Sg, {|P2P0024:cmd.ScatterEnts|}, cmd.Direction);

                if (cmd.Unaligned != 0)
                    dd.Port.CmdSlotUnal++;

                BlkMqEndRequest(rq, cmd.Status);
            }
        }
        """;

    [Fact]
    public Task Mtip32xx_BeforeFix_MappingTestedAgainstZero() =>
        KernelVerify.RunAsync(Types, TaskfileBeforeFix, Io);

    [Fact]
    public Task Mtip32xx_AsFixed_AbortStillUnmapsFailedMapping()
    {
        Assert.Contains("if (Dma.MappingError(dd.Pdev, outbufDma))", TaskfileFixed);
        Assert.Contains("if (Dma.MappingError(dd.Pdev, inbufDma))", TaskfileFixed);
        Assert.DoesNotContain("{|P2P0020", TaskfileFixed);
        Assert.Contains("{|P2P0023:Dma.UnmapSingle(dd.Pdev, outbufDma", TaskfileFixed);
        return KernelVerify.RunAsync(Types, TaskfileFixed, Io);
    }
}
