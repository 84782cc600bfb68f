using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0022 and a driver's register write (<c>writel(addr, base + CMDPTR)</c> through a helper over a word array, as
/// mxs-dcp's mxs_dcp_start_dma programs its channel): the address reaches the device, the mapping stays the driver's,
/// and a timeout return must still unmap it. The same helper storing into a ring the completion unmaps from hands the
/// mapping on, as does a helper that keeps the value anywhere else too.
/// </summary>
public sealed class P2P0022RegisterWriteTests
{
    private const string Source = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        sealed class Chan
        {
            public PciDevice Dev = null!;
            public uint[] Regs = new uint[64];     // the channel's register window
            public uint[] Ring = new uint[64];     // descriptor words the completion reads back
            public uint Last;
            public bool Done;
        }

        static class Hw
        {
            public static void Writel(uint value, uint[] regs, int reg) => regs[reg / 4] = value;

            public static void WritelAndKeep(Chan chan, uint value, uint[] regs, int reg)
            {
                regs[reg / 4] = value;
                chan.Last = value;
            }
        }

        static class Driver
        {
            public static int StartDma(Chan chan, KernelBuffer desc)
            {
                DmaAddr phys = {|#0:Dma.MapSingle(chan.Dev, desc, 0, 32, DmaDirection.ToDevice)|};
                if (Dma.MappingError(chan.Dev, phys))
                {
                    return -12;
                }

                WRITE
                if (!chan.Done)
                {
                    {|#1:return -110;|}
                }

                Dma.UnmapSingle(chan.Dev, phys, 32, DmaDirection.ToDevice);
                return 0;
            }

            public static void Complete(Chan chan, int i) =>
                Dma.UnmapSingle(chan.Dev, DmaAddr.FromRaw(chan.Ring[i]), 32, DmaDirection.ToDevice);
        }
        """;

    [Fact]
    public Task AddressWrittenToACommandRegister_TimeoutReturnLeaks_Reports() => Verifier.Analyzer(
        Source.Replace("WRITE", "Hw.Writel((uint)phys.Raw, chan.Regs, 0x20);"),
        Verifier.Diagnostic("P2P0022").WithLocation(0).WithLocation(1).WithArguments("Dma.MapSingle", "at 'return -110;', which returns an error"));

    [Fact]
    public Task AddressWrittenIntoARingTheCompletionUnmapsFrom_HandedOn_NoDiagnostic() => Verifier.Analyzer(
        Source.Replace("WRITE", "Hw.Writel((uint)phys.Raw, chan.Ring, 0);").Replace("{|#0:", string.Empty).Replace("ToDevice)|};", "ToDevice);")
            .Replace("{|#1:return -110;|}", "return -110;"));

    [Fact]
    public Task HelperAlsoKeepsTheValue_HandedOn_NoDiagnostic() => Verifier.Analyzer(
        Source.Replace("WRITE", "Hw.WritelAndKeep(chan, (uint)phys.Raw, chan.Regs, 0x20);").Replace("{|#0:", string.Empty).Replace("ToDevice)|};", "ToDevice);")
            .Replace("{|#1:return -110;|}", "return -110;"));
}
