using P2PDma.Pci;
using P2PDma.Pci.Description;

namespace P2PAnalyzers.Robustness.Regressions;

/// <summary>Minimal repros of what the topology fuzzer found.</summary>
public sealed class TopologyLoaderRegressionTests
{
    /// <summary>
    /// Found by the long-mode topology fuzzer (a BAR's cpu mutated to 18014398509481983K = 0xffff_ffff_ffff_fc00): a BAR
    /// in the last page of the 64-bit space below a host bridge with an IOMMU made the IOMMU's bus reservation overflow
    /// (OverflowException out of Parse). The range is valid, so it must load, round-trip, and keep that page out of IOVAs.
    /// </summary>
    [Fact]
    public void BarInTheLastPageBehindAnIommu_LoadsAndRoundTrips()
    {
        const string Description = """
            host-bridge hb0 iommu=on
            root-port rp0 parent=hb0
            endpoint e0 parent=rp0
            bar e0 index=0 cpu=0xffff_ffff_ffff_f000 size=16
            """;

        PciTopology topology = PciTopology.Parse(Description);

        Assert.Equal(topology.Describe(), PciTopology.Parse(topology.Describe()).Describe());
    }

    /// <summary>The same BAR without an IOMMU: accepted and round-trips (the range itself is valid).</summary>
    [Fact]
    public void BarInTheLastPageWithoutIommu_RoundTrips()
    {
        PciTopology topology = PciTopology.Parse("""
            host-bridge hb0
            root-port rp0 parent=hb0
            endpoint e0 parent=rp0
            bar e0 index=0 cpu=0xffff_ffff_ffff_f000 size=16
            """);

        Assert.Equal(topology.Describe(), PciTopology.Parse(topology.Describe()).Describe());
    }
}
