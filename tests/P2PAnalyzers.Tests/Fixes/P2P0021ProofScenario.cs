using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>ath10k's management-frame error path before and after P2P0021's fix, for the executed proof (<c>P2P0021FixProofTests</c>).</summary>
public sealed class P2P0021ProofScenario
{
    private const string Template = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        public static class Scenario
        {
            // ath10k_mgmt_over_wmi_tx_work: the firmware refuses the frame, so the driver unmaps it again.
            public static int MgmtTx(PciDevice dev, KernelBuffer frame, uint len)
            {
                DmaAddr paddr = Dma.MapSingle(dev, frame, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(dev, paddr))
                {
                    return -12;
                }

                int ret = -11; // ath10k_wmi_mgmt_tx_send: no credits
                if (ret != 0)
                {
                    Dma.UnmapSingle(dev, paddr, len, DIR);
                }

                return ret;
            }
        }
        """;

    internal static readonly string Before = Template.Replace("DIR", "{|P2P0021:DmaDirection.FromDevice|}");

    internal static readonly string After = Template.Replace("DIR", "DmaDirection.ToDevice");

    [Fact]
    public Task Ath10kMgmtTx_UnmapsToDevice() =>
        Verify<P2PAnalyzers.Rules.P2P0021UnmapDoesNotMatchMapAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0021UnmapDoesNotMatchMapCodeFix>(Before, After);
}
