using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// sahara_aes_process over sahara_hw_descriptor_create, before and after P2P0022's fix copies the unmaps made after the
/// timeout test before its return (<c>P2P0022FixProofTests</c>).
/// </summary>
public sealed class P2P0022HelperProofScenario
{
    private const string Template = """
        using P2PDma.Mapping;
        using P2PDma.Pci;

        public sealed class SaharaDev
        {
            public PciDevice Device = null!;
            public SgTable InSg = null!, OutSg = null!;
            public int NbInSg, NbOutSg;
            public bool Completed;
        }

        public static class Scenario
        {
            // sahara_hw_descriptor_create: unwinds its own failure, returns 0 with both lists mapped
            static int HwDescriptorCreate(SaharaDev dev)
            {
                int ret;

                ret = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -22;
                }

                ret = Dma.MapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                if (ret == 0)
                {
                    goto unmap_in;
                }

                return 0;

            unmap_in:
                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return -22;
            }

            // sahara_aes_process: the interrupt never comes when Completed is false
            public static int AesProcess(SaharaDev dev)
            {
                int ret = %CALL%;
                if (ret != 0)
                {
                    return -22;
                }

                if (!dev.Completed)
                {
        %TIMEOUT%
                }

                Dma.UnmapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                return 0;
            }
        }
        """;

    internal static readonly string Before = Template.Replace("%CALL%", "{|P2P0022:HwDescriptorCreate(dev)|}")
        .Replace("%TIMEOUT%", "            return -110;");

    internal static readonly string After = Template.Replace("%CALL%", "HwDescriptorCreate(dev)")
        .Replace("%TIMEOUT%", """
                        Dma.UnmapSg(dev.Device, dev.OutSg, dev.NbOutSg, DmaDirection.FromDevice);
                        Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                        return -110;
            """.TrimEnd());

    [Fact]
    public Task AesProcess_UnmapsBeforeTheTimeoutReturn() =>
        Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0022MappingLeakedCodeFix>(Before, After);
}
