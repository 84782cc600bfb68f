namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// SCSI: scsi_dma_map/scsi_dma_unmap (drivers/scsi/scsi_lib_dma.c) and the 3ware 9750 driver (drivers/scsi/3w-sas.c,
/// read at torvalds/linux 07fa3fa2572f; the DMA code is unchanged in mainline, which calls scsi_done(cmd) instead of
/// cmd->scsi_done(cmd)), correct code: twl_scsiop_execute_scsi maps with scsi_dma_map (dma_map_sg over
/// scsi_sg_count(cmd), the entry count), goes to out: when it returns &lt;= 0, and fills the command packet's SGL with
/// scsi_for_each_sg(srb, sg, sg_count, i) over the returned count; twl_interrupt completes with scsi_dma_unmap(cmd)
/// (dma_unmap_sg over scsi_sg_count(cmd)), and so does twl_reset_device_extension for every request in flight.
/// No diagnostic is expected.
/// </summary>
public sealed class CorrectThreeWareSasTests
{
    internal const string Types = """
        sealed class ScsiHost
        {
            public PciDevice DmaDev = null!;
        }

        sealed class ScsiDevice
        {
            public ScsiHost Host = null!;
            public uint Id;
            public ulong Lun;
        }

        // struct scsi_data_buffer
        sealed class ScsiDataBuffer
        {
            public SgTable Table = null!;
            public uint Length;
        }

        // struct scsi_cmnd
        sealed class ScsiCmnd
        {
            public ScsiDevice Device = null!;
            public ScsiDataBuffer Sdb = new();
            public DmaDirection ScDataDirection;
            public int Result;
            public byte[] Cmnd = new byte[16];
            public uint Resid;
        }

        static partial class ScsiLib
        {
            public const int Enomem = 12;

            public static SgTable ScsiSglist(ScsiCmnd cmd) => cmd.Sdb.Table;

            public static int ScsiSgCount(ScsiCmnd cmd) => cmd.Sdb.Table.Nents;

            public static uint ScsiBufflen(ScsiCmnd cmd) => cmd.Sdb.Length;

            public static void ScsiDone(ScsiCmnd cmd) => cmd.Result |= 0;
        }

        // TW_SG_Entry_ISO
        sealed class TwSgEntryIso
        {
            [DmaAddress] public ulong Address;
            public uint Length;
        }

        // TW_Command_Apache
        sealed class TwCommandApache
        {
            public byte OpcodeReserved;
            public byte Unit;
            public ushort RequestIdLunl;
            public byte Status;
            public byte SglOffset;
            public ushort SglEntriesLunh;
            public byte[] Cdb = new byte[16];
            public TwSgEntryIso[] SgList = new TwSgEntryIso[TwDeviceExtension.TwLiberatorMaxSglLength];
        }

        // TW_Device_Extension
        sealed class TwDeviceExtension
        {
            public const int TwQLength = 256;
            public const int TwLiberatorMaxSglLength = 46;

            public TwCommandApache[] CommandPacketVirt = new TwCommandApache[TwQLength];
            public ScsiCmnd?[] Srb = new ScsiCmnd?[TwQLength];
            public int[] State = new int[TwQLength];
            public int[] FreeQueue = new int[TwQLength];
            public int FreeHead, FreeTail;
            public int PostedRequestCount, MaxPostedRequestCount;
            public uint SectorCount, MaxSectorCount;
            public int SglEntries, MaxSglEntries;
            public bool InReset;
        }

        static partial class ThreeWareSas
        {
            public const int TwSInitial = 0x1, TwSStarted = 0x2, TwSPosted = 0x4, TwSCompleted = 0x8, TwSFinished = 0x10;
            public const int TwOpExecuteScsi = 0x10;
            public const int DidOk = 0x00, DidError = 0x07, DidReset = 0x08;
            public const int TwMaxCdbLen = 16;
            public const int ScsiMlqueueHostBusy = 0x1055;

            public static ushort TwReqLunIn(ulong lun, int requestId) => (ushort)(((lun << 12) & 0xf000) | (ulong)(requestId & 0xfff));

            // twl_post_command_packet
            public static int PostCommandPacket(TwDeviceExtension twDev, int requestId)
            {
                twDev.State[requestId] = TwSPosted;
                twDev.PostedRequestCount++;
                if (twDev.PostedRequestCount > twDev.MaxPostedRequestCount)
                {
                    twDev.MaxPostedRequestCount = twDev.PostedRequestCount;
                }

                return 0;
            }

            // twl_get_request_id
            public static void GetRequestId(TwDeviceExtension twDev, out int requestId)
            {
                requestId = twDev.FreeQueue[twDev.FreeHead];
                twDev.FreeHead = (twDev.FreeHead + 1) % TwDeviceExtension.TwQLength;
                twDev.State[requestId] = TwSStarted;
            }

            // twl_free_request_id
            public static void FreeRequestId(TwDeviceExtension twDev, int requestId)
            {
                twDev.FreeQueue[twDev.FreeTail] = requestId;
                twDev.State[requestId] = TwSFinished;
                twDev.FreeTail = (twDev.FreeTail + 1) % TwDeviceExtension.TwQLength;
            }
        }
        """;

