namespace P2PAnalyzers.Tests.Fixes;

/// <summary>The P2P0013 scenario for the executed proof; its fix is checked in <see cref="P2P0013CodeFixTests"/>.</summary>
internal static class P2P0013ProofScenario
{
    internal const string Before = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        public static class Scenario
        {
            // nvme before IOD_P2P_BUS_ADDR: every address is unmapped the same way, bus addresses included.
            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                P2PDmaMapping m = Dma.MapP2P(client, provider, provider.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice);
                if (m.Failed)
                {
                    return Array.Empty<byte>();
                }

                byte[] data = t.Fabric.Read(client, m.Address, length).Data;
                {|P2P0013:Dma.UnmapPhys(client, m.Address, (ulong)length, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
                return data;
            }
        }
        """;

    internal const string After = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        public static class Scenario
        {
            // nvme before IOD_P2P_BUS_ADDR: every address is unmapped the same way, bus addresses included.
            public static byte[] ReadPeer(PciTopology t, PciDevice client, P2PProvider provider, int length)
            {
                P2PDmaMapping m = Dma.MapP2P(client, provider, provider.Bar.CpuStart, (ulong)length, DmaDirection.ToDevice);
                if (m.Failed)
                {
                    return Array.Empty<byte>();
                }

                byte[] data = t.Fabric.Read(client, m.Address, length).Data;
                m.Unmap();
                return data;
            }
        }
        """;
}
