using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0003HandBuiltDmaOnlyTableAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

public sealed class P2P0003CodeFixTests
{
    internal const string Before = """
        using System.Collections.Generic;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.P2P;

        // amdgpu_dma_buf_map + amdgpu_vram_mgr_alloc_sgt / amdgpu_vram_mgr_free_sgt, transliterated.
        public sealed class Exporter : DmaBufOps
        {
            private readonly P2PProvider _provider;
            private readonly IReadOnlyList<PhysRange> _blocks;

            public Exporter(P2PProvider provider, IReadOnlyList<PhysRange> blocks)
            {
                _provider = provider;
                _blocks = blocks;
            }

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir) => {|P2P0003:AllocSgt(attach, dir)|};

            private DmaResult<SgTable> AllocSgt(DmaBufAttachment attach, DmaDirection dir)
            {
                SgTable table = SgTable.Alloc(_blocks.Count);
                for (int i = 0; i < _blocks.Count; i++)
                {
                    // one entry per VRAM block
                    PhysAddr phys = _blocks[i].Start;
                    ulong size = _blocks[i].Size;
                    DmaAddr addr = Dma.MapResource(attach.Device, phys, size, dir, DmaAttrs.SkipCpuSync);
                    if (Dma.MappingError(attach.Device, addr))
                    {
                        return DmaError.NoMemory;
                    }

                    Scatterlist sg = table[i];
                    sg.SetPage(null, size, 0);
                    sg.DmaAddress = addr;
                    sg.DmaLength = size;
                }

                return table;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir)
            {
                foreach (Scatterlist sg in table.DmaSegments)
                {
                    Dma.UnmapResource(attach.Device, sg.DmaAddress, sg.DmaLength, dir, DmaAttrs.SkipCpuSync);
                }
            }
        }
        """;

    internal const string After = """
        using System.Collections.Generic;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.P2P;

        // amdgpu_dma_buf_map + amdgpu_vram_mgr_alloc_sgt / amdgpu_vram_mgr_free_sgt, transliterated.
        public sealed class Exporter : DmaBufOps
        {
            private readonly P2PProvider _provider;
            private readonly IReadOnlyList<PhysRange> _blocks;

            public Exporter(P2PProvider provider, IReadOnlyList<PhysRange> blocks)
            {
                _provider = provider;
                _blocks = blocks;
            }

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir) => AllocSgt(attach, dir);

            private DmaResult<SgTable> AllocSgt(DmaBufAttachment attach, DmaDirection dir)
            {
                var ranges = new List<PhysRange>();
                ulong total = 0;
                for (int i = 0; i < _blocks.Count; i++)
                {
                    // one entry per VRAM block
                    PhysAddr phys = _blocks[i].Start;
                    ulong size = _blocks[i].Size;
                    ranges.Add(new PhysRange(phys, size));
                    total += size;
                }

                return DmaBufMapping.PhysVecToSgt(attach, _provider, ranges, total, dir);
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir)
            {
                DmaBufMapping.FreeSgt(attach, table, dir);
            }
        }
        """;

    [Fact]
    public Task AmdgpuAllocSgt_BecomesPhysVecToSgt_AndFreeSgt() => Verifier.CodeFix<P2P0003HandBuiltDmaOnlyTableCodeFix>(Before, After);

    [Fact]
    public Task UnrecognisedLoop_ReportsWithoutFix() => Verifier.NoCodeFix<P2P0003HandBuiltDmaOnlyTableCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.P2P;

        public sealed class Exporter : DmaBufOps
        {
            private readonly P2PProvider _provider = null!;

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                SgTable table = SgTable.Alloc(1);
                System.Console.WriteLine("logging in the loop is not part of the recognised shape");
                table[0].DmaAddress = DmaAddr.FromRaw(_provider.Bar.CpuStart.Raw);
                table[0].DmaLength = 4096;
                return {|P2P0003:table|};
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir)
            {
            }
        }
        """);
}
