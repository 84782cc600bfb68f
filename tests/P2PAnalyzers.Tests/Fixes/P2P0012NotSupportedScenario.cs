using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0012IncompleteMapTypeHandlingAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// blk_rq_dma_map_iter_start without its default arm (block/blk-mq-dma.c), for the executed proof of the NotSupported
/// arm: a bool function whose failures set iter->status, and nvme's submit path, which fails the command with that
/// status and, for -EREMOTEIO (the peer cannot be reached), retries through a RAM bounce buffer as a p2pmem user must.
/// </summary>
public sealed class P2P0012NotSupportedScenario
{
    private const string Driver = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        sealed class BioVec
        {
            public Page Page = null!;
            public ulong Offset;
            public ulong Len;
        }

        sealed class Request
        {
            public BioVec[] Bvecs = Array.Empty<BioVec>();
            public DmaDirection Dir;
        }

        sealed class BlkDmaIter
        {
            public DmaAddr Addr;
            public ulong Len;
            public int Status;
            public P2PMapState P2PDma = new();
        }

        static class BlkMqDma
        {
            // blk_rq_dma_map_iter_start, before the PCI_P2PDMA_MAP_NONE/default split: NotSupported falls through
            public static bool MapIterStart(Request req, PciDevice dmaDev, BlkDmaIter iter)
            {
                BioVec vec = req.Bvecs[0];
                PhysAddr paddr = vec.Page.Phys + vec.Offset;
                DmaAttrs attrs = DmaAttrs.None;
                {|#0:switch|} (PciP2PDma.State(iter.P2PDma, dmaDev, vec.Page))
                {
                    case P2PMapType.BusAddr:
                        // blk_dma_map_bus
                        iter.Addr = PciP2PDma.BusAddrMap(iter.P2PDma.Provider!, paddr);
                        iter.Len = vec.Len;
                        return true;
                    case P2PMapType.ThruHostBridge:
                        attrs |= DmaAttrs.Mmio;
                        break;
                    case P2PMapType.None:
                        break;%ARM%
                }

                // blk_dma_map_direct
                iter.Addr = Dma.MapPhys(dmaDev, paddr, vec.Len, req.Dir, attrs);
                if (Dma.MappingError(dmaDev, iter.Addr))
                {
                    iter.Status = -5;
                    return false;
                }

                iter.Len = vec.Len;
                return true;
            }
        }

        public static class Scenario
        {
            // nvme_queue_rq for one read of a peer's p2pmem, and the submitter's retry through RAM on -EREMOTEIO.
            public static byte[] ReadPeer(PciTopology t, PciDevice nvme, P2PProvider provider, int length)
            {
                PciP2PDma.AddResource(provider.Bar.Device, provider.Bar.Index);
                var req = new Request { Bvecs = new[] { new BioVec { Page = t.Memory.PhysToPage(provider.Bar.CpuStart), Len = (ulong)length } }, Dir = DmaDirection.ToDevice };
                var iter = new BlkDmaIter();
                if (!BlkMqDma.MapIterStart(req, nvme, iter))
                {
                    return iter.Status == (int)DmaError.RemoteIo ? ThroughRam(t, nvme, provider, length) : Array.Empty<byte>();
                }

                byte[] data = t.Fabric.Read(nvme, iter.Addr, length).Data;
                if (iter.P2PDma.Map != P2PMapType.BusAddr)
                {
                    Dma.UnmapPhys(nvme, iter.Addr, iter.Len, req.Dir, iter.P2PDma.Map == P2PMapType.ThruHostBridge ? DmaAttrs.Mmio : DmaAttrs.None);
                }

                return data;
            }

            // memcpy_fromio into a RAM page, which the device then reads
            private static byte[] ThroughRam(PciTopology t, PciDevice nvme, P2PProvider provider, int length)
            {
                Page bounce = t.Memory.AllocPages(1)[0];
                t.Memory.Write(bounce.Phys, t.Memory.Read(provider.Bar.CpuStart, length));
                DmaAddr addr = Dma.MapPage(nvme, bounce, 0, (ulong)length, DmaDirection.ToDevice);
                if (Dma.MappingError(nvme, addr))
                {
                    return Array.Empty<byte>();
                }

                byte[] data = t.Fabric.Read(nvme, addr, length).Data;
                Dma.UnmapPage(nvme, addr, (ulong)length, DmaDirection.ToDevice);
                return data;
            }
        }
        """;

    internal static readonly string Before = Driver.Replace("%ARM%", "");

    internal static readonly string After = Driver.Replace("{|#0:switch|}", "switch").Replace("%ARM%", """

                    case P2PMapType.NotSupported:
                        iter.Status = (int)DmaError.RemoteIo;
                        return false;
        """);

    [Fact]
    public Task NotSupportedArm_SetsTheIteratorStatus() => Verifier.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0012IncompleteMapTypeHandlingCodeFix>(Before, After,
        Verifier.Diagnostic("P2P0012").WithLocation(0).WithArguments("switch", "has no arm for NotSupported and no default: an unsupported peer must fail the mapping"));
}
