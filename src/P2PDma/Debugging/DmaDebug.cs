using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace P2PDma.Debugging;

/// <summary>
/// The runtime checks of <c>CONFIG_DMA_API_DEBUG</c> (kernel/dma/debug.c) and <c>CONFIG_DMABUF_DEBUG</c> for one
/// topology. Off by default; findings are structured values, and optionally exceptions.
/// </summary>
public sealed class DmaDebug
{
    private const int RememberedUnmaps = 256;

    private readonly object _gate = new();
    private readonly List<DmaDebugEntry> _live = new();
    private readonly Queue<DmaDebugEntry> _unmapped = new();
    private readonly List<DmaDebugFinding> _findings = new();

    internal DmaDebug()
    {
    }

    /// <summary>Turns the DMA API checks on (<c>CONFIG_DMA_API_DEBUG</c>). Mappings made while off are not tracked.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Turns the dma-buf checks on (<c>CONFIG_DMABUF_DEBUG</c>): importers that read the pages of an imported table,
    /// and exporters that hand out unaligned DMA segments, are reported.
    /// </summary>
    public bool DmaBufChecks { get; set; }

    /// <summary>Also throw a <see cref="DmaDebugException"/> for each finding, so the offending call fails loudly.</summary>
    public bool ThrowOnFinding { get; set; }

    /// <summary>Every finding so far, oldest first.</summary>
    public IReadOnlyList<DmaDebugFinding> Findings
    {
        get
        {
            lock (_gate)
            {
                return _findings.ToArray();
            }
        }
    }

