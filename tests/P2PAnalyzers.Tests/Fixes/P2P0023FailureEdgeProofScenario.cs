using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// A map call's failure that jumps to the label unmapping it (aml_sfc_dma_buffer_setup's shape), before and after
/// P2P0023's fix routes the failure past the unmap (<c>P2P0023FixProofTests</c>).
/// </summary>
public sealed class P2P0023FailureEdgeProofScenario
{
    private const string Template = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        public static class Scenario
        {
            static int Write(PciDevice dev, DmaAddr daddr, ulong len) => 0;

            public static int Transfer(PciDevice dev, KernelBuffer databuf, ulong datalen)
            {
                int ret;
                DmaAddr daddr = Dma.MapSingle(dev, databuf, 0, datalen, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, daddr))
                {
                    ret = -12;
                    %JUMP%
                }

                ret = Write(dev, daddr, datalen);
                if (ret != 0)
                {
                    goto out_map_data;
                }

                Dma.UnmapSingle(dev, daddr, datalen, DmaDirection.ToDevice);
                return 0;

            out_map_data:
                %UNMAP%;
                return ret;
            }
        }
        """;

    internal static readonly string Before = Template.Replace("%JUMP%", "goto out_map_data;")
        .Replace("%UNMAP%", "{|P2P0023:Dma.UnmapSingle(dev, daddr, datalen, DmaDirection.ToDevice)|}");

    internal static readonly string After = Template.Replace("%JUMP%", "return ret;")
        .Replace("%UNMAP%", "Dma.UnmapSingle(dev, daddr, datalen, DmaDirection.ToDevice)");

    [Fact]
    public Task Transfer_LeavesPastTheUnmapOnFailure() =>
        Verify<P2PAnalyzers.Rules.P2P0023UseAfterUnmapAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0023UseAfterUnmapCodeFix>(Before, After);
}
