using Microsoft.CodeAnalysis.CSharp;
using P2PAnalyzers.Analysis;
using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Engine;

/// <summary>
/// The whole-program solve finds the bodies that may read a node by the node's simple name, and names repeat across a
/// driver (every ring has its <c>Addr</c>). A body that only shares the name is not read for the node; one that reads
/// it, or implements the interface member it belongs to, is.
/// </summary>
public sealed class NameSharingBodiesTests
{
    private const string Usings = "using System;\nusing P2PDma.Addresses;\nusing P2PDma.Mapping;\nusing P2PDma.Pci;\n";

    // hl_pci init caches the DRAM BAR; the dma-buf code reads it back.
    private const string Probe = Usings + """
        sealed class HlDevice { public PciDevice Pdev = null!; public ulong Addr; }
        static class HlPci
        {
            public static void Init(HlDevice hdev) => hdev.Addr = hdev.Pdev.Bar(4).CpuStart.Raw;
        }

        static class HlDmaBuf
        {
            public static void SetDmaSg(HlDevice hdev, Scatterlist sg) => sg.DmaAddress = DmaAddr.FromRaw(hdev.Addr);
        }
        """;

    // A ring that has an Addr of its own, with a loop: it names "Addr" and never touches HlDevice.Addr.
    private const string Ring = Usings + """
        struct HwDescriptor { public ulong Addr; public uint Length; }
        sealed class CmdQueue
        {
            public ulong Process(HwDescriptor[] items)
            {
                ulong span = 0;
                foreach (HwDescriptor d in items)
                {
                    span += d.Addr + d.Length;
                }

                return span;
            }
        }
        """;

    [Fact]
    public async Task BodySharingOnlyTheName_IsNotRead_ReaderIs()
    {
        CSharpCompilation compilation = AllAnalyzers.Compile(Probe, Ring);
        Assert.Contains("P2P0001", string.Join("\n", (await AllAnalyzers.RunAsync(compilation)).Select(d => d.Id)));

        ProgramSummary summary = KnownSymbols.TryGet(compilation)!.Program;

        // Init (the store, from the library) and SetDmaSg (the reader of HlDevice.Addr); not CmdQueue.Process.
        Assert.Equal(2, summary.Bodies);
    }

    [Fact]
    public async Task ImplementationOfTheCalledInterfaceMember_IsRead()
    {
        // drm_gem_prime_import_dev hands the imported table to the driver through its ops: the implementation names the
        // method only in its own declaration, and is read because it implements the member called.
        const string Import = Usings + """
            using P2PDma.DmaBuf;
            sealed class DrmGemObject { public SgTable? Sgt; public Page?[] Pages = Array.Empty<Page?>(); }
            interface IDrmDriver { DrmGemObject? GemPrimeImportSgTable(DmaBufAttachment attach, SgTable sgt); }
            static class DrmPrime
            {
                // drm_gem_prime_import_dev
                public static DrmGemObject? ImportDev(IDrmDriver driver, DmaBufAttachment attach)
                {
                    DmaResult<SgTable> sgt = attach.Map(DmaDirection.Bidirectional);
                    return sgt.Failed ? null : driver.GemPrimeImportSgTable(attach, sgt.Value);
                }

                // drm_prime_sg_to_page_array
                public static int SgToPageArray(SgTable sgt, Page?[] pages)
                {
                    int p = 0;
                    foreach (Scatterlist sg in sgt)
                    {
                        pages[p++] = sg.Page;
                    }

                    return 0;
                }
            }

            // etnaviv_gem_prime_import_sg_table
            sealed class Etnaviv : IDrmDriver
            {
                public DrmGemObject? GemPrimeImportSgTable(DmaBufAttachment attach, SgTable sgt)
                {
                    var obj = new DrmGemObject { Sgt = sgt, Pages = new Page?[(int)(attach.DmaBuf.Size / 4096)] };
                    return DrmPrime.SgToPageArray(sgt, obj.Pages) == 0 ? obj : null;
                }
            }
            """;
        CSharpCompilation compilation = AllAnalyzers.Compile(Import);
        Assert.Contains("P2P0004", string.Join("\n", (await AllAnalyzers.RunAsync(compilation)).Select(d => d.Id)));
    }
}
