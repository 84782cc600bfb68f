using Microsoft.CodeAnalysis;
using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// The two canonical correct map-type switches of the kernel, rewritten in C# against the companion library. Every
/// family-2 rule (P2P0010-P2P0014) must stay silent on them; each rule's test class checks that on its own, and
/// <see cref="P2P001xCanonicalTests"/> checks it with all analyzers running together.
/// </summary>
internal static class CanonicalSources
{
    /// <summary>
    /// block/blk-mq-dma.c, <c>blk_dma_map_iter_start</c>: classify the page once with <c>pci_p2pdma_state</c>;
    /// BUS_ADDR gets the bus address and returns, THRU_HOST_BRIDGE adds DMA_ATTR_MMIO and falls through to NONE,
    /// anything else fails; then the IOVA path (<c>dma_iova_try_alloc</c>) or <c>dma_map_phys</c> with a mapping-error
    /// check.
    /// </summary>
    public const string BlkDmaMapIterStart = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        enum BlkStatus { Ok, Invalid, Resource }

        struct PhysVec
        {
            public PhysAddr Paddr;
            public ulong Len;
        }

        sealed class BlkDmaIter
        {
            public DmaAddr Addr;
            public ulong Len;
            public P2PMapState P2PDma = new P2PMapState();
            public BlkStatus Status;
        }

