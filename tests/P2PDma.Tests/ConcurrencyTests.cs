using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>
/// The map-type cache (p2pdma->map_types) under concurrent queries: one P2PPath per (provider, client) pair, the same
/// instance for every caller, and the same answers as a sequential query.
/// </summary>
public sealed class ConcurrencyTests
{
    private static PciTopology Mixed() =>
        new PciTopologyBuilder()
            .HostBridge("hb0")
            .RootPort("rp0", "hb0")
            .RootPort("rp1", "hb0")
            .SwitchUpstreamPort("sw0", "rp0")
            .SwitchDownstreamPort("sw0.dp0", "sw0")
            .SwitchDownstreamPort("sw0.dp1", "sw0")
            .SwitchDownstreamPort("sw0.dp2", "sw0", f => f.Acs(AcsControl.RequestRedirect))
            .Endpoint("gpu", "sw0.dp0", f => f.Bar(0, Topologies.GpuBar, Topologies.GpuBarSize))
            .Endpoint("nic", "sw0.dp1")
            .Endpoint("acs", "sw0.dp2")
            .Endpoint("far", "rp1")
            .Build();

    [Fact]
    public async Task ConcurrentDescribe_OfOnePair_ReturnsOneCachedInstance()
    {
        PciTopology t = Mixed();
        PciDevice gpu = t.Device("gpu");
        PciDevice nic = t.Device("nic");
        PciP2PDma.Init(gpu); // map types are cached only for initialised providers (calc_map_type_and_dist)
        const int Callers = 64;
        var results = new P2PPath[Callers];
        using var start = new Barrier(Callers);

        Task[] tasks = Enumerable.Range(0, Callers).Select(i => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            results[i] = PciP2PDma.Describe(gpu, nic);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        await Task.WhenAll(tasks);

        Assert.All(results, r => Assert.Same(results[0], r));
        Assert.Same(results[0], PciP2PDma.Describe(gpu, nic));
        Assert.Equal(P2PMapType.BusAddr, results[0].MapType);
        Assert.Equal(4, results[0].Distance);
    }

    [Fact]
    public void ParallelQueries_OverEveryPair_AreConsistent_AndCachedPerPair()
    {
        PciTopology t = Mixed();
        PciDevice[] devices = t.Devices.ToArray();
        foreach (PciDevice d in devices)
        {
            PciP2PDma.Init(d); // map types are cached only for initialised providers
        }

        var seen = new ConcurrentDictionary<(PciDevice, PciDevice), ConcurrentBag<P2PPath>>();

        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            PciDevice provider = devices[i % devices.Length];
            PciDevice client = devices[(i / devices.Length) % devices.Length];
            P2PPath path = PciP2PDma.Describe(provider, client);
            if (ProviderOf(provider) is P2PProvider bar)
            {
                Assert.Equal(path.MapType, PciP2PDma.MapType(bar, client));
            }

            seen.GetOrAdd((provider, client), _ => new ConcurrentBag<P2PPath>()).Add(path);
        });

        Assert.Equal(devices.Length * devices.Length, seen.Count);
        foreach (((PciDevice provider, PciDevice client), ConcurrentBag<P2PPath> paths) in seen)
        {
            P2PPath first = paths.First();
            Assert.All(paths, p => Assert.Same(first, p));
            Assert.Same(first, PciP2PDma.Describe(provider, client));
        }

        // The answers are the kernel's, not just self-consistent.
        Assert.Equal(P2PMapType.BusAddr, PciP2PDma.Describe(t.Device("gpu"), t.Device("nic")).MapType);
        Assert.Equal(P2PMapType.NotSupported, PciP2PDma.Describe(t.Device("gpu"), t.Device("acs")).MapType);
        Assert.Equal(P2PMapType.NotSupported, PciP2PDma.Describe(t.Device("gpu"), t.Device("far")).MapType);
        Assert.Equal(6, PciP2PDma.Describe(t.Device("gpu"), t.Device("far")).Distance);
    }

    [Fact]
    public void ParallelDistanceMany_MatchesTheSequentialAnswer()
    {
        PciTopology t = Mixed();
        PciDevice gpu = t.Device("gpu");
        PciDevice[] good = { t.Device("nic"), gpu };
        PciDevice[] bad = { t.Device("nic"), t.Device("far") };
        var answers = new ConcurrentBag<(int Good, int Bad)>();

        Parallel.For(0, 500, _ => answers.Add((PciP2PDma.DistanceMany(gpu, good), PciP2PDma.DistanceMany(gpu, bad))));

        Assert.All(answers, a => Assert.Equal((4, -1), a));
    }

    [Fact]
    public void ParallelIommuMappings_GetDisjointIovas_AndUnmapCleanly()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        var pages = t.Memory.AllocPages(200);
        var iovas = new DmaAddr[pages.Length];

        Parallel.For(0, pages.Length, i => iovas[i] = Dma.MapPage(nic, pages[i], 0, 0x1000, DmaDirection.ToDevice));

        Assert.Equal(pages.Length, iovas.Distinct().Count());
        for (int i = 0; i < pages.Length; i++)
        {
            Assert.True(nic.IommuDomain!.TryTranslate(iovas[i], out PhysAddr phys, out _));
            Assert.Equal(pages[i].Phys, phys);
        }

        Parallel.For(0, pages.Length, i => Dma.UnmapPage(nic, iovas[i], 0x1000, DmaDirection.ToDevice));
        Assert.Equal(0, nic.IommuDomain!.MappedPages);
    }

    private static P2PProvider? ProviderOf(PciDevice device)
    {
        if (device.Bars.Count == 0)
        {
            return null;
        }

        PciP2PDma.Init(device);
        return PciP2PDma.Provider(device, device.Bars[0].Index);
    }
}
