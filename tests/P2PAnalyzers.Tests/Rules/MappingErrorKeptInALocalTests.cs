using P2P0022 = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>;
using P2P0023 = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0023UseAfterUnmapAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// The kernel tests a mapping through a local as often as directly: <c>ret = dma_mapping_error(dev, a); if (ret) goto
/// err;</c> (mxs-dcp's mxs_dcp_run_aes after df6313d707e5, davinci_cpdma's submit). Written in C# with the library's bool
/// check, the local is an errno made from the check or the bool itself. The failure edge of the later test is the
/// mapping's failure: leaving there leaks nothing (P2P0022), and an unwinding label reached only after the test has
/// not seen a failed mapping (P2P0023). Found by a trial on drivers the rules had not been tuned on.
/// </summary>
public sealed class MappingErrorKeptInALocalTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        sealed class Dcp { public PciDevice Dev = null!; public KernelBuffer Key = null!; public KernelBuffer Buf = null!; }

        """;

    [Fact]
    public Task ErrnoLocalFromTheCheck_ReturnedOnFailure_NoLeak() => P2P0022.Analyzer(Usings + """
        static class Aes
        {
            static int Run(Dcp sdcp)
            {
                int ret;
                DmaAddr key = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                ret = Dma.MappingError(sdcp.Dev, key) ? -12 : 0;
                if (ret != 0)
                {
                    return ret;
                }

                Dma.UnmapSingle(sdcp.Dev, key, 32, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    [Fact]
    public Task BoolLocalFromTheCheck_ReturnedOnFailure_NoLeak() => P2P0022.Analyzer(Usings + """
        static class Aes
        {
            static int Run(Dcp sdcp)
            {
                DmaAddr desc = Dma.MapSingle(sdcp.Dev, sdcp.Buf, 0, 64, DmaDirection.ToDevice);
                bool dmaErr = Dma.MappingError(sdcp.Dev, desc);
                if (dmaErr)
                {
                    return -12;
                }

                Dma.UnmapSingle(sdcp.Dev, desc, 64, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // The unwinding of mxs_dcp_run_aes: the second mapping's failure unmaps the first, never the second.
    [Fact]
    public Task ErrnoLocal_UnwindingLabels_NoUseAfterFailure() => P2P0023.Analyzer(Usings + """
        static class Aes
        {
            static int Run(Dcp sdcp)
            {
                int ret;
                DmaAddr key = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                ret = Dma.MappingError(sdcp.Dev, key) ? -12 : 0;
                if (ret != 0)
                {
                    return ret;
                }

                DmaAddr src = Dma.MapSingle(sdcp.Dev, sdcp.Buf, 0, 64, DmaDirection.ToDevice);
                ret = Dma.MappingError(sdcp.Dev, src) ? -12 : 0;
                if (ret != 0)
                {
                    goto errSrc;
                }

                Dma.UnmapSingle(sdcp.Dev, src, 64, DmaDirection.ToDevice);
            errSrc:
                Dma.UnmapSingle(sdcp.Dev, key, 32, DmaDirection.ToDevice);
                return ret;
            }
        }
        """);

    // Still a leak: the local is tested, but the failure branch is the only one that returns, and the success path
    // returns an error later without unmapping.
    [Fact]
    public Task ErrnoLocal_LaterErrorReturnOnSuccess_StillALeak() => P2P0022.Analyzer(Usings + """
        static class Aes
        {
            static int Run(Dcp sdcp, bool ready)
            {
                int ret;
                DmaAddr key = {|#0:Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice)|};
                ret = Dma.MappingError(sdcp.Dev, key) ? -12 : 0;
                if (ret != 0)
                {
                    return ret;
                }

                if (!ready)
                {
                    {|#1:return -22;|}
                }

                Dma.UnmapSingle(sdcp.Dev, key, 32, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, P2P0022.Diagnostic("P2P0022").WithLocation(0).WithLocation(1).WithArguments("Dma.MapSingle", "at 'return -22;', which returns an error"));
}
