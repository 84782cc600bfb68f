using System.Reflection;
using P2PAnalyzers.CodeFixes.Fixes;
using P2PAnalyzers.Tests.Fixes;
using P2PAnalyzers.Tests.Infrastructure;
using P2PAnalyzers.Tests.Kernel;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.Memory;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// P2P0001's buffer-mapping fix, executed: spi-rockchip-sfc writes a page to flash through its bounce buffer, the
/// controller behind an IOMMU. Before, the controller is given the buffer's CPU physical address, which the IOMMU does
/// not translate, and DMA debug reports the sync of memory never mapped; after, it reads the page through the mapping
/// and nothing is reported.
/// </summary>
public sealed class CachedBufferMappingFixProofTests
{
    [Fact]
    public async Task BehindAnIommu_BeforeTheControllerMissesTheBuffer_AfterItReadsThePage()
    {
        string[] before = { RockchipSfcTests.Sfc, RockchipSfcTests.ProbeBeforeFix };
        string[] after = await UnitFixHarness.ApplySoundAsync(new P2P0001PhysicalAddressAsDmaAddressCodeFix(), "P2P0001", "FromRaw", before);
        byte[] page = Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray();

        PciTopology t1 = Iommu();
        Assert.NotEqual(page, WritePage(before, t1, page));
        Assert.Contains(t1.DmaDebug.Findings, f => f.Kind == DmaDebugFindingKind.SyncNotMapped);

        PciTopology t2 = Iommu();
        Assert.Equal(page, WritePage(after, t2, page));
        Assert.Empty(t2.DmaDebug.Findings);
    }

    private static PciTopology Iommu()
    {
        PciTopology topology = PciTopology.Parse("""
            ram start=0 size=2G
            host-bridge hb0 iommu=on
            root-port rp0 parent=hb0
            endpoint sfc0 parent=rp0 dma-mask=32
            """);
        topology.DmaDebug.Enabled = true;
        return topology;
    }

    // Probe, then a SPI_MEM_DATA_OUT transfer; the controller then reads what its DMA address register names.
    private static byte[] WritePage(string[] files, PciTopology topology, byte[] page)
    {
        PciDevice sfc0 = topology.Device("sfc0");
        Assembly driver = ScenarioRunner.Compile(UnitFixProofTests.OneFile(files));
        object sfc = System.Activator.CreateInstance(driver.GetType("RockchipSfc", throwOnError: true)!)!;
        sfc.GetType().GetField("Dev")!.SetValue(sfc, sfc0);
        sfc.GetType().GetField("UseDma")!.SetValue(sfc, true);
        sfc.GetType().GetField("MaxIosize")!.SetValue(sfc, (ulong)page.Length);
        System.Type ops = driver.GetType("SpiRockchipSfc", throwOnError: true)!;
        Assert.Equal(0, ops.GetMethod("Probe")!.Invoke(null, new object[] { sfc, topology.Memory }));
        object op = System.Activator.CreateInstance(driver.GetType("SpiMemOp", throwOnError: true)!)!;
        op.GetType().GetField("Dir")!.SetValue(op, System.Enum.Parse(driver.GetType("SpiMemDataDir", throwOnError: true)!, "Out"));
        op.GetType().GetField("Buf")!.SetValue(op, page);
        ops.GetMethod("XferDataDma")!.Invoke(null, new object[] { sfc, op, (ulong)page.Length });
        object regbase = sfc.GetType().GetField("Regbase")!.GetValue(sfc)!;
        uint register = (uint)regbase.GetType().GetField("DmaAddrReg")!.GetValue(regbase)!;
        var transfer = topology.Fabric.Read(sfc0, DmaAddr.FromRaw(register), page.Length);
        return transfer.Succeeded ? transfer.Data.ToArray() : System.Array.Empty<byte>();
    }
}
