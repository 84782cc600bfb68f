using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using P2PDma.Pci;

namespace P2PDma.P2P;

/// <summary>
/// Per-device P2PDMA state (<c>pdev-&gt;p2pdma</c>): the providers made by <c>pcim_p2pdma_init</c>, the ranges
/// published with struct pages, and the map-type cache keyed by client (<c>p2pdma-&gt;map_types</c>).
/// </summary>
internal sealed class P2PDeviceState
{
    private readonly PciDevice _owner;
    private readonly ConcurrentDictionary<PciDevice, P2PPath> _paths = new();
    private readonly object _gate = new();
    private readonly List<Addresses.PhysRange> _published = new();
    private Dictionary<int, P2PProvider>? _providers;
    private bool _p2pmemPublished;

    public P2PDeviceState(PciDevice owner) => _owner = owner;

    public bool IsInitialized
    {
        get
        {
            lock (_gate)
            {
                return _providers is not null;
            }
        }
    }

    public void Initialize()
    {
        lock (_gate)
        {
            _providers ??= _owner.Bars.ToDictionary(b => b.Index, b => new P2PProvider(b));
        }
    }

    public P2PProvider? Provider(int bar)
    {
        lock (_gate)
        {
            return _providers is not null && _providers.TryGetValue(bar, out P2PProvider? p) ? p : null;
        }
    }

    /// <summary>Gives the range struct pages (<c>pci_p2pdma_add_resource</c>); false when it overlaps a published one.</summary>
    public bool Publish(Addresses.PhysRange range)
    {
        lock (_gate)
        {
            if (_published.Any(r => r.Overlaps(range)))
            {
                return false;
            }

            _published.Add(range);
            return true;
        }
    }

    /// <summary>Sets <c>p2pdma-&gt;p2pmem_published</c>; ignored before <see cref="Initialize"/>, as in the kernel.</summary>
    public void SetP2PMemPublished(bool publish)
    {
        lock (_gate)
        {
            if (_providers is not null)
            {
                _p2pmemPublished = publish;
            }
        }
    }

    /// <summary>
    /// <c>pci_has_p2pmem</c>: memory was added with struct pages (the pool exists) and published for other drivers.
    /// </summary>
    public bool HasP2PMem
    {
        get
        {
            lock (_gate)
            {
                return _published.Count > 0 && _p2pmemPublished;
            }
        }
    }

    /// <summary>True when <paramref name="address"/> lies in a range published with struct pages.</summary>
    public bool IsPublished(Addresses.PhysAddr address)
    {
        lock (_gate)
        {
            return _published.Any(r => r.Contains(address));
        }
    }

    /// <summary>
    /// The path to <paramref name="client"/>. As <c>calc_map_type_and_dist</c> stores its result in
    /// <c>p2pdma-&gt;map_types</c> only when the provider's <c>pdev-&gt;p2pdma</c> exists, the result is cached only once
    /// <see cref="Initialize"/> has run; from then on concurrent callers get the same object.
    /// </summary>
    public P2PPath PathTo(PciDevice client)
    {
        if (_paths.TryGetValue(client, out P2PPath? cached))
        {
            return cached;
        }

        P2PPath path = MapTypeCalculator.Calculate(_owner, client);
        return IsInitialized ? _paths.GetOrAdd(client, path) : path;
    }

    /// <summary>True when the map type to <paramref name="client"/> is cached (<c>xa_load</c> of <c>map_types</c>).</summary>
    public bool IsCached(PciDevice client) => _paths.ContainsKey(client);
}
