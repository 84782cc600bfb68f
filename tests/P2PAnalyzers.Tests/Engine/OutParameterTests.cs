using P2PAnalyzers.Rules;

namespace P2PAnalyzers.Tests.Engine;

/// <summary>
/// An address handed back through an out parameter of an interface method (ntb's <c>ntb_peer_mw_get_addr</c>, called
/// through <c>ntb->ops</c>), computed with a conditional in the value (<c>bar + (idx == b2b_idx ? b2b_off : 0)</c>),
/// cached in a struct and mapped in another method.
/// </summary>
public sealed class OutParameterTests
{
    private const string Usings = "using P2PDma.Addresses;\nusing P2PDma.Mapping;\nusing P2PDma.Pci;\n";

    [Theory]
    [InlineData("a = Pdev.Bar(2).CpuStart;", "peer.Out = p;")]
    [InlineData("a = Pdev.Bar(2).CpuStart + (idx == B2bIdx ? B2bOff : 0);", "peer.Out = p;")]
    [InlineData("int bar = Bars[idx]; a = Pdev.Bar(bar).CpuStart;", "peer.Out = p;")]
    [InlineData("a = Pdev.Bar(2).CpuStart;", "if (ret != 0) { return; } peer.Out = p;")]
    public Task ThroughInterfaceMethod_StoredAndMappedElsewhere_Reports(string implementation, string store) => WholeProgramTests.Run<P2P0010PeerMemoryMappedWithoutMapTypeAnalyzer>(
        Usings + """
        interface INtbOps { int PeerMwGetAddr(int idx, out PhysAddr a, out ulong size); }

        sealed class IntelNtb : INtbOps
        {
            public PciDevice Pdev = null!;
            public int B2bIdx = -1;
            public ulong B2bOff;
            public int[] Bars = { 2, 4 };

            public int PeerMwGetAddr(int idx, out PhysAddr a, out ulong size)
            {
                IMPLEMENTATION
                size = 4096;
                return 0;
            }
        }

        sealed class PerfPeer { public PhysAddr Out; public ulong Size; public INtbOps Ops = null!; }
        """.Replace("IMPLEMENTATION", implementation),
        Usings + "static class Setup { public static void SetupPeerMw(PerfPeer peer) { int ret = peer.Ops.PeerMwGetAddr(0, out PhysAddr p, out peer.Size); " + store + " } }",
        Usings + "static class Init { public static DmaAddr InitTest(PciDevice chan, PerfPeer peer) => {|P2P0010:Dma.MapResource(chan, peer.Out, peer.Size, DmaDirection.FromDevice, 0)|}; }");
}
