using System.Threading.Tasks;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PDma.Debugging;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0022's fix where two error returns leak the same mapping, shaped as mxs_dcp_start_dma (the descriptor's address
/// written into the command pointer register, then -ETIMEDOUT or -EINVAL with it still mapped): the fix unmaps before
/// both, and executed on each path nothing is left mapped.
/// </summary>
public sealed class P2P0022TwoExitsFixProofTests
{
    private const string Driver = """
        public sealed class Chan
        {
            public PciDevice Dev = null!;
            public uint[] Regs = new uint[64];
            public bool TimesOut;
            public uint Stat;
        }

        public static class Dcp
        {
            static void Writel(uint value, uint[] regs, int reg) => regs[reg / 4] = value;

            public static int StartDma(Chan chan, KernelBuffer desc)
            {
                DmaAddr descPhys = {|P2P0022:Dma.MapSingle(chan.Dev, desc, 0, 32, DmaDirection.ToDevice)|};
                if (Dma.MappingError(chan.Dev, descPhys))
                {
                    return -12;
                }

                Writel((uint)descPhys.Raw, chan.Regs, 0x20);
                if (chan.TimesOut)
                {
                    return -110;
                }

                if ((chan.Stat & 0xff) != 0)
                {
                    return -22;
                }

                Dma.UnmapSingle(chan.Dev, descPhys, 32, DmaDirection.ToDevice);
                return 0;
            }
        }
        """;

    [Fact]
    public async Task FixUnmapsBeforeBothErrorReturns()
    {
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0022MappingLeakedCodeFix(), "P2P0022", "MapSingle", Driver);
        string fixedText = after[0];
        int unmaps = fixedText.Split("Dma.UnmapSingle(chan.Dev, descPhys, 32, DmaDirection.ToDevice);").Length - 1;
        Assert.Equal(3, unmaps); // the driver's own, and one before each error return

        foreach ((bool timesOut, uint stat, int expected) in new[] { (true, 0u, -110), (false, 1u, -22), (false, 0u, 0) })
        {
            PciTopology before = ProofTopologies.SwitchLocalIommu();
            Assert.Equal(expected, Run(Driver, before, timesOut, stat));
            Assert.Equal(expected == 0 ? 0 : 1, before.DmaDebug.LiveMappings(before.Device("nic0")));

            PciTopology t = ProofTopologies.SwitchLocalIommu();
            Assert.Equal(expected, Run(fixedText, t, timesOut, stat));
            Assert.Equal(0, t.DmaDebug.LiveMappings(t.Device("nic0")));
            t.Device("nic0").Unbind();
            Assert.DoesNotContain(t.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.LeakedAtUnbind);
        }
    }

    private static int Run(string source, PciTopology t, bool timesOut, uint stat)
    {
        t.DmaDebug.Enabled = true;
        var assembly = ScenarioRunner.Compile(P2PAnalyzers.Tests.Kernel.KernelVerify.Usings + source);
        object chan = System.Activator.CreateInstance(assembly.GetType("Chan", throwOnError: true)!)!;
        chan.GetType().GetField("Dev")!.SetValue(chan, t.Device("nic0"));
        chan.GetType().GetField("TimesOut")!.SetValue(chan, timesOut);
        chan.GetType().GetField("Stat")!.SetValue(chan, stat);
        return (int)assembly.GetType("Dcp", throwOnError: true)!.GetMethod("StartDma")!.Invoke(null, new[] { chan, t.Memory.Kmalloc(4096) })!;
    }
}