    // drivers/scsi/scsi_lib_dma.c
    internal const string ScsiLibDma = """
        static partial class ScsiLib
        {
            // scsi_dma_map - perform DMA mapping against command's sg lists.
            // Returns the number of sg lists actually used, zero if the sg lists is NULL, or -ENOMEM if the mapping
            // failed.
            public static int ScsiDmaMap(ScsiCmnd cmd)
            {
                int nseg = 0;

                if (ScsiSgCount(cmd) != 0)
                {
                    PciDevice dev = cmd.Device.Host.DmaDev;

                    nseg = Dma.MapSg(dev, ScsiSglist(cmd), ScsiSgCount(cmd), cmd.ScDataDirection);
                    if (nseg == 0)
                    {
                        return -Enomem;
                    }
                }

                return nseg;
            }

            // scsi_dma_unmap - unmap command's sg lists mapped by scsi_dma_map
            public static void ScsiDmaUnmap(ScsiCmnd cmd)
            {
                if (ScsiSgCount(cmd) != 0)
                {
                    PciDevice dev = cmd.Device.Host.DmaDev;

                    Dma.UnmapSg(dev, ScsiSglist(cmd), ScsiSgCount(cmd), cmd.ScDataDirection);
                }
            }
        }
        """;

    // twl_scsiop_execute_scsi, twl_scsi_queue_lck
    internal const string Queue = """
        static partial class ThreeWareSas
        {
            // This function hands scsi cdb's to the firmware
            public static int ScsiopExecuteScsi(TwDeviceExtension twDev, int requestId, byte[]? cdb, int useSg, TwSgEntryIso[]? sglistarg)
            {
                TwCommandApache commandPacket;
                int i, sgCount;
                ScsiCmnd? srb = null;
                Scatterlist? sg;
                int retval = 1;

                if (twDev.Srb[requestId] != null)
                {
                    srb = twDev.Srb[requestId];
                }

                // Initialize command packet
                commandPacket = twDev.CommandPacketVirt[requestId];
                commandPacket.Status = 0;
                commandPacket.OpcodeReserved = TwOpExecuteScsi;

                // We forced 16 byte cdb use earlier
                if (cdb == null)
                {
                    Array.Copy(srb!.Cmnd, commandPacket.Cdb, TwMaxCdbLen);
                }
                else
                {
                    Array.Copy(cdb, commandPacket.Cdb, TwMaxCdbLen);
                }

                if (srb != null)
                {
                    commandPacket.Unit = (byte)srb.Device.Id;
                    commandPacket.RequestIdLunl = TwReqLunIn(srb.Device.Lun, requestId);
                }
                else
                {
                    commandPacket.RequestIdLunl = TwReqLunIn(0, requestId);
                    commandPacket.Unit = 0;
                }

                commandPacket.SglOffset = 16;

                if (sglistarg == null)
                {
                    // Map sglist from scsi layer to cmd packet
                    if (ScsiLib.ScsiSgCount(srb!) != 0)
                    {
                        sgCount = ScsiLib.ScsiDmaMap(srb!);
                        if (sgCount <= 0)
                        {
                            goto out_;
                        }

                        // scsi_for_each_sg(srb, sg, sg_count, i)
                        for (i = 0, sg = ScsiLib.ScsiSglist(srb!)[0]; i < sgCount; i++, sg = sg.Next()!)
                        {
                            commandPacket.SgList[i] = new TwSgEntryIso { Address = sg.DmaAddress.Raw, Length = (uint)sg.DmaLength };
                        }

                        commandPacket.SglEntriesLunh = TwReqLunIn(srb!.Device.Lun >> 4, ScsiLib.ScsiSgCount(twDev.Srb[requestId]!));
                    }
                }
                else
                {
                    // Internal cdb post
                    for (i = 0; i < useSg; i++)
                    {
                        commandPacket.SgList[i] = new TwSgEntryIso { Address = sglistarg[i].Address, Length = sglistarg[i].Length };
                    }

                    commandPacket.SglEntriesLunh = TwReqLunIn(0, useSg);
                }

                // Update some stats
                if (srb != null)
                {
                    twDev.SectorCount = ScsiLib.ScsiBufflen(srb) / 512;
                    if (twDev.SectorCount > twDev.MaxSectorCount)
                    {
                        twDev.MaxSectorCount = twDev.SectorCount;
                    }

                    twDev.SglEntries = ScsiLib.ScsiSgCount(srb);
                    if (twDev.SglEntries > twDev.MaxSglEntries)
                    {
                        twDev.MaxSglEntries = twDev.SglEntries;
                    }
                }

                // Now post the command to the board
                retval = PostCommandPacket(twDev, requestId);

            out_:
                return retval;
            }

            // This is the main scsi queue function to handle scsi opcodes
            public static int ScsiQueueLck(TwDeviceExtension twDev, ScsiCmnd scpnt)
            {
                int requestId, retval;

                // If we are resetting due to timed out ioctl, report as busy
                if (twDev.InReset)
                {
                    retval = ScsiMlqueueHostBusy;
                    goto out_;
                }

                // Get a free request id
                GetRequestId(twDev, out requestId);

                // Save the scsi command for use by the ISR
                twDev.Srb[requestId] = scpnt;

                retval = ScsiopExecuteScsi(twDev, requestId, null, 0, null);
                if (retval != 0)
                {
                    twDev.State[requestId] = TwSCompleted;
                    FreeRequestId(twDev, requestId);
                    scpnt.Result = DidError << 16;
                    ScsiLib.ScsiDone(scpnt);
                    retval = 0;
                }

            out_:
                return retval;
            }
        }
        """;

