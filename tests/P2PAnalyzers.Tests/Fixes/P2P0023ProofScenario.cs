using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// aml_sfc_dma_buffer_setup's two mappings, the second failing, before and after P2P0023's fix
/// (<c>P2P0023FixProofTests</c>).
/// </summary>
public sealed class P2P0023ProofScenario
{
    internal const string Before = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        public sealed class AmlSfc
        {
            public PciDevice Dev = null!;
            public DmaAddr Daddr;
            public DmaAddr Iaddr;
            public uint LastCmd;
        }

        public static class Scenario
        {
            static int RegmapWrite(AmlSfc sfc, uint cmd)
            {
                sfc.LastCmd = cmd;
                return 0;
            }

            // the transfer that sets the buffers up for the controller
            public static int Transfer(PciDevice dev, KernelBuffer databuf, ulong datalen, KernelBuffer infobuf, ulong infolen) =>
                Setup(new AmlSfc { Dev = dev }, databuf, datalen, infobuf, infolen);

            static int Setup(AmlSfc sfc, KernelBuffer databuf, ulong datalen, KernelBuffer infobuf, ulong infolen)
            {
                int ret;
                sfc.Daddr = Dma.MapSingle(sfc.Dev, databuf, 0, datalen, DmaDirection.FromDevice);
                if (Dma.MappingError(sfc.Dev, sfc.Daddr))
                {
                    return -12;
                }

                ret = RegmapWrite(sfc, (uint)(sfc.Daddr.Raw & 0xffff));
                if (ret != 0)
                    goto out_map_data;

                sfc.Iaddr = Dma.MapSingle(sfc.Dev, infobuf, 0, infolen, DmaDirection.FromDevice);
                if (Dma.MappingError(sfc.Dev, sfc.Iaddr))
                {
                    ret = -12;
                    Dma.UnmapSingle(sfc.Dev, sfc.Daddr, datalen, DmaDirection.FromDevice);
                    goto out_map_data;
                }

                return 0;

            out_map_data:
                {|P2P0023:Dma.UnmapSingle(sfc.Dev, sfc.Daddr, datalen, DmaDirection.FromDevice)|};
                return ret;
            }
        }
        """;

    internal const string After = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        public sealed class AmlSfc
        {
            public PciDevice Dev = null!;
            public DmaAddr Daddr;
            public DmaAddr Iaddr;
            public uint LastCmd;
        }

        public static class Scenario
        {
            static int RegmapWrite(AmlSfc sfc, uint cmd)
            {
                sfc.LastCmd = cmd;
                return 0;
            }

            // the transfer that sets the buffers up for the controller
            public static int Transfer(PciDevice dev, KernelBuffer databuf, ulong datalen, KernelBuffer infobuf, ulong infolen) =>
                Setup(new AmlSfc { Dev = dev }, databuf, datalen, infobuf, infolen);

            static int Setup(AmlSfc sfc, KernelBuffer databuf, ulong datalen, KernelBuffer infobuf, ulong infolen)
            {
                int ret;
                sfc.Daddr = Dma.MapSingle(sfc.Dev, databuf, 0, datalen, DmaDirection.FromDevice);
                if (Dma.MappingError(sfc.Dev, sfc.Daddr))
                {
                    return -12;
                }

                ret = RegmapWrite(sfc, (uint)(sfc.Daddr.Raw & 0xffff));
                if (ret != 0)
                    goto out_map_data;

                sfc.Iaddr = Dma.MapSingle(sfc.Dev, infobuf, 0, infolen, DmaDirection.FromDevice);
                if (Dma.MappingError(sfc.Dev, sfc.Iaddr))
                {
                    ret = -12;
                    goto out_map_data;
                }

                return 0;

            out_map_data:
                Dma.UnmapSingle(sfc.Dev, sfc.Daddr, datalen, DmaDirection.FromDevice);
                return ret;
            }
        }
        """;

    [Fact]
    public Task Setup_TheInlineUnmapGoes() =>
        Verify<P2PAnalyzers.Rules.P2P0023UseAfterUnmapAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0023UseAfterUnmapCodeFix>(Before, After);
}
