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
    private readonly List<Addresses.PhysRange> _free = new();
    private readonly Dictionary<ulong, ulong> _allocated = new();
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
            _free.Add(range);
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

    /// <summary>
    /// Takes <paramref name="size"/> bytes, rounded up to whole pages, from the pool of published memory (the
    /// <c>gen_pool</c> of <c>pci_alloc_p2pmem</c>, first fit); null when no range has room.
    /// </summary>
    public Addresses.PhysAddr? Allocate(ulong size)
    {
        ulong pages = (size + Addresses.Paging.PageSize - 1) / Addresses.Paging.PageSize * Addresses.Paging.PageSize;
        lock (_gate)
        {
            for (int i = 0; i < _free.Count; i++)
            {
                Addresses.PhysRange range = _free[i];
                ulong skip = (Addresses.Paging.PageSize - (range.Start.Raw % Addresses.Paging.PageSize)) % Addresses.Paging.PageSize;
                if (range.Size < skip || range.Size - skip < pages)
                {
                    continue;
                }

                Addresses.PhysAddr start = range.Start + skip;
                _free.RemoveAt(i);
                if (skip > 0)
                {
                    _free.Insert(i++, new Addresses.PhysRange(range.Start, skip));
                }

                if (range.Size - skip > pages)
                {
                    _free.Insert(i, new Addresses.PhysRange(start + pages, range.Size - skip - pages));
                }

                _allocated[start.Raw] = pages;
                return start;
            }
        }

        return null;
    }

    /// <summary>Gives back what <see cref="Allocate"/> returned at <paramref name="start"/>; false when it did not.</summary>
    public bool Free(Addresses.PhysAddr start)
    {
        lock (_gate)
        {
            if (!_allocated.TryGetValue(start.Raw, out ulong length))
            {
                return false;
            }

            _allocated.Remove(start.Raw);
            _free.Add(new Addresses.PhysRange(start, length));
            return true;
        }
    }

    /// <summary>True when <paramref name="start"/> is the start of memory taken from the pool and not given back.</summary>
    public bool IsAllocated(Addresses.PhysAddr start)
    {
        lock (_gate)
        {
            return _allocated.ContainsKey(start.Raw);
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
