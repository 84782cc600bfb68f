using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0020MappingErrorNotCheckedAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// Wrappers of wrappers are followed to a fixed depth: methods that hand each other their parameters in a cycle (never
/// reaching the library) are no wrappers, and finding that terminates.
/// </summary>
public sealed class WrapperCycleTests
{
    [Fact]
    public Task MutuallyRecursiveForwarders_NoWrapperNoDiagnostic() => Verifier.Analyzer("""
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        static class Ring
        {
            public static DmaAddr Even(PciDevice dev, KernelBuffer buf, int depth)
            {
                if (depth == 0)
                {
                    return DmaAddr.MappingError;
                }

                return Odd(dev, buf, depth);
            }

            public static DmaAddr Odd(PciDevice dev, KernelBuffer buf, int depth) => Even(dev, buf, depth);

            public static void Use(PciDevice dev, KernelBuffer buf, DmaAddr[] ring)
            {
                ring[0] = Even(dev, buf, 3);
            }
        }
        """);
}
