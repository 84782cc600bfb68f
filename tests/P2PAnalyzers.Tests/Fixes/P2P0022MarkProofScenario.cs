using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// sahara_sha_process over sahara_sha_hw_data_descriptor_create and sahara_sha_hw_links_create, before and after
/// P2P0022's fix copies the unmap made under the <c>sg_in_idx</c> mark before the timeout return
/// (<c>P2P0022FixProofTests</c>).
/// </summary>
public sealed class P2P0022MarkProofScenario
{
    private const string Template = """
        using P2PDma.Mapping;
        using P2PDma.Pci;

        public sealed class ShaDev
        {
            public PciDevice Device = null!;
            public SgTable InSg = null!;
            public int NbInSg;
            public bool Completed;
        }

        public sealed class ShaReqctx { public SgTable InSg = null!; public int SgInIdx; public bool First; }

        public static class Scenario
        {
            // sahara_sha_hw_links_create: maps dev->in_sg, returns the next link index or an errno
            static int HwLinksCreate(ShaDev dev, ShaReqctx rctx, int start)
            {
                dev.InSg = rctx.InSg;
                int ret = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -14;
                }

                return start + ret;
            }

            // sahara_sha_hw_data_descriptor_create: sg_in_idx marks that the links were made
            static int HwDataDescriptorCreate(ShaDev dev, ShaReqctx rctx, int index)
            {
                int i = HwLinksCreate(dev, rctx, index);
                rctx.SgInIdx = index;
                if (i < 0)
                {
                    return i;
                }

                return 0;
            }

            // sahara_sha_process, a request after the first (descriptor 1): the interrupt never comes when Completed is false
            public static int ShaProcess(ShaDev dev, ShaReqctx rctx)
            {
                if (rctx.First)
                {
                    %CREATE0%;
                    rctx.First = false;
                }
                else
                {
                    %CREATE1%;
                }

                if (!dev.Completed)
                {
        %TIMEOUT%
                }

                if (rctx.SgInIdx != 0)
                {
                    Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                }

                return 0;
            }
        }
        """;

    internal static readonly string Before = Template
        .Replace("%CREATE0%", "{|P2P0022:HwDataDescriptorCreate(dev, rctx, 0)|}")
        .Replace("%CREATE1%", "{|P2P0022:HwDataDescriptorCreate(dev, rctx, 1)|}")
        .Replace("%TIMEOUT%", "            return -110;");

    internal static readonly string After = Template
        .Replace("%CREATE0%", "HwDataDescriptorCreate(dev, rctx, 0)")
        .Replace("%CREATE1%", "HwDataDescriptorCreate(dev, rctx, 1)")
        .Replace("%TIMEOUT%", """
                        if (rctx.SgInIdx != 0)
                        {
                            Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                        }

                        return -110;
            """.TrimEnd());

    [Fact]
    public Task ShaProcess_UnmapsUnderTheMarkBeforeTheTimeoutReturn() =>
        Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0022MappingLeakedCodeFix>(Before, After);
}