        static class BlkMqDma
        {
            public static bool MapIterStart(PciDevice dmaDev, DmaIovaState state, BlkDmaIter iter, PhysVec vec, ulong totalLen, DmaDirection dir)
            {
                DmaAttrs attrs = DmaAttrs.None;
                Page page = dmaDev.Topology.Memory.PhysToPage(vec.Paddr);
                switch (PciP2PDma.State(iter.P2PDma, dmaDev, page))
                {
                    case P2PMapType.BusAddr:
                        // blk_dma_map_bus: the PCI bus address; nothing is mapped.
                        iter.Addr = PciP2PDma.BusAddrMap(iter.P2PDma.Provider, vec.Paddr);
                        iter.Len = vec.Len;
                        return true;
                    case P2PMapType.ThruHostBridge:
                        // Mapped like RAM below (and unmapped the same way), but as MMIO.
                        attrs |= DmaAttrs.Mmio;
                        goto case P2PMapType.None;
                    case P2PMapType.None:
                        break;
                    default:
                        iter.Status = BlkStatus.Invalid;
                        return false;
                }

                if (Dma.IovaTryAlloc(dmaDev, state, vec.Paddr, totalLen))
                {
                    // blk_rq_dma_map_iova
                    DmaError error = Dma.IovaLink(dmaDev, state, vec.Paddr, 0, vec.Len, dir, attrs);
                    if (error == DmaError.None)
                    {
                        error = Dma.IovaSync(dmaDev, state, 0, vec.Len);
                    }

                    if (error != DmaError.None)
                    {
                        Dma.IovaDestroy(dmaDev, state, 0, dir, attrs);
                        iter.Status = BlkStatus.Resource;
                        return false;
                    }

                    iter.Addr = state.Addr;
                    iter.Len = vec.Len;
                    return true;
                }

                // blk_dma_map_direct
                iter.Addr = Dma.MapPhys(dmaDev, vec.Paddr, vec.Len, dir, attrs);
                if (Dma.MappingError(dmaDev, iter.Addr))
                {
                    iter.Status = BlkStatus.Resource;
                    return false;
                }

                iter.Len = vec.Len;
                return true;
            }
        }
        """;

    /// <summary>
    /// drivers/dma-buf/dma-buf-mapping.c, <c>dma_buf_phys_vec_to_sgt</c>: switch on <c>pci_p2pdma_map_type</c>
    /// (BUS_ADDR: no IOVA; THRU_HOST_BRIDGE: try an IOVA range; otherwise -EINVAL), then per range the bus address,
    /// an IOVA link or <c>dma_map_phys(..., DMA_ATTR_MMIO)</c> with error checks, a page-less table with
    /// <c>orig_nents = 0</c>, and an error path that never unmaps bus addresses.
    /// </summary>
    public const string DmaBufPhysVecToSgt = """
        using System.Collections.Generic;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        static class DmaBufMappingPort
        {
            const ulong MaxEntryLength = uint.MaxValue;

            public static DmaResult<SgTable> PhysVecToSgt(DmaBufAttachment attach, P2PProvider provider,
                IReadOnlyList<PhysRange> physVec, ulong size, DmaDirection dir)
            {
                if (attach == null || provider == null)
                {
                    // This function is supposed to work on MMIO memory only.
                    return DmaError.Invalid;
                }

                PciDevice dev = attach.Device;
                DmaIovaState state = null;
                switch (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr:
                        // There is no need for an IOVA at all in this flow.
                        break;
                    case P2PMapType.ThruHostBridge:
                        state = new DmaIovaState();
                        Dma.IovaTryAlloc(dev, state, PhysAddr.FromRaw(0), size);
                        break;
                    default:
                        return DmaError.Invalid;
                }

                SgTable sgt = SgTable.Alloc(CalcSgNents(state, physVec, size));
                int next = 0;
                ulong mappedLen = 0;
                DmaError ret = DmaError.None;
                int i;
                for (i = 0; i < physVec.Count; i++)
                {
                    DmaAddr addr = DmaAddr.MappingError;
                    if (state == null)
                    {
                        addr = PciP2PDma.BusAddrMap(provider, physVec[i].Start);
                    }
                    else if (Dma.UseIova(state))
                    {
                        ret = Dma.IovaLink(dev, state, physVec[i].Start, mappedLen, physVec[i].Size, dir, DmaAttrs.Mmio);
                        if (ret != DmaError.None)
                        {
                            goto ErrUnmapDma;
                        }

                        mappedLen += physVec[i].Size;
                    }
                    else
                    {
                        addr = Dma.MapPhys(dev, physVec[i].Start, physVec[i].Size, dir, DmaAttrs.Mmio);
                        if (Dma.MappingError(dev, addr))
                        {
                            ret = DmaError.Io;
                            goto ErrUnmapDma;
                        }
                    }

                    if (state == null || !Dma.UseIova(state))
                    {
                        next = FillSgEntry(sgt, next, physVec[i].Size, addr);
                    }
                }

                if (state != null && Dma.UseIova(state))
                {
                    ret = Dma.IovaSync(dev, state, 0, mappedLen);
                    if (ret != DmaError.None)
                    {
                        goto ErrUnmapDma;
                    }

                    next = FillSgEntry(sgt, next, mappedLen, state.Addr);
                }

                // No CPU list: orig_nents = 0 tells everybody to use nents only.
                sgt.OrigNents = 0;
                sgt.Nents = next;
                return sgt;

            ErrUnmapDma:
                if (i == 0 || state == null)
                {
                    // Nothing mapped yet, or bus addresses only: nothing to undo.
                }
                else if (Dma.UseIova(state))
                {
                    Dma.IovaDestroy(dev, state, mappedLen, dir, DmaAttrs.Mmio);
                }
                else
                {
                    for (int j = 0; j < next; j++)
                    {
                        Dma.UnmapPhys(dev, sgt[j].DmaAddress, sgt[j].DmaLength, dir, DmaAttrs.Mmio);
                    }
                }

                return ret;
            }

            static int CalcSgNents(DmaIovaState state, IReadOnlyList<PhysRange> physVec, ulong size)
            {
                if (state != null && Dma.UseIova(state))
                {
                    return (int)((size + MaxEntryLength - 1) / MaxEntryLength);
                }

                int nents = 0;
                foreach (PhysRange range in physVec)
                {
                    nents += (int)((range.Size + MaxEntryLength - 1) / MaxEntryLength);
                }

                return nents;
            }

            // fill_sg_entry: split a segment longer than one entry can hold.
            static int FillSgEntry(SgTable sgt, int next, ulong length, DmaAddr addr)
            {
                for (ulong done = 0; done < length; done += MaxEntryLength)
                {
                    ulong piece = length - done < MaxEntryLength ? length - done : MaxEntryLength;
                    sgt[next].SetPage(null, 0, 0);
                    sgt[next].DmaAddress = addr + done;
                    sgt[next].DmaLength = piece;
                    next++;
                }

                return next;
            }
        }
        """;
}

/// <summary>Both canonical sources compile and draw nothing from any family-2 rule, with every analyzer running at once.</summary>
public sealed class P2P001xCanonicalTests
{
    [Theory]
    [InlineData(nameof(CanonicalSources.BlkDmaMapIterStart))]
    [InlineData(nameof(CanonicalSources.DmaBufPhysVecToSgt))]
    public async Task CanonicalSwitch_CompilesAndNoFamily2Diagnostic(string name)
    {
        string source = name == nameof(CanonicalSources.BlkDmaMapIterStart) ? CanonicalSources.BlkDmaMapIterStart : CanonicalSources.DmaBufPhysVecToSgt;
        var compilation = AllAnalyzers.Compile(source);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var diagnostics = await AllAnalyzers.RunAsync(compilation);
        Assert.Empty(diagnostics.Where(d => d.Id.StartsWith("P2P001", System.StringComparison.Ordinal) || d.Id == "AD0001"));
    }
}