    // twl_interrupt (the response part), twl_reset_device_extension (the abort part)
    internal const string Interrupt = """
        static partial class ThreeWareSas
        {
            public static void CompleteResponse(TwDeviceExtension twDev, int requestId, int error)
            {
                TwCommandApache fullCommandPacket = twDev.CommandPacketVirt[requestId];
                ScsiCmnd cmd = twDev.Srb[requestId]!;

                if (error == 0)
                {
                    cmd.Result = DidOk << 16;
                }

                // Report residual bytes for single sgl
                if (ScsiLib.ScsiSgCount(cmd) <= 1 && fullCommandPacket.Status == 0)
                {
                    if (fullCommandPacket.SgList[0].Length < ScsiLib.ScsiBufflen(twDev.Srb[requestId]!))
                    {
                        cmd.Resid = ScsiLib.ScsiBufflen(cmd) - fullCommandPacket.SgList[0].Length;
                    }
                }

                // Now complete the io
                ScsiLib.ScsiDmaUnmap(cmd);
                ScsiLib.ScsiDone(cmd);
                twDev.State[requestId] = TwSCompleted;
                FreeRequestId(twDev, requestId);
                twDev.PostedRequestCount--;
            }

            public static int ResetDeviceExtension(TwDeviceExtension twDev, int ioctlReset)
            {
                int i = 0;

                twDev.InReset = true;

                // Abort all requests that are in progress
                for (i = 0; i < TwDeviceExtension.TwQLength; i++)
                {
                    if (twDev.State[i] != TwSFinished && twDev.State[i] != TwSInitial && twDev.State[i] != TwSCompleted)
                    {
                        ScsiCmnd? cmd = twDev.Srb[i];

                        if (cmd != null)
                        {
                            cmd.Result = DidReset << 16;
                            ScsiLib.ScsiDmaUnmap(cmd);
                            ScsiLib.ScsiDone(cmd);
                        }
                    }
                }

                // Reset queues and counts
                for (i = 0; i < TwDeviceExtension.TwQLength; i++)
                {
                    twDev.FreeQueue[i] = i;
                    twDev.State[i] = TwSInitial;
                }

                twDev.FreeHead = 0;
                twDev.FreeTail = 0;
                twDev.PostedRequestCount = 0;

                twDev.InReset = false;
                return 0;
            }
        }
        """;

    [Fact]
    public Task ThreeWareSas_ScsiDmaMap_ForEachSg_ScsiDmaUnmap_NoDiagnostic() => KernelVerify.RunAsync(Types, ScsiLibDma, Queue, Interrupt);
}
