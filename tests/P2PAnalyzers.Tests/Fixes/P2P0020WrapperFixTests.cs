using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0020MappingErrorNotCheckedAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// P2P0020's fix at a thin wrapper's mapping: the check written is the wrapper's own (ib_dma_mapping_error beside
/// ib_dma_map_single in include/rdma/ib_verbs.h), given the wrapper's device argument, as krping's fix wrote it.
/// </summary>
public sealed class P2P0020WrapperFixTests
{
    private const string Usings = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    private const string Driver = """
        sealed class Cb
        {
            public IbDevice Dev = null!;
            public KernelBuffer RecvBuf = null!;
            public DmaAddr RecvDmaAddr;
            public bool Ready;
        }

        static class Krping
        {
            public static int SetupBuffers(Cb cb)
            {
                cb.RecvDmaAddr = MAP;
                cb.Ready = true;
                return 0;
            }

            public static void FreeBuffers(Cb cb) => IbVerbs.IbDmaUnmapSingle(cb.Dev, USE, 4096, DmaDirection.FromDevice);
        }
        """;

    [Fact]
    public Task MappingThroughIbDmaMapSingle_CheckedWithIbDmaMappingError() => Verifier.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0020MappingErrorNotCheckedCodeFix>(
        Usings + P2PAnalyzers.Tests.Kernel.IbVerbsHeader.Mainline + "\n" + Driver.Replace("MAP", "{|#0:IbVerbs.IbDmaMapSingle(cb.Dev, cb.RecvBuf, 4096, DmaDirection.FromDevice)|}")
            .Replace("USE", "{|#1:cb.RecvDmaAddr|}"),
        Usings + P2PAnalyzers.Tests.Kernel.IbVerbsHeader.Mainline + "\n" + Driver.Replace("cb.RecvDmaAddr = MAP;\n", "cb.RecvDmaAddr = IbVerbs.IbDmaMapSingle(cb.Dev, cb.RecvBuf, 4096, DmaDirection.FromDevice);\n"
            + "        if (IbVerbs.IbDmaMappingError(cb.Dev, cb.RecvDmaAddr))\n        {\n            return (int)DmaError.NoMemory;\n        }\n\n").Replace("USE", "cb.RecvDmaAddr"),
        Verifier.Diagnostic("P2P0020").WithLocation(0).WithLocation(1)
            .WithArguments("IbVerbs.IbDmaMapSingle", "cb.RecvDmaAddr", "IbVerbs.IbDmaUnmapSingle in Krping.FreeBuffers, which frees it"));

    // A map wrapper with no check beside it (or one that derives the device otherwise) gets no fix.
    [Fact]
    public Task NoCheckWrapperBeside_NoFix() => Verifier.NoCodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0020MappingErrorNotCheckedCodeFix>(
        Usings + P2PAnalyzers.Tests.Kernel.IbVerbsHeader.Mainline.Replace("IbDmaMappingError(IbDevice dev, DmaAddr dmaAddr)", "IbDmaMappingError(IbDevice dev, DmaAddr dmaAddr, int unused = 0)")
            + "\n" + Driver.Replace("MAP", "{|#0:IbVerbs.IbDmaMapSingle(cb.Dev, cb.RecvBuf, 4096, DmaDirection.FromDevice)|}").Replace("USE", "{|#1:cb.RecvDmaAddr|}"),
        Verifier.Diagnostic("P2P0020").WithLocation(0).WithLocation(1)
            .WithArguments("IbVerbs.IbDmaMapSingle", "cb.RecvDmaAddr", "IbVerbs.IbDmaUnmapSingle in Krping.FreeBuffers, which frees it"));
}
