using System;
using System.Collections.Generic;
using System.Linq;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>
/// The map type and distance of <c>calc_map_type_and_dist</c> (drivers/pci/p2pdma.c) over a table of topologies. Expected
/// values are derived by hand from the kernel walk: for each ancestor a of the provider (itself first, dist_a hops),
/// walk up from the client (dist_b hops) looking for a; ACS redirect is counted on every provider-side device up to
/// and including the common one and on client-side devices below it; with no common device the distance is the two
/// chain lengths added (pci_upstream_bridge() of a root-bus device is NULL, so a chain is endpoint..root port).
/// </summary>
public sealed partial class MapTypeTableTests
{
    private sealed record Case(Func<PciTopology> Build, string Provider, string Client, string? Common);

    private static readonly CpuInfo Zen = new(CpuVendor.Amd, 0x17);
    private static readonly CpuInfo Zen3 = new(CpuVendor.Amd, 0x19);
    private static readonly CpuInfo Piledriver = new(CpuVendor.Amd, 0x15);
    private static readonly CpuInfo IntelCore = new(CpuVendor.Intel, 6);

    private static readonly Dictionary<string, Case> Cases = new(StringComparer.Ordinal)
    {
        // a == b on the first step: dist 0, nothing to check for ACS except the device itself.
        ["SameFunction_BusAddr_Distance0"] =
            new(() => Topologies.SwitchSiblings(), "gpu", "gpu", "gpu"),
        ["SameFunctionOnRootBus_BusAddrWithoutAnyBridge"] =
            new(IntegratedEndpoints, "ie0", "ie0", "ie0"),

        // fn1 -> port (1 hop), fn0 -> port (1 hop).
        ["TwoFunctionsOfOneDevice_MeetAtTheirPort_Distance2"] =
            new(() => MultiFunction(), "gpu.1", "gpu", "sw0.dp0"),

        // gpu -> dp0 -> sw0 (2) + nic -> dp1 -> sw0 (2).
        ["SwitchSiblings_MeetAtUpstreamPort_Distance4"] =
            new(() => Topologies.SwitchSiblings(), "gpu", "nic", "sw0"),

        // gpu -> sw1.dp0 -> sw1 -> sw0.dp0 -> sw0 (4) + nic -> sw0.dp1 -> sw0 (2).
        ["NestedSwitches_ProviderInInnerSwitch_Distance6"] =
            new(NestedSwitches, "gpu", "nic", "sw0"),
        ["NestedSwitches_BothInInnerSwitch_MeetAtInnerUpstreamPort_Distance4"] =
            new(NestedSwitches, "gpu", "gpu2", "sw1"),

        // ACS redirect on a downstream port of the path: through the host bridge if it forwards, else not at all.
        ["AcsRedirectOnProviderDownstreamPort_AllowlistedHost_ThruHostBridge"] =
            new(() => Topologies.SwitchSiblings(Ids.SkylakeHost(), providerPortAcs: AcsControl.RequestRedirect), "gpu", "nic", "sw0"),
        ["AcsRedirectOnProviderDownstreamPort_UnlistedHost_NotSupported"] =
            new(() => Topologies.SwitchSiblings(providerPortAcs: AcsControl.RequestRedirect), "gpu", "nic", "sw0"),
        ["AcsRedirectOnClientDownstreamPort_AllowlistedHost_ThruHostBridge"] =
            new(() => Topologies.SwitchSiblings(Ids.SkylakeHost(), clientPortAcs: AcsControl.RequestRedirect), "gpu", "nic", "sw0"),
        ["AcsRedirectOnClientDownstreamPort_UnlistedHost_NotSupported"] =
            new(() => Topologies.SwitchSiblings(clientPortAcs: AcsControl.RequestRedirect), "gpu", "nic", "sw0"),
        ["AcsCompletionRedirectAlone_CountsAsRedirect_NotSupported"] =
            new(() => Topologies.SwitchSiblings(clientPortAcs: AcsControl.CompletionRedirect), "gpu", "nic", "sw0"),
        ["AcsEgressControlAlone_CountsAsRedirect_NotSupported"] =
            new(() => Topologies.SwitchSiblings(providerPortAcs: AcsControl.EgressControl), "gpu", "nic", "sw0"),
        ["AcsBitsOtherThanRrCrEc_AreNoRedirect_BusAddr"] =
            new(() => Topologies.SwitchSiblings(
                providerPortAcs: AcsControl.SourceValidation | AcsControl.TranslationBlocking | AcsControl.UpstreamForwarding | AcsControl.DirectTranslated,
                clientPortAcs: AcsControl.SourceValidation | AcsControl.UpstreamForwarding), "gpu", "nic", "sw0"),

        // The provider walk tests ACS on a before looking for a on the client's way up, so the common device counts.
        ["AcsRedirectOnCommonUpstreamPort_CountsOnProviderWalk_NotSupported"] =
            new(() => Topologies.SwitchSiblings(upstreamPortAcs: AcsControl.RequestRedirect), "gpu", "nic", "sw0"),
        ["AcsRedirectOnCommonUpstreamPort_CountsOnProviderWalk_AllowlistedHost_ThruHostBridge"] =
            new(() => Topologies.SwitchSiblings(Ids.SkylakeHost(), upstreamPortAcs: AcsControl.RequestRedirect), "gpu", "nic", "sw0"),
        ["AcsRedirectOnPortAboveMultiFunctionDevice_IsTheCommonDevice_NotSupported"] =
            new(() => MultiFunction(portAcs: AcsControl.RequestRedirect), "gpu.1", "gpu", "sw0.dp0"),
        ["AcsRedirectOnClientFunctionItself_CountsOnClientWalk_NotSupported"] =
            new(() => MultiFunction(clientFunctionAcs: AcsControl.RequestRedirect), "gpu.1", "gpu", "sw0.dp0"),

        // Both walks stop at the common device: a redirect above it is not on the path.
        ["AcsRedirectAboveCommonUpstream_OnRootPort_NotOnPath_BusAddr"] =
            new(() => Topologies.SwitchSiblings(rootPortAcs: AcsControl.RequestRedirect), "gpu", "nic", "sw0"),

        // No common upstream device: gpu -> rp0 (2) + nic -> rp1 (2); host_bridge_whitelist decides.
        ["AcrossRootPorts_SkylakeEAllowlisted_ThruHostBridge"] =
            new(() => Topologies.AcrossRootPorts(Ids.SkylakeHost()), "gpu", "nic", null),
        ["AcrossRootPorts_UnlistedHostBridge_NotSupported"] =
            new(() => Topologies.AcrossRootPorts(), "gpu", "nic", null),
        ["AcrossRootPorts_UnlistedIntelDeviceId_NotSupported"] =
            new(() => Topologies.AcrossRootPorts(Ids.Host(Ids.Intel, Ids.IntelUnlisted)), "gpu", "nic", null),
        ["SameHostBridgeRequired_XeonE5SameBridge_ThruHostBridge"] =
            new(() => Topologies.AcrossRootPorts(Ids.Host(Ids.Intel, Ids.XeonE5)), "gpu", "nic", null),
        ["SameHostBridgeRequired_TwoXeonE5Bridges_NotSupported"] =
            new(() => Topologies.AcrossHostBridges(Ids.Host(Ids.Intel, Ids.XeonE5), Ids.Host(Ids.Intel, Ids.XeonE5)), "gpu", "nic", null),
        ["SameHostBridgeRequired_XeonE5AndSkylakeBridges_NotSupported"] =
            new(() => Topologies.AcrossHostBridges(Ids.Host(Ids.Intel, Ids.XeonE5), Ids.SkylakeHost()), "gpu", "nic", null),
        ["TwoDifferentAllowlistedBridges_SkylakeEAndIceLake_ThruHostBridge"] =
            new(() => Topologies.AcrossHostBridges(Ids.SkylakeHost(), Ids.Host(Ids.Intel, Ids.IceLakeSp)), "gpu", "nic", null),
        ["AllowlistedAndUnlistedBridges_NotSupported"] =
            new(() => Topologies.AcrossHostBridges(Ids.SkylakeHost(), Ids.PlainHost()), "gpu", "nic", null),

        // cpu_supports_p2pdma: AMD family >= 0x17 forwards everywhere, whatever the host bridge IDs.
        ["AmdZenFamily0x17_AcrossRootPorts_ThruHostBridge"] =
            new(() => Topologies.AcrossRootPorts(cpu: Zen), "gpu", "nic", null),
        ["AmdZen3Family0x19_AcrossHostBridges_ThruHostBridge"] =
            new(() => Topologies.AcrossHostBridges(Ids.PlainHost(), Ids.PlainHost(), Zen3), "gpu", "nic", null),
        ["AmdFamily0x15PreZen_AcrossRootPorts_NotSupported"] =
            new(() => Topologies.AcrossRootPorts(cpu: Piledriver), "gpu", "nic", null),
        ["IntelCpuWithUnlistedBridge_AcrossRootPorts_NotSupported"] =
            new(() => Topologies.AcrossRootPorts(cpu: IntelCore), "gpu", "nic", null),
        ["AmdZen_AcsRedirectOnSwitch_ThruHostBridge"] =
            new(() => Topologies.SwitchSiblings(providerPortAcs: AcsControl.RequestRedirect, cpu: Zen), "gpu", "nic", "sw0"),

        // No common ancestor: sum of chain lengths, gpu -> sw0.dp0 -> sw0 -> rp0 (4) + nic -> rp1 (2).
        ["NoCommonAncestor_DistanceIsSumOfChainLengths_Distance6"] =
            new(DeepAndShallowOnTwoBridges, "gpu", "nic", null),

        // Root-bus devices have no upstream bridge: chains of length 1.
        ["IntegratedEndpointsOnRootBus_NoUpstreamBridge_UnlistedHost_NotSupported"] =
            new(IntegratedEndpoints, "ie0", "ie1", null),
        ["IntegratedEndpointsOnRootBus_AllowlistedHost_ThruHostBridge_Distance2"] =
            new(() => IntegratedEndpoints(Ids.SkylakeHost()), "ie0", "ie1", null),
        ["IntegratedMultiFunctionDevice_FunctionsShareNoBridge_Distance2"] =
            new(() => IntegratedEndpoints(Ids.SkylakeHost()), "ie0", "ie0.1", null),
        ["IntegratedEndpointAndEndpointBelowRootPort_Distance3"] =
            new(() => IntegratedEndpoints(Ids.SkylakeHost()), "ie0", "nic", null),

        // pci_host_bridge_dev (drivers/pci/p2pdma.c, PCI tree): the allowlist is matched against the first device on
        // the root bus if it is devfn 00.0 or a root port, not against an abstract host bridge ID.
        ["NoHostFunction_FirstRootBusDeviceIsListedRootPort_ThruHostBridge"] =
            new(() => RootBusFirst(firstRootPort: (Ids.Intel, Ids.SkylakeE)), "gpu", "nic", null),
        ["NoHostFunction_HostBridgeIdsListed_ButRootPortNot_NotSupported"] =
            new(() => RootBusFirst(host: (Ids.Intel, Ids.SkylakeE)), "gpu", "nic", null),
        ["NoHostFunction_FirstIsEndpointOffDevfn00_0_NoDeviceToCheck_NotSupported"] =
            new(() => RootBusFirst(integrated: (1, Ids.Intel, Ids.SkylakeE), firstRootPort: (Ids.Intel, Ids.SkylakeE)), "gpu", "nic", null),
        ["NoHostFunction_EndpointAtDevfn00_0_IsChecked_ThruHostBridge"] =
            new(() => RootBusFirst(integrated: (0, Ids.Intel, 0x2020)), "gpu", "nic", null),
        ["HostFunctionPresent_OnlyItIsChecked_ListedRootPortIgnored_NotSupported"] =
            new(() => RootBusFirst(hostFunction: true, firstRootPort: (Ids.Intel, Ids.SkylakeE)), "gpu", "nic", null),

        // pci_p2pdma_whitelist entries added since v6.x: Sapphire Rapids DSA (PCI_DEVICE_ID_INTEL_DSA_SPR0), Google
        // (PCI_ANY_ID), Nvidia, Zhaoxin (some with REQ_SAME_HOST_BRIDGE).
        ["IntelDsaSpr0x0b25_ThruHostBridge"] =
            new(() => Topologies.AcrossRootPorts(Ids.Host(Ids.Intel, 0x0b25)), "gpu", "nic", null),
        ["IntelQat6xxx0x4948_ThruHostBridge"] =
            new(() => Topologies.AcrossRootPorts(Ids.Host(Ids.Intel, 0x4948)), "gpu", "nic", null),
        ["GoogleAnyDeviceId_WildcardEntry_ThruHostBridge"] =
            new(() => Topologies.AcrossRootPorts(Ids.Host(0x1ae0, 0xbeef)), "gpu", "nic", null),
        ["WildcardIsPerVendor_SameDeviceIdOtherVendor_NotSupported"] =
            new(() => Topologies.AcrossRootPorts(Ids.Host(0x1ae1, 0xbeef)), "gpu", "nic", null),
        ["NvidiaCpu0x2f95_TwoBridges_ThruHostBridge"] =
            new(() => Topologies.AcrossHostBridges(Ids.Host(0x10de, 0x2f95), Ids.Host(0x10de, 0x2f98)), "gpu", "nic", null),
        ["Zhaoxin0x1003_SameBridge_ThruHostBridge"] =
            new(() => Topologies.AcrossRootPorts(Ids.Host(0x1d17, 0x1003)), "gpu", "nic", null),
        ["Zhaoxin0x1003_TwoBridges_RequiresSameBridge_NotSupported"] =
            new(() => Topologies.AcrossHostBridges(Ids.Host(0x1d17, 0x1003), Ids.Host(0x1d17, 0x1003)), "gpu", "nic", null),
        ["Zhaoxin0x1008_TwoBridges_NoSameBridgeRequirement_ThruHostBridge"] =
            new(() => Topologies.AcrossHostBridges(Ids.Host(0x1d17, 0x1008), Ids.Host(0x1d17, 0x1008)), "gpu", "nic", null),

        // SR-IOV: pci_upstream_bridge() walks from pci_physfn(dev), so a VF meets its PF and its sibling VFs at the port
        // above the PF (vf -> rp0, 1 hop each side), and the PF itself is not on a VF's path.
        ["SriovVfToItsPf_MeetAtThePortAboveThePf_Distance2"] =
            new(() => Sriov(), "nic.vf0", "nic", "rp0"),
        ["SriovVfToSiblingVf_Distance2"] =
            new(() => Sriov(), "nic.vf0", "nic.vf1", "rp0"),
        ["SriovAcsRedirectOnThePf_IsNotOnTheVfToVfPath_BusAddr"] =
            new(() => Sriov(pfAcs: AcsControl.RequestRedirect), "nic.vf0", "nic.vf1", "rp0"),
    };

