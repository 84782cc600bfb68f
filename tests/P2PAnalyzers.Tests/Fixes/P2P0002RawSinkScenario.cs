using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0002PhysicalAddressAsBusAddressAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// The P2P0002 fix at an annotated <c>ulong</c> sink (the <c>.Raw</c> kind): ntb_perf-style code programs a peer window
/// through a register-writing helper whose parameter is a bus address, and gives it the BAR's CPU address.
/// </summary>
public sealed class P2P0002RawSinkScenario
{
    private const string Driver = """
        using P2PDma.Addresses;
        using P2PDma.Pci;

        public static class Scenario
        {
            // the client's outbound window register: the device DMAs to the bus address written here
            private static byte[] ReadThroughWindow(PciTopology t, PciDevice client, [PciBusAddress] ulong window, int length) =>
                t.Fabric.Read(client, DmaAddr.FromRaw(window), length).Data;

            public static byte[] ReadPeer(PciTopology t, PciDevice client, PciDevice peer, int length)
            {
                PciBar bar = peer.Bar(0);
                return ReadThroughWindow(t, client, %ARG%, length);
            }
        }
        """;

    internal static readonly string Before = Driver.Replace("%ARG%", "{|P2P0002:bar.CpuStart.Raw|}");

    internal static readonly string After = Driver.Replace("%ARG%", "peer.Bar(0).BusAddressOf(PhysAddr.FromRaw(bar.CpuStart.Raw)).Raw");

    [Fact]
    public Task CpuAddressIntoABusAddressParameter_GetsTheRawBusAddress() =>
        Verifier.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0002PhysicalAddressAsBusAddressCodeFix>(Before, After);
}
