using System.Collections.Generic;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.P2P;

namespace Samples.AmdgpuExporter;

/// <summary>
/// amdgpu_dma_buf.c: the exporter's callbacks. "Is P2P possible?" at attach time; the map callback asks the VRAM
/// manager for a table.
/// </summary>
public sealed class AmdgpuDmaBuf : DmaBufOps
{
    private readonly AmdgpuDevice _adev;
    private readonly AmdgpuVramMgr _vramMgr;
    private readonly IReadOnlyList<(ulong Start, ulong Size)> _blocks;

    /// <param name="adev">The GPU, probed (<see cref="GmcV9.McInit"/> has run).</param>
    /// <param name="blocks">The buffer's VRAM blocks: offsets into the aperture and sizes.</param>
    public AmdgpuDmaBuf(AmdgpuDevice adev, IReadOnlyList<(ulong Start, ulong Size)> blocks)
    {
        _adev = adev;
        _vramMgr = new AmdgpuVramMgr(adev);
        _blocks = blocks;
    }

    /// <summary>amdgpu_dma_buf_attach: the distance says P2P is possible, not how to map it.</summary>
    public override DmaError Attach(DmaBufAttachment attach)
    {
        if (PciP2PDma.Distance(_adev.Pdev, attach.Device) < 0)
        {
            attach.Peer2Peer = false;
        }

        return DmaError.None;
    }

    /// <summary>amdgpu_dma_buf_map: VRAM is exported through the VRAM manager's table.</summary>
    public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir) =>
        attach.Peer2Peer ? _vramMgr.AllocSgt(_blocks, attach.Device, dir) : DmaError.NotSupported;

    /// <summary>amdgpu_dma_buf_unmap.</summary>
    public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir) =>
        AmdgpuVramMgr.FreeSgt(attach.Device, dir, table);
}
