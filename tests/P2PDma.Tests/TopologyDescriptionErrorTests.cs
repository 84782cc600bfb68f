using System;
using System.Globalization;
using System.Linq;
using P2PDma.Pci;
using P2PDma.Pci.Description;

namespace P2PDma.Tests;

/// <summary>
/// Bad topology descriptions: one test per kind of error, each naming the line and field at fault and saying what is
/// wrong; the builder path; several errors at once; and the Describe/Parse round trip.
/// </summary>
public sealed class TopologyDescriptionErrorTests
{
    private static string Lines(params string[] lines) => string.Join("\n", lines);

    private static TopologyException Fails(params string[] lines) =>
        Assert.Throws<TopologyException>(() => PciTopology.Parse(Lines(lines)));

    /// <summary>Asserts that an error on <paramref name="line"/> in <paramref name="field"/> says <paramref name="says"/>.</summary>
    private static TopologyError HasError(TopologyException ex, int? line, string field, string says)
    {
        TopologyError? error = ex.Errors.FirstOrDefault(e => e.Line == line && e.Field == field);
        Assert.True(error is not null, $"no error at line {line}, field '{field}'; got: {string.Join(" | ", ex.Errors)}");
        Assert.Contains(says, error!.Message, StringComparison.Ordinal);
        Assert.Contains(error.ToString(), ex.Message, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    public void ValidDescription_Parses()
    {
        PciTopology t = PciTopology.Parse(Lines(
            "# a switch below a Skylake-E root complex",
            "cpu vendor=intel family=6",
            "ram start=0 size=2G",
            "host-bridge hb0 vendor=0x8086 device=0x2030 iommu=on",
            "window hb0 cpu=0x8000_0000 size=2G bus=0x4000_0000",
            "root-port rp0 parent=hb0",
            "switch-up sw0 parent=rp0",
            "switch-down sw0.dp0 parent=sw0",
            "switch-down sw0.dp1 parent=sw0 acs=rr,sv",
            "endpoint gpu parent=sw0.dp0   # the provider",
            "bar gpu index=0 cpu=0x9000_0000 size=256M",
            "endpoint nic parent=sw0.dp1 dma-mask=64",
            "bar nic index=2 cpu=0xA000_0000 size=1M prefetch=no"));

        Assert.Equal(CpuVendor.Intel, t.Cpu.Vendor);
        Assert.True(t.HostBridge("hb0").HasIommu);
        Assert.Equal(0x5000_0000UL, t.Device("gpu").Bar(0).BusStart.Raw);
        Assert.Equal(AcsControl.RequestRedirect | AcsControl.SourceValidation, t.Device("sw0.dp1").Acs);
        Assert.Equal(ulong.MaxValue, t.Device("nic").DmaMask);
        Assert.False(t.Device("nic").Bar(2).Prefetchable);
        Assert.Equal(0x10_0000UL, t.Device("nic").Bar(2).Size);
    }

    [Fact]
    public void UnknownKeyword_IsReportedOnItsLine()
    {
        TopologyException ex = Fails("host-bridge hb0", "rootport rp0 parent=hb0");
        HasError(ex, 2, "keyword", "unknown keyword 'rootport'");
    }

    [Fact]
    public void UnknownField_IsReportedWithItsKey()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0 colour=blue");
        HasError(ex, 2, "colour", "unknown field 'colour'");
    }

    [Fact]
    public void DuplicateField_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0 iommu=on iommu=off");
        HasError(ex, 1, "iommu", "more than once");
    }

