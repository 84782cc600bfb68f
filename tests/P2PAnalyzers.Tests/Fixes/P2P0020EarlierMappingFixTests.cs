using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0020MappingErrorNotCheckedAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// P2P0020's fix adds the check with a return; where the function mapped something before that it unmaps only after, a
/// bare return would leak it (P2P0022): the fix unmaps it first with the function's own unmap (EarlierUnmaps), or
/// declines when that unmap cannot be copied there. Shapes a review found the pairing of map and unmap missed: the
/// pre-6.2 scatterlist calls, a mapping made in a switch expression's arm, named arguments in another order, fragments
/// mapped into an array, and the unwinding kept in a local function.
/// </summary>
public sealed class P2P0020EarlierMappingFixTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    // The earlier scatterlist mapping is made with the pre-6.2 LegacyMapSg and unmapped with LegacyUnmapSg after the fix
    // point: the fix unmaps it first with LegacyUnmapSg, as it would a MapSg one with UnmapSg.
    [Fact]
    public Task EarlierLegacyScatterlistUnmappedOnlyAfter_UnmapsItFirst() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Dd { public PciDevice Dev = null!; public KernelBuffer Iv = null!; }

        static class AtmelAes
        {
            static int Crypt(Dd dd, SgTable src, int nents)
            {
                int count = Dma.LegacyMapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                DmaAddr iv = [|Dma.MapSingle(dd.Dev, dd.Iv, 0, 16, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(dd.Dev, iv, 16, DmaDirection.ToDevice);
                Dma.LegacyUnmapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, Usings + """
        sealed class Dd { public PciDevice Dev = null!; public KernelBuffer Iv = null!; }

        static class AtmelAes
        {
            static int Crypt(Dd dd, SgTable src, int nents)
            {
                int count = Dma.LegacyMapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                DmaAddr iv = Dma.MapSingle(dd.Dev, dd.Iv, 0, 16, DmaDirection.ToDevice);
                if (Dma.MappingError(dd.Dev, iv))
                {
                    Dma.LegacyUnmapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                    return (int)DmaError.NoMemory;
                }

                Dma.UnmapSingle(dd.Dev, iv, 16, DmaDirection.ToDevice);
                Dma.LegacyUnmapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);


    // The earlier mapping is made in an arm of a switch expression (the C# spelling of a conditional): one mapping, unmapped once.
    [Fact]
    public Task EarlierMappingInASwitchExpressionArm_UnmappedOnceFirst() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Req { public PciDevice Dev = null!; public KernelBuffer Buf = null!; public Page? Page; public KernelBuffer Status = null!; }

        static class Driver
        {
            static int Submit(Req req)
            {
                DmaAddr data = req.Page switch
                {
                    Page page => Dma.MapPage(req.Dev, page, 0, 4096, DmaDirection.ToDevice),
                    _ => Dma.MapSingle(req.Dev, req.Buf, 0, 4096, DmaDirection.ToDevice),
                };
                if (Dma.MappingError(req.Dev, data))
                {
                    return -12;
                }

                DmaAddr status = [|Dma.MapSingle(req.Dev, req.Status, 0, 64, DmaDirection.FromDevice)|];
                Dma.UnmapSingle(req.Dev, status, 64, DmaDirection.FromDevice);
                Dma.UnmapSingle(req.Dev, data, 4096, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, Usings + """
        sealed class Req { public PciDevice Dev = null!; public KernelBuffer Buf = null!; public Page? Page; public KernelBuffer Status = null!; }

        static class Driver
        {
            static int Submit(Req req)
            {
                DmaAddr data = req.Page switch
                {
                    Page page => Dma.MapPage(req.Dev, page, 0, 4096, DmaDirection.ToDevice),
                    _ => Dma.MapSingle(req.Dev, req.Buf, 0, 4096, DmaDirection.ToDevice),
                };
                if (Dma.MappingError(req.Dev, data))
                {
                    return -12;
                }

                DmaAddr status = Dma.MapSingle(req.Dev, req.Status, 0, 64, DmaDirection.FromDevice);
                if (Dma.MappingError(req.Dev, status))
                {
                    Dma.UnmapSingle(req.Dev, data, 4096, DmaDirection.ToDevice);
                    return (int)DmaError.NoMemory;
                }

                Dma.UnmapSingle(req.Dev, status, 64, DmaDirection.FromDevice);
                Dma.UnmapSingle(req.Dev, data, 4096, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);


    // The scatterlist map call written with named arguments (the list is not the second argument in source order).
    [Fact]
    public Task EarlierScatterlistMappedWithNamedArguments_UnmapsItFirst() => Verifier.CodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Dd { public PciDevice Dev = null!; public KernelBuffer Iv = null!; }

        static class AtmelAes
        {
            static int Crypt(Dd dd, SgTable src, int nents)
            {
                int count = Dma.MapSg(dd.Dev, nents: nents, table: src, dir: DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                DmaAddr iv = [|Dma.MapSingle(dd.Dev, dd.Iv, 0, 16, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(dd.Dev, iv, 16, DmaDirection.ToDevice);
                Dma.UnmapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                return 0;
            }
        }
        """, Usings + """
        sealed class Dd { public PciDevice Dev = null!; public KernelBuffer Iv = null!; }

        static class AtmelAes
        {
            static int Crypt(Dd dd, SgTable src, int nents)
            {
                int count = Dma.MapSg(dd.Dev, nents: nents, table: src, dir: DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                DmaAddr iv = Dma.MapSingle(dd.Dev, dd.Iv, 0, 16, DmaDirection.ToDevice);
                if (Dma.MappingError(dd.Dev, iv))
                {
                    Dma.UnmapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                    return (int)DmaError.NoMemory;
                }

                Dma.UnmapSingle(dd.Dev, iv, 16, DmaDirection.ToDevice);
                Dma.UnmapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // The fragments mapped before into an array (a NIC's TX path) and unmapped at the end: the fix's return for the
    // header's unchecked mapping leaves them mapped, and the loop's unmap is not one the exit can copy (per element).
    [Fact]
    public Task EarlierFragmentsInAnArrayUnmappedInALoopAfter_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Skb { public KernelBuffer Head = null!; public Page[] Frags = new Page[0]; }

        static class Nic
        {
            static int Xmit(PciDevice dev, Skb skb, DmaAddr[] addrs)
            {
                for (int i = 0; i < skb.Frags.Length; i++)
                {
                    addrs[i] = Dma.MapPage(dev, skb.Frags[i], 0, 4096, DmaDirection.ToDevice);
                    if (Dma.MappingError(dev, addrs[i]))
                    {
                        return -12;
                    }
                }

                DmaAddr head = [|Dma.MapSingle(dev, skb.Head, 0, 256, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(dev, head, 256, DmaDirection.ToDevice);
                for (int i = 0; i < skb.Frags.Length; i++)
                {
                    Dma.UnmapPage(dev, addrs[i], 4096, DmaDirection.ToDevice);
                }

                return 0;
            }
        }
        """);


    // The unwind kept in a local function (the C# spelling of an 'out_unmap:' label), called after the fix point: the
    // fix's return skips it and leaves the source list mapped; a local function's unmap is not copied.
    [Fact]
    public Task EarlierScatterlistUnmappedByALocalFunctionAfter_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Dd { public PciDevice Dev = null!; public KernelBuffer Iv = null!; }

        static class AtmelAes
        {
            static int Crypt(Dd dd, SgTable src, int nents)
            {
                void UnmapSrc() => Dma.UnmapSg(dd.Dev, src, nents, DmaDirection.ToDevice);

                int count = Dma.MapSg(dd.Dev, src, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                DmaAddr iv = [|Dma.MapSingle(dd.Dev, dd.Iv, 0, 16, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(dd.Dev, iv, 16, DmaDirection.ToDevice);
                UnmapSrc();
                return 0;
            }
        }
        """);

    // The unwinding copies the function's own unmap only where it does what the function does on its way out. Each of
    // the following breaks one condition of EarlierUnmaps, and the fix declines as before.

    // The key is unmapped only under a condition the exit does not know.
    [Fact]
    public Task EarlierMappingUnmappedUnderACondition_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Dcp { public PciDevice Dev = null!; public KernelBuffer Key = null!; public KernelBuffer In = null!; public bool KeepKey; }

        static class MxsDcp
        {
            static int RunAes(Dcp sdcp)
            {
                DmaAddr keyPhys = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                if (Dma.MappingError(sdcp.Dev, keyPhys))
                {
                    return -12;
                }

                DmaAddr srcPhys = [|Dma.MapSingle(sdcp.Dev, sdcp.In, 0, 512, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(sdcp.Dev, srcPhys, 512, DmaDirection.ToDevice);
                if (!sdcp.KeepKey)
                {
                    Dma.UnmapSingle(sdcp.Dev, keyPhys, 32, DmaDirection.ToDevice);
                }

                return 0;
            }
        }
        """);

    // The size the unmap reads is set between the exit and the unmap: a copy at the exit would read another value.
    [Fact]
    public Task EarlierMappingsSizeAssignedBeforeItsUnmap_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Dcp { public PciDevice Dev = null!; public KernelBuffer Key = null!; public KernelBuffer In = null!; }

        static class MxsDcp
        {
            static int RunAes(Dcp sdcp, ulong keyLen)
            {
                DmaAddr keyPhys = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                if (Dma.MappingError(sdcp.Dev, keyPhys))
                {
                    return -12;
                }

                DmaAddr srcPhys = [|Dma.MapSingle(sdcp.Dev, sdcp.In, 0, 512, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(sdcp.Dev, srcPhys, 512, DmaDirection.ToDevice);
                keyLen = 32;
                Dma.UnmapSingle(sdcp.Dev, keyPhys, keyLen, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // A label between the earlier mapping and the exit, jumped to from before the mapping: the exit is reached without
    // it (the function's own unmap at the end then unmaps what was never mapped, which is not the fix's to copy).
    [Fact]
    public Task LabelBetweenEarlierMappingAndExit_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Dcp { public PciDevice Dev = null!; public KernelBuffer Key = null!; public KernelBuffer In = null!; public bool Keyless; }

        static class MxsDcp
        {
            static int RunAes(Dcp sdcp)
            {
                DmaAddr keyPhys = default;
                if (sdcp.Keyless)
                {
                    goto buffers;
                }

                keyPhys = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                if (Dma.MappingError(sdcp.Dev, keyPhys))
                {
                    return -12;
                }

            buffers:
                sdcp.Keyless = false;
                DmaAddr srcPhys = [|Dma.MapSingle(sdcp.Dev, sdcp.In, 0, 512, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(sdcp.Dev, srcPhys, 512, DmaDirection.ToDevice);
                Dma.UnmapSingle(sdcp.Dev, keyPhys, 32, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    // The unmap's size is a call's result: copied to the exit, the call would run at another time.
    [Fact]
    public Task EarlierMappingsUnmapSizeIsACall_NoFix() => Verifier.NoCodeFix<P2P0020MappingErrorNotCheckedCodeFix>(Usings + """
        sealed class Dcp { public PciDevice Dev = null!; public KernelBuffer Key = null!; public KernelBuffer In = null!; public ulong KeySize() => 32; }

        static class MxsDcp
        {
            static int RunAes(Dcp sdcp)
            {
                DmaAddr keyPhys = Dma.MapSingle(sdcp.Dev, sdcp.Key, 0, 32, DmaDirection.ToDevice);
                if (Dma.MappingError(sdcp.Dev, keyPhys))
                {
                    return -12;
                }

                DmaAddr srcPhys = [|Dma.MapSingle(sdcp.Dev, sdcp.In, 0, 512, DmaDirection.ToDevice)|];
                Dma.UnmapSingle(sdcp.Dev, srcPhys, 512, DmaDirection.ToDevice);
                Dma.UnmapSingle(sdcp.Dev, keyPhys, sdcp.KeySize(), DmaDirection.ToDevice);
                return 0;
            }
        }
        """);
}