    public static TheoryData<string, P2PMapType, int> Table => new()
    {
        { "SameFunction_BusAddr_Distance0", P2PMapType.BusAddr, 0 },
        { "SameFunctionOnRootBus_BusAddrWithoutAnyBridge", P2PMapType.BusAddr, 0 },
        { "TwoFunctionsOfOneDevice_MeetAtTheirPort_Distance2", P2PMapType.BusAddr, 2 },
        { "SwitchSiblings_MeetAtUpstreamPort_Distance4", P2PMapType.BusAddr, 4 },
        { "NestedSwitches_ProviderInInnerSwitch_Distance6", P2PMapType.BusAddr, 6 },
        { "NestedSwitches_BothInInnerSwitch_MeetAtInnerUpstreamPort_Distance4", P2PMapType.BusAddr, 4 },
        { "AcsRedirectOnProviderDownstreamPort_AllowlistedHost_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "AcsRedirectOnProviderDownstreamPort_UnlistedHost_NotSupported", P2PMapType.NotSupported, 4 },
        { "AcsRedirectOnClientDownstreamPort_AllowlistedHost_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "AcsRedirectOnClientDownstreamPort_UnlistedHost_NotSupported", P2PMapType.NotSupported, 4 },
        { "AcsCompletionRedirectAlone_CountsAsRedirect_NotSupported", P2PMapType.NotSupported, 4 },
        { "AcsEgressControlAlone_CountsAsRedirect_NotSupported", P2PMapType.NotSupported, 4 },
        { "AcsBitsOtherThanRrCrEc_AreNoRedirect_BusAddr", P2PMapType.BusAddr, 4 },
        { "AcsRedirectOnCommonUpstreamPort_CountsOnProviderWalk_NotSupported", P2PMapType.NotSupported, 4 },
        { "AcsRedirectOnCommonUpstreamPort_CountsOnProviderWalk_AllowlistedHost_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "AcsRedirectOnPortAboveMultiFunctionDevice_IsTheCommonDevice_NotSupported", P2PMapType.NotSupported, 2 },
        { "AcsRedirectOnClientFunctionItself_CountsOnClientWalk_NotSupported", P2PMapType.NotSupported, 2 },
        { "AcsRedirectAboveCommonUpstream_OnRootPort_NotOnPath_BusAddr", P2PMapType.BusAddr, 4 },
        { "AcrossRootPorts_SkylakeEAllowlisted_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "AcrossRootPorts_UnlistedHostBridge_NotSupported", P2PMapType.NotSupported, 4 },
        { "AcrossRootPorts_UnlistedIntelDeviceId_NotSupported", P2PMapType.NotSupported, 4 },
        { "SameHostBridgeRequired_XeonE5SameBridge_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "SameHostBridgeRequired_TwoXeonE5Bridges_NotSupported", P2PMapType.NotSupported, 4 },
        { "SameHostBridgeRequired_XeonE5AndSkylakeBridges_NotSupported", P2PMapType.NotSupported, 4 },
        { "TwoDifferentAllowlistedBridges_SkylakeEAndIceLake_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "AllowlistedAndUnlistedBridges_NotSupported", P2PMapType.NotSupported, 4 },
        { "AmdZenFamily0x17_AcrossRootPorts_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "AmdZen3Family0x19_AcrossHostBridges_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "AmdFamily0x15PreZen_AcrossRootPorts_NotSupported", P2PMapType.NotSupported, 4 },
        { "IntelCpuWithUnlistedBridge_AcrossRootPorts_NotSupported", P2PMapType.NotSupported, 4 },
        { "AmdZen_AcsRedirectOnSwitch_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "NoCommonAncestor_DistanceIsSumOfChainLengths_Distance6", P2PMapType.ThruHostBridge, 6 },
        { "IntegratedEndpointsOnRootBus_NoUpstreamBridge_UnlistedHost_NotSupported", P2PMapType.NotSupported, 2 },
        { "IntegratedEndpointsOnRootBus_AllowlistedHost_ThruHostBridge_Distance2", P2PMapType.ThruHostBridge, 2 },
        { "IntegratedMultiFunctionDevice_FunctionsShareNoBridge_Distance2", P2PMapType.ThruHostBridge, 2 },
        { "IntegratedEndpointAndEndpointBelowRootPort_Distance3", P2PMapType.ThruHostBridge, 3 },
        { "NoHostFunction_FirstRootBusDeviceIsListedRootPort_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "NoHostFunction_HostBridgeIdsListed_ButRootPortNot_NotSupported", P2PMapType.NotSupported, 4 },
        { "NoHostFunction_FirstIsEndpointOffDevfn00_0_NoDeviceToCheck_NotSupported", P2PMapType.NotSupported, 4 },
        { "NoHostFunction_EndpointAtDevfn00_0_IsChecked_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "HostFunctionPresent_OnlyItIsChecked_ListedRootPortIgnored_NotSupported", P2PMapType.NotSupported, 4 },
        { "IntelDsaSpr0x0b25_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "IntelQat6xxx0x4948_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "GoogleAnyDeviceId_WildcardEntry_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "WildcardIsPerVendor_SameDeviceIdOtherVendor_NotSupported", P2PMapType.NotSupported, 4 },
        { "NvidiaCpu0x2f95_TwoBridges_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "Zhaoxin0x1003_SameBridge_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "Zhaoxin0x1003_TwoBridges_RequiresSameBridge_NotSupported", P2PMapType.NotSupported, 4 },
        { "Zhaoxin0x1008_TwoBridges_NoSameBridgeRequirement_ThruHostBridge", P2PMapType.ThruHostBridge, 4 },
        { "SriovVfToItsPf_MeetAtThePortAboveThePf_Distance2", P2PMapType.BusAddr, 2 },
        { "SriovVfToSiblingVf_Distance2", P2PMapType.BusAddr, 2 },
        { "SriovAcsRedirectOnThePf_IsNotOnTheVfToVfPath_BusAddr", P2PMapType.BusAddr, 2 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void KernelRule_GivesExpectedMapTypeAndDistance(string rule, P2PMapType expected, int distance)
    {
        Case c = Cases[rule];
        PciTopology t = c.Build();
        PciDevice provider = t.Device(c.Provider);
        PciDevice client = t.Device(c.Client);

        P2PPath path = PciP2PDma.Describe(provider, client);

        Assert.Equal(expected, path.MapType);
        Assert.Equal(distance, path.Distance);
        Assert.Equal(c.Common, path.CommonUpstream?.Name);
        Assert.Equal(path.MapType == P2PMapType.NotSupported ? -1 : distance, PciP2PDma.Distance(provider, client));

        // The kernel's result does not depend on which side is the provider: the ACS set and host bridges are the same.
        P2PPath reverse = PciP2PDma.Describe(client, provider);
        Assert.Equal(expected, reverse.MapType);
        Assert.Equal(distance, reverse.Distance);
    }

    [Fact]
    public void Table_CoversEveryCaseExactlyOnce()
    {
        var names = Table.Select(row => (string)row[0]).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(Cases.Keys.OrderBy(k => k), names.OrderBy(k => k));
        Assert.True(names.Count >= 15);
    }
}