    [Fact]
    public void MalformedToken_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent");
        HasError(ex, 2, "parent", "not of the form key=value");
    }

    [Fact]
    public void MalformedToken_EmptyValue_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0 domain=");
        HasError(ex, 1, "domain", "not of the form key=value");
    }

    [Fact]
    public void BadNumber_IsReported()
    {
        TopologyException ex = Fails("ram start=0 size=lots");
        HasError(ex, 1, "size", "'lots' is not a number");
    }

    [Fact]
    public void NumberTooLarge_ForItsField_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0 slot=32");
        HasError(ex, 2, "slot", "larger than the largest allowed value 0x1f");
    }

    [Fact]
    public void NumberTooLarge_For64Bits_IsReportedAsTooLarge()
    {
        TopologyException ex = Fails(
            "ram start=0x1_0000_0000_0000_0000 size=1G",
            "ram start=0 size=99999999999999999999",
            "ram start=0 size=20000000T",
            "ram start=0 size=0x12G");
        HasError(ex, 1, "start", "too large");
        HasError(ex, 2, "size", "too large");
        HasError(ex, 3, "size", "too large");
        HasError(ex, 4, "size", "'0x12G' is not a number"); // no suffix on hex: malformed, not large
    }

    [Fact]
    public void MissingRequiredField_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "endpoint gpu vendor=0x10de");
        HasError(ex, 2, "parent", "required field 'parent' is missing");
    }

    [Fact]
    public void MissingName_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "endpoint parent=hb0");
        HasError(ex, 2, "name", "needs a name");
    }

    [Fact]
    public void UnknownParent_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0", "endpoint gpu parent=rp9");
        HasError(ex, 3, "parent", "unknown parent 'rp9'");
    }

    [Fact]
    public void WrongParentKind_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0", "switch-down dp0 parent=rp0");
        HasError(ex, 3, "parent", "a switch-down cannot sit below root-port 'rp0'");
    }

    [Fact]
    public void RootPortBelowASwitch_IsAWrongParentKind()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0", "switch-up sw0 parent=rp0",
            "switch-down dp0 parent=sw0", "root-port rp1 parent=dp0");
        HasError(ex, 5, "parent", "a root-port cannot sit below switch-down 'dp0'");
    }

    [Fact]
    public void ParentCycle_IsReported()
    {
        // One cycle, entered from three declarations (c hangs below it): reported once.
        TopologyException ex = Fails("host-bridge hb0", "switch-up a parent=b", "switch-down b parent=a", "switch-down c parent=a");
        TopologyError error = ex.Errors.Single(e => e.Message.Contains("cycle", StringComparison.Ordinal));
        Assert.Equal("parent", error.Field);
        Assert.Contains(error.Line, new int?[] { 2, 3 });
        Assert.True(error.Message.Contains("a -> b -> a", StringComparison.Ordinal) || error.Message.Contains("b -> a -> b", StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public void DuplicateName_IsReportedOnTheSecondDeclaration()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0", "root-port rp0 parent=hb0");
        HasError(ex, 3, "name", "'rp0' is declared more than once");
    }

    [Fact]
    public void OverlappingBars_AreReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0", "root-port rp1 parent=hb0",
            "endpoint a parent=rp0", "bar a index=0 cpu=0x9000_0000 size=256M",
            "endpoint b parent=rp1", "bar b index=0 cpu=0x9800_0000 size=16M");
        HasError(ex, 7, "cpu", "overlaps a BAR0");
    }

    [Fact]
    public void BarOverlappingRam_IsReported()
    {
        TopologyException ex = Fails("ram start=0 size=4G", "host-bridge hb0", "root-port rp0 parent=hb0",
            "endpoint a parent=rp0", "bar a index=0 cpu=0xE000_0000 size=256M");
        HasError(ex, 5, "cpu", "overlaps RAM");
    }

    [Fact]
    public void BarOutsideTheHostBridgeWindows_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "window hb0 cpu=0x8000_0000 size=256M bus=0x8000_0000",
            "root-port rp0 parent=hb0", "endpoint a parent=rp0", "bar a index=0 cpu=0x9000_0000 size=1M");
        HasError(ex, 5, "cpu", "lies in no window of host bridge 'hb0'");
    }

    [Fact]
    public void BarStraddlingTheEndOfAWindow_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "window hb0 cpu=0x8000_0000 size=0x0800_0000 bus=0x8000_0000",
            "root-port rp0 parent=hb0", "endpoint a parent=rp0", "bar a index=0 cpu=0x8000_0000 size=256M");
        HasError(ex, 5, "cpu", "lies in no window");
    }

    [Fact]
    public void BarSizeNotAPowerOfTwo_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0", "endpoint a parent=rp0",
            "bar a index=0 cpu=0x9000_0000 size=0x3000");
        HasError(ex, 4, "size", "0x3000 is not a power of two");
    }

    [Fact]
    public void BarMisaligned_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0", "endpoint a parent=rp0",
            "bar a index=0 cpu=0x9000_1000 size=64K");
        HasError(ex, 4, "cpu", "not aligned to the BAR size 0x10000");
    }

    [Fact]
    public void BarIndexAboveFive_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0", "endpoint a parent=rp0",
            "bar a index=6 cpu=0x9000_0000 size=64K");
        HasError(ex, 4, "index", "larger than the largest allowed value 0x5");
    }

    [Fact]
    public void BarOfUnknownFunction_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "bar ghost index=0 cpu=0x9000_0000 size=64K");
        HasError(ex, 2, "owner", "unknown function 'ghost'");
    }

    [Fact]
    public void WindowOfUnknownHostBridge_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "window hb1 cpu=0x8000_0000 size=256M bus=0");
        HasError(ex, 2, "owner", "unknown host bridge 'hb1'");
    }

    [Fact]
    public void DuplicateBdf_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0 slot=1", "root-port rp1 parent=hb0 slot=1");
        HasError(ex, 3, "slot", "is already taken by 'rp0'");
    }

    [Fact]
    public void TwoEndpointsBelowOnePortWithoutSlots_CollideOnDevice0()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0", "endpoint a parent=rp0", "endpoint b parent=rp0");
        HasError(ex, 4, "function", "is already taken by 'a'");
    }

    [Fact]
    public void MissingFunction0_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0", "endpoint a parent=rp0 function=1");
        HasError(ex, 3, "function", "has no function 0");
    }

    [Fact]
    public void BadAcsBit_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0 acs=rr,xx");
        HasError(ex, 2, "acs", "'xx' is not an ACS control bit");
    }

    [Fact]
    public void BadOnOffValue_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0 iommu=maybe");
        HasError(ex, 1, "iommu", "'maybe' is not one of on/off");
    }

    [Fact]
    public void BadCpuVendor_IsReported()
    {
        TopologyException ex = Fails("cpu vendor=via family=6");
        HasError(ex, 1, "vendor", "not a CPU vendor");
    }

    [Fact]
    public void PortWithAFunctionNumber_IsReported()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0 function=1");
        HasError(ex, 2, "function", "single-function");
    }

    [Fact]
    public void SeveralErrors_AreReportedTogether_InLineOrder()
    {
        TopologyException ex = Fails(
            "host-bridge hb0 iommu=maybe",
            "root-port rp0 parent=hb0 colour=red",
            "endpoint gpu parent=rp0 slot=99",
            "frobnicate");

        Assert.Equal(4, ex.Errors.Count);
        Assert.Equal(new int?[] { 1, 2, 3, 4 }, ex.Errors.Select(e => e.Line));
        Assert.StartsWith("Invalid topology (4 errors): ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralSemanticErrors_AreReportedTogether()
    {
        TopologyException ex = Fails(
            "host-bridge hb0",
            "root-port rp0 parent=hb0",
            "endpoint a parent=nowhere",
            "endpoint b parent=rp0",
            "bar b index=0 cpu=0x9000_0000 size=0x3000",
            "endpoint b parent=rp0");

        HasError(ex, 3, "parent", "unknown parent");
        HasError(ex, 5, "size", "not a power of two");
        HasError(ex, 6, "name", "declared more than once");
    }

    [Fact]
    public void Builder_ErrorsHaveNoLine_AndNameTheSubject()
    {
        var ex = Assert.Throws<TopologyException>(() => new PciTopologyBuilder()
            .HostBridge("hb0")
            .RootPort("rp0", "hb0")
            .Endpoint("gpu", "rp9")
            .Endpoint("nic", "rp0", f => f.Bar(0, 0x9000_1000, 0x1_0000))
            .Build());

        TopologyError parent = HasError(ex, null, "parent", "unknown parent 'rp9'");
        Assert.Equal("endpoint gpu", parent.Subject);
        TopologyError bar = HasError(ex, null, "cpu", "not aligned");
        Assert.Equal("bar nic 0", bar.Subject);
        Assert.StartsWith("endpoint gpu, field 'parent':", parent.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void WrongParentKind_UsesTheRightArticle()
    {
        TopologyException ex = Fails("host-bridge hb0", "root-port rp0 parent=hb0", "switch-up sw0 parent=rp0", "endpoint e parent=sw0");
        HasError(ex, 4, "parent", "an endpoint cannot sit below switch-up 'sw0'");
    }

    [Fact]
    public void BarErrorsWhileReading_NameTheOwnerAndIndex_AsAssemblyDoes()
    {
        TopologyException ex = Fails(
            "host-bridge hb0",
            "root-port rp0 parent=hb0",
            "endpoint a parent=rp0",
            "bar a index=1 cpu=0x9000_0000 size=lots prefetch=maybe",
            "bar a index=2 cpu",
            "bar ghost index=3 cpu=0x9000_0000 size=64K",
            "bar a cpu=0x9000_0000 size=64K");

        Assert.Equal("bar a 1", HasError(ex, 4, "size", "is not a number").Subject);
        Assert.Equal("bar a 1", HasError(ex, 4, "prefetch", "is not one of").Subject);
        Assert.Equal("bar a 2", HasError(ex, 5, "cpu", "not of the form key=value").Subject);
        Assert.Equal("bar ghost 3", HasError(ex, 6, "owner", "unknown function 'ghost'").Subject);
        Assert.Equal("bar a", HasError(ex, 7, "index", "required field 'index' is missing").Subject); // index unknown
    }

    [Fact]
    public void RepeatedCpuLine_IsAnError_NamingTheFirstLine()
    {
        TopologyException ex = Fails("cpu vendor=amd family=0x19", "host-bridge hb0", "cpu vendor=intel family=6");
        TopologyError error = HasError(ex, 3, "keyword", "already declared on line 1");
        Assert.Equal("cpu", error.Subject);
    }

    [Fact]
    public void WindowsOverlappingEachOtherOnTheCpuSide_AreAnError_AcrossHostBridgesToo()
    {
        TopologyException ex = Fails(
            "host-bridge hb0",
            "window hb0 cpu=0x80_0000_0000 size=4G bus=0",
            "window hb0 cpu=0x80_8000_0000 size=4G bus=0x1_0000_0000",
            "host-bridge hb1",
            "window hb1 cpu=0x80_c000_0000 size=1G bus=0");
        HasError(ex, 3, "cpu", "overlaps window of hb0");
        HasError(ex, 5, "cpu", "overlaps window of hb0");
    }

    [Fact]
    public void WindowOverlappingRam_IsAnError()
    {
        TopologyException ex = Fails("ram start=0 size=4G", "host-bridge hb0", "window hb0 cpu=0xC000_0000 size=1G bus=0xC000_0000");
        HasError(ex, 3, "cpu", "overlaps RAM");
    }

    [Fact]
    public void WindowBusRangesOverlappingWithinOneHostBridge_AreAnError_ButNotAcrossHostBridges()
    {
        TopologyException ex = Fails(
            "host-bridge hb0",
            "window hb0 cpu=0x80_0000_0000 size=4G bus=0x4000_0000",
            "window hb0 cpu=0x90_0000_0000 size=1G bus=0x8000_0000");
        HasError(ex, 3, "bus", "overlaps the bus range of window");

        PciTopology ok = PciTopology.Parse(Lines(
            "host-bridge hb0",
            "window hb0 cpu=0x80_0000_0000 size=4G bus=0x4000_0000",
            "host-bridge hb1 domain=1",
            "window hb1 cpu=0x90_0000_0000 size=1G bus=0x4000_0000"));
        Assert.Equal(2, ok.HostBridges.Count);
    }

    [Fact]
    public void AutomaticSlots_SkipSlotsTakenExplicitlyBySiblings()
    {
        PciTopology t = PciTopology.Parse(Lines(
            "host-bridge hb0",
            "endpoint a parent=hb0 slot=1",
            "endpoint b parent=hb0",
            "root-port rp0 parent=hb0",
            "root-port rp1 parent=hb0 slot=3",
            "switch-up sw0 parent=rp0",
            "switch-down dp0 parent=sw0",
            "switch-down dp1 parent=sw0 slot=0"));

        Assert.Equal(1, t.Device("a").Bdf.Device);
        Assert.Equal(2, t.Device("b").Bdf.Device);
        Assert.Equal(4, t.Device("rp0").Bdf.Device); // 3 is rp1's, declared later
        Assert.Equal(3, t.Device("rp1").Bdf.Device);
        Assert.Equal(1, t.Device("dp0").Bdf.Device); // switch internal bus: 0 is dp1's
        Assert.Equal(0, t.Device("dp1").Bdf.Device);
    }

    [Fact]
    public void BusNumbers_AreDepthFirstPerHostBridge()
    {
        // Firmware numbers a host bridge's root bus, then everything below it, then the next host bridge.
        PciTopology t = PciTopology.Parse(Lines(
            "host-bridge hb0",
            "host-bridge hb1",
            "root-port rp0 parent=hb0",
            "endpoint e0 parent=rp0",
            "root-port rp1 parent=hb1",
            "endpoint e1 parent=rp1"));

        Assert.Equal(0, t.HostBridge("hb0").RootBus);
        Assert.Equal("0000:00:01.0", t.Device("rp0").Bdf.ToString());
        Assert.Equal("0000:01:00.0", t.Device("e0").Bdf.ToString());
        Assert.Equal(2, t.HostBridge("hb1").RootBus);
        Assert.Equal("0000:02:01.0", t.Device("rp1").Bdf.ToString());
        Assert.Equal("0000:03:00.0", t.Device("e1").Bdf.ToString());
    }

    [Fact]
    public void BusNumbers_ExplicitRootBusesAreKeptFree_AndTheirSubtreesFollowThem()
    {
        PciTopology t = PciTopology.Parse(Lines(
            "host-bridge hb0",
            "host-bridge hb1 bus=1",
            "host-bridge hb2",
            "root-port rp0 parent=hb0",
            "endpoint e0 parent=rp0",
            "root-port rp1 parent=hb1",
            "endpoint e1 parent=rp1",
            "root-port rp2 parent=hb2"));

        Assert.Equal(0, t.HostBridge("hb0").RootBus);
        Assert.Equal("0000:02:00.0", t.Device("e0").Bdf.ToString()); // bus 1 is kept for hb1
        Assert.Equal(1, t.HostBridge("hb1").RootBus);
        Assert.Equal("0000:01:01.0", t.Device("rp1").Bdf.ToString());
        Assert.Equal("0000:03:00.0", t.Device("e1").Bdf.ToString());
        Assert.Equal(4, t.HostBridge("hb2").RootBus);
        Assert.Equal("0000:04:01.0", t.Device("rp2").Bdf.ToString());
    }

    [Fact]
    public void DuplicateName_IsReportedAtTheLaterDeclaration_WhateverTheKinds()
    {
        TopologyException ex = Fails("host-bridge hb0", "endpoint x parent=hb0", "host-bridge x");
        TopologyError error = HasError(ex, 3, "name", "'x' is declared more than once");
        Assert.Equal("host-bridge x", error.Subject);
        Assert.DoesNotContain(ex.Errors, e => e.Line == 2);
    }

    [Fact]
    public void Builder_CpuFamilyAbove0xff_IsAnError()
    {
        var ex = Assert.Throws<TopologyException>(() => new PciTopologyBuilder().Cpu(CpuVendor.Amd, 0x100).HostBridge("hb0").Build());

        TopologyError error = HasError(ex, null, "family", "0x100 is outside 0..0xff");
        Assert.Equal("cpu", error.Subject);
    }

    [Fact]
    public void DmaOffsetOverflow_IsReportedAsTooLarge()
    {
        TopologyException ex = Fails(
            "host-bridge hb0 dma-offset=0x8000_0000_0000_0000",
            "host-bridge hb1 dma-offset=-0x1_0000_0000_0000_0000",
            "host-bridge hb2 dma-offset=+5");
        HasError(ex, 1, "dma-offset", "0x8000_0000_0000_0000 is too large");
        HasError(ex, 2, "dma-offset", "-0x1_0000_0000_0000_0000 is too large");
        HasError(ex, 3, "dma-offset", "'+5' is not a signed number");
    }

    [Fact]
    public void TopologyException_NeedsAtLeastOneError() =>
        Assert.Throws<ArgumentException>(() => new TopologyException(Array.Empty<TopologyError>()));

    [Fact]
    public void Parse_Null_Throws() => Assert.Throws<ArgumentNullException>(() => PciTopology.Parse(null!));

    private static PciTopology RichTopology() =>
        new PciTopologyBuilder()
            .Cpu(CpuVendor.Amd, 0x19)
            .Ram(0, 0x8000_0000)
            .Ram(0x1_0000_0000, 0x1_0000_0000)
            .HostBridge("hb0", hb => hb.Identity(Ids.Intel, Ids.SkylakeE).Iommu().DmaOffset(-0x1000_0000)
                .Window(0x8000_0000, 0x8000_0000, 0x4000_0000))
            .HostBridge("hb1", hb => hb.Domain(1, 0x40).Window(0x40_0000_0000, 0x1_0000_0000, 0x40_0000_0000))
            .RootPort("rp0", "hb0", f => f.Acs(AcsControl.SourceValidation | AcsControl.RequestRedirect | AcsControl.CompletionRedirect))
            .SwitchUpstreamPort("sw0", "rp0")
            .SwitchDownstreamPort("sw0.dp0", "sw0", f => f.Acs(AcsControl.EgressControl))
            .SwitchDownstreamPort("sw0.dp1", "sw0")
            .Endpoint("gpu", "sw0.dp0", f => f.Identity(0x10de, 0x2330).DmaMaskBits(48).Bar(0, 0x9000_0000, 0x1000_0000).Bar(2, 0xA000_0000, 0x100_0000, prefetchable: false))
            .Endpoint("gpu.audio", "sw0.dp0", f => f.Address(null, 1))
            .Endpoint("nic", "sw0.dp1", f => f.Bar(0, 0xB000_0000, 0x10_0000))
            .Endpoint("ie0", "hb0", f => f.Address(7))
            .RootPort("rp1", "hb1")
            .Endpoint("nvme", "rp1", f => f.DmaMaskBits(64).Bar(0, 0x40_0000_0000, 0x4000))
            .Build();

    [Fact]
    public void RoundTrip_ParseOfDescribe_DescribesTheSame()
    {
        PciTopology t = RichTopology();
        string text = t.Describe();

        PciTopology again = PciTopology.Parse(text);

        Assert.Equal(text, again.Describe());
        Assert.Equal(t.Devices.Select(d => (d.Name, d.Bdf, d.Kind)), again.Devices.Select(d => (d.Name, d.Bdf, d.Kind)));
        Assert.Equal(t.Device("gpu").Bar(0).BusStart, again.Device("gpu").Bar(0).BusStart);
        Assert.Equal(-0x1000_0000L, again.HostBridge("hb0").DmaOffset);
        Assert.Equal(PciP2PDma_MapType(t, "gpu", "nic"), PciP2PDma_MapType(again, "gpu", "nic"));
    }

    [Fact]
    public void RoundTrip_HoldsWhateverTheCurrentCulture()
    {
        // A culture whose minus sign is not ASCII (as several ICU cultures have) must not leak into the description.
        CultureInfo saved = CultureInfo.CurrentCulture;
        var odd = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        odd.NumberFormat.NegativeSign = "\u2212";
        try
        {
            CultureInfo.CurrentCulture = odd;
            PciTopology t = RichTopology();
            string text = t.Describe();

            Assert.Equal(text, PciTopology.Parse(text).Describe());
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void RoundTrip_AfterTheDriverRaisedTheMask_KeepsTheNewMask()
    {
        PciTopology t = Topologies.SwitchSiblings();
        Assert.Equal(P2PDma.Mapping.DmaError.None, P2PDma.Mapping.Dma.SetMaskAndCoherent(t.Device("nic"), P2PDma.Mapping.Dma.BitMask(40)));

        PciTopology again = PciTopology.Parse(t.Describe());

        Assert.Equal(P2PDma.Mapping.Dma.BitMask(40), again.Device("nic").DmaMask);
        Assert.Equal(t.Describe(), again.Describe());
    }

    private static P2PDma.P2P.P2PMapType PciP2PDma_MapType(PciTopology t, string provider, string client) =>
        P2PDma.P2P.PciP2PDma.Describe(t.Device(provider), t.Device(client)).MapType;
}
