using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0002PhysicalAddressAsBusAddressAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

public sealed class P2P0002CodeFixTests
{
    [Fact]
    public Task RawConstructorOfBarAddress_UsesBusAddressOf() => Verifier.CodeFix<P2P0002PhysicalAddressAsBusAddressCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Pci;

        class C
        {
            // A driver on a translating (ARM/POWER) host bridge programs its peer's doorbell by bus address.
            PciBusAddr Doorbell(PciDevice peer, ulong offset)
            {
                ulong cpu = peer.Bar(2).CpuStart.Raw + offset;
                return {|P2P0002:PciBusAddr.FromRaw(cpu)|};
            }
        }
        """, """
        using P2PDma.Addresses;
        using P2PDma.Pci;

        class C
        {
            // A driver on a translating (ARM/POWER) host bridge programs its peer's doorbell by bus address.
            PciBusAddr Doorbell(PciDevice peer, ulong offset)
            {
                ulong cpu = peer.Bar(2).CpuStart.Raw + offset;
                return peer.Bar(2).BusAddressOf(PhysAddr.FromRaw(cpu));
            }
        }
        """);

    [Fact]
    public Task AnnotatedWrapperArgument_GetsRawBusAddress_AndUsing() => Verifier.CodeFix<P2P0002PhysicalAddressAsBusAddressCodeFix>("""
        using P2PDma.P2P;

        class C
        {
            static void WriteWindow([P2PDma.Addresses.PciBusAddress] ulong bus) { }

            void M(P2PProvider provider)
            {
                WriteWindow({|P2P0002:provider.Bar.CpuStart.Raw|});
            }
        }
        """, """
        using P2PDma.Addresses;
        using P2PDma.P2P;

        class C
        {
            static void WriteWindow([P2PDma.Addresses.PciBusAddress] ulong bus) { }

            void M(P2PProvider provider)
            {
                WriteWindow(provider.Bar.BusAddressOf(PhysAddr.FromRaw(provider.Bar.CpuStart.Raw)).Raw);
            }
        }
        """);

    [Fact]
    public Task UnknownBar_ReportsWithoutFix() => Verifier.NoCodeFix<P2P0002PhysicalAddressAsBusAddressCodeFix>("""
        using P2PDma.Addresses;

        class C
        {
            PciBusAddr M([CpuPhysicalAddress] ulong cpu) => {|P2P0002:PciBusAddr.FromRaw(cpu)|};
        }
        """);
}