    /// <summary>Forgets the findings (live mappings stay tracked).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _findings.Clear();
        }
    }

    /// <summary>How many tracked mappings of <paramref name="device"/> are live.</summary>
    public int LiveMappings(PciDevice device)
    {
        lock (_gate)
        {
            return _live.Count(e => e.Device == device);
        }
    }

    internal void OnMap(DmaDebugEntry entry)
    {
        if (!Enabled)
        {
            return;
        }

        lock (_gate)
        {
            _live.Add(entry);
        }
    }

    internal void OnMappingErrorCheck(PciDevice device, DmaAddr address)
    {
        lock (_gate)
        {
            foreach (DmaDebugEntry e in _live.Where(e => e.Device == device && e.Address == address))
            {
                e.ErrorChecked = true;
            }
        }
    }

    internal void OnUnmap(PciDevice device, DmaAddr address, ulong size, DmaDirection direction, DmaMapFamily family, bool knowsBusAddress = false)
    {
        if (!Enabled)
        {
            return;
        }

        if (address == DmaAddr.MappingError)
        {
            Report(DmaDebugFindingKind.UnmapOfMappingError, device, address, "device driver tries to free an invalid DMA memory address (DMA_MAPPING_ERROR)");
            return;
        }

        DmaDebugEntry? entry = Take(e => e.Device == device && e.Address == address && e.Table is null);
        if (entry is null)
        {
            ReportNotMapped(device, address);
            return;
        }

        var findings = new List<(DmaDebugFindingKind, string)>();
        if (entry.BusAddress && !knowsBusAddress)
        {
            findings.Add((DmaDebugFindingKind.UnmapBusAddress, $"device driver unmaps PCI bus address {address}: bus addresses are never mapped, so never unmapped"));
        }

        if (entry.Family != family)
        {
            findings.Add((DmaDebugFindingKind.UnmapFamilyMismatch, $"device driver frees DMA memory with wrong function [mapped as {entry.Family}] [unmapped as {family}]"));
        }

        if (entry.Size != size)
        {
            findings.Add((DmaDebugFindingKind.UnmapSizeMismatch, $"device driver frees DMA memory with different size [map size=0x{entry.Size:x}] [unmap size=0x{size:x}]"));
        }

        if (entry.Direction != direction)
        {
            findings.Add((DmaDebugFindingKind.UnmapDirectionMismatch, $"device driver frees DMA memory with different direction [mapped as {entry.Direction}] [unmapped as {direction}]"));
        }

        AddUncheckedFinding(entry, findings);
        Report(device, address, findings);
    }

    internal void OnUnmapSg(PciDevice device, SgTable table, int nents, DmaDirection direction)
    {
        if (!Enabled)
        {
            return;
        }

        DmaDebugEntry? entry = Take(e => e.Device == device && e.Table == table);
        DmaAddr first = table.Count > 0 ? table[0].DmaAddress : default;
        if (entry is null)
        {
            ReportNotMapped(device, first);
            return;
        }

        var findings = new List<(DmaDebugFindingKind, string)>();
        if (entry.Nents != nents)
        {
            findings.Add((DmaDebugFindingKind.UnmapNentsMismatch, $"device driver frees DMA sg list with different entry count [map count={entry.Nents}] [unmap count={nents}]"));
        }

        if (entry.Direction != direction)
        {
            findings.Add((DmaDebugFindingKind.UnmapDirectionMismatch, $"device driver frees DMA sg list with different direction [mapped as {entry.Direction}] [unmapped as {direction}]"));
        }

        Report(device, first, findings);
    }

    internal void OnSync(PciDevice device, DmaAddr address, ulong size, DmaDirection direction)
    {
        if (!Enabled)
        {
            return;
        }

        DmaDebugEntry? entry;
        bool wasUnmapped;
        lock (_gate)
        {
            entry = _live.FirstOrDefault(e => e.Device == device && e.Touches(address));
            wasUnmapped = _unmapped.Any(e => e.Device == device && e.Touches(address));
        }

        if (entry is null)
        {
            string when = wasUnmapped ? "after it was unmapped" : "that was never mapped";
            Report(DmaDebugFindingKind.SyncNotMapped, device, address, $"device driver syncs DMA memory {when} [size=0x{size:x}]");
            return;
        }

        var findings = new List<(DmaDebugFindingKind, string)>();
        if (!entry.Covers(address, size))
        {
            findings.Add((DmaDebugFindingKind.SyncOutOfRange, $"device driver syncs DMA memory outside allocated range [mapped {entry.Address} size=0x{entry.Size:x}] [sync size=0x{size:x}]"));
        }

        if (entry.Direction != DmaDirection.Bidirectional && entry.Direction != direction)
        {
            findings.Add((DmaDebugFindingKind.SyncDirectionMismatch, $"device driver syncs DMA memory with different direction [mapped as {entry.Direction}] [synced as {direction}]"));
        }

        Report(device, address, findings);
    }

    /// <summary>An sg sync: the whole table (<c>dma_sync_sgtable_*</c>), or the entry count given (<c>dma_sync_sg_*</c>), which must be the map's.</summary>
    internal void OnSyncSg(PciDevice device, SgTable table, DmaDirection direction, int? nents = null)
    {
        if (!Enabled)
        {
            return;
        }

        DmaDebugEntry? entry;
        bool wasUnmapped;
        lock (_gate)
        {
            entry = _live.FirstOrDefault(e => e.Device == device && e.Table == table);
            wasUnmapped = _unmapped.Any(e => e.Device == device && e.Table == table);
        }

        DmaAddr first = table.Count > 0 ? table[0].DmaAddress : default;
        if (entry is null)
        {
            Report(DmaDebugFindingKind.SyncNotMapped, device, first,
                $"device driver syncs an sg list {(wasUnmapped ? "after it was unmapped" : "that was never mapped")}");
        }
        else
        {
            var findings = new List<(DmaDebugFindingKind, string)>();
            if (nents is int count && count != entry.Nents)
            {
                findings.Add((DmaDebugFindingKind.SyncNentsMismatch, $"device driver syncs DMA sg list with different entry count [map count={entry.Nents}] [sync count={count}]"));
            }

            if (entry.Direction != DmaDirection.Bidirectional && entry.Direction != direction)
            {
                findings.Add((DmaDebugFindingKind.SyncDirectionMismatch, $"device driver syncs an sg list with different direction [mapped as {entry.Direction}] [synced as {direction}]"));
            }

            Report(device, first, findings);
        }
    }

    /// <summary>Forgets every tracked mapping of one family inside [address, address+size) (IOVA destroy).</summary>
    internal void OnUnmapRange(PciDevice device, DmaAddr address, ulong size, DmaMapFamily family)
    {
        lock (_gate)
        {
            _live.RemoveAll(e => e.Device == device && e.Family == family && e.Address >= address && e.Address.Raw - address.Raw < size);
        }
    }

    internal void OnUnbind(PciDevice device)
    {
        if (!Enabled)
        {
            return;
        }

        // Reported once, then forgotten: the driver that owned them is gone (see PciDevice.Unbind).
        DmaDebugEntry[] leaked;
        lock (_gate)
        {
            leaked = _live.Where(e => e.Device == device).ToArray();
            _live.RemoveAll(e => e.Device == device);
        }

        Report(device, leaked.FirstOrDefault()?.Address ?? default, leaked
            .Select(e => (DmaDebugFindingKind.LeakedAtUnbind, $"DMA-API: device driver has pending DMA allocations while released from device [count={leaked.Length}]: {e.Family} mapping at {e.Address} size=0x{e.Size:x}"))
            .ToList());
    }

    internal void Report(DmaDebugFindingKind kind, PciDevice device, DmaAddr address, string message) =>
        Report(device, address, new List<(DmaDebugFindingKind, string)> { (kind, message) });

    private static void AddUncheckedFinding(DmaDebugEntry entry, List<(DmaDebugFindingKind, string)> findings)
    {
        if (!entry.ErrorChecked)
        {
            findings.Add((DmaDebugFindingKind.MappingErrorNotChecked, $"device driver failed to check map error [{entry.Family} mapping at {entry.Address} size=0x{entry.Size:x}]"));
        }
    }

    private DmaDebugEntry? Take(System.Func<DmaDebugEntry, bool> match)
    {
        lock (_gate)
        {
            DmaDebugEntry? entry = _live.FirstOrDefault(match);
            if (entry is not null)
            {
                _live.Remove(entry);
                _unmapped.Enqueue(entry);
                if (_unmapped.Count > RememberedUnmaps)
                {
                    _unmapped.Dequeue();
                }
            }

            return entry;
        }
    }

    private void ReportNotMapped(PciDevice device, DmaAddr address)
    {
        bool twice;
        lock (_gate)
        {
            twice = _unmapped.Any(e => e.Device == device && e.Address == address);
        }

        Report(DmaDebugFindingKind.UnmapNotMapped, device, address, twice
            ? "device driver tries to free DMA memory it has already freed"
            : "device driver tries to free DMA memory it has not allocated");
    }

    private void Report(PciDevice device, DmaAddr address, List<(DmaDebugFindingKind Kind, string Message)> found)
    {
        if (found.Count == 0)
        {
            return;
        }

        DmaDebugFinding[] findings = found.Select(f => new DmaDebugFinding(f.Kind, device, address, f.Message)).ToArray();
        lock (_gate)
        {
            _findings.AddRange(findings);
        }

        if (ThrowOnFinding)
        {
            throw new DmaDebugException(findings[0]);
        }
    }
}
