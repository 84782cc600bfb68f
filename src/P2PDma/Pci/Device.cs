namespace P2PDma.Pci;

/// <summary>
/// A device of the driver model (<c>struct device</c>): a PCI function (<see cref="PciDevice"/>) or a device that is
/// not one (<see cref="PlatformDevice"/>), such as a block or RDMA device whose parent is a PCI function, or a
/// platform device with no PCI device above it. The P2PDMA calls take any device as a client, as the kernel's do.
/// </summary>
public abstract class Device
{
    private protected Device()
    {
    }

    /// <summary>The device's name (<c>dev_name</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The device above this one in the device tree (<c>dev-&gt;parent</c>), or null.</summary>
    public abstract Device? Parent { get; }

    /// <summary>
    /// This device if it is a PCI function, else the nearest PCI function among its parents, or null when there is
    /// none (<c>find_parent_pci_dev</c>, drivers/pci/p2pdma.c).
    /// </summary>
    public PciDevice? NearestPciDevice()
    {
        for (Device? d = this; d is not null; d = d.Parent)
        {
            if (d is PciDevice pci)
            {
                return pci;
            }
        }

        return null;
    }
}

/// <summary>
/// A device that is not a PCI function (<c>!dev_is_pci(dev)</c>): <c>pci_p2pdma_map_type</c> answers
/// <see cref="P2P.P2PMapType.NotSupported"/> for it, while <c>pci_p2pdma_distance_many</c> and
/// <c>pci_p2pmem_find_many</c> measure from its nearest PCI parent (<see cref="Device.NearestPciDevice"/>).
/// </summary>
public sealed class PlatformDevice : Device
{
    private readonly string _name;
    private readonly Device? _parent;

    /// <summary>Creates a device named <paramref name="name"/> below <paramref name="parent"/> (null: none).</summary>
    /// <exception cref="System.ArgumentException"><paramref name="name"/> is null or empty.</exception>
    public PlatformDevice(string name, Device? parent = null)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new System.ArgumentException("a device needs a name.", nameof(name));
        }

        _name = name;
        _parent = parent;
    }

    /// <inheritdoc/>
    public override string Name => _name;

    /// <inheritdoc/>
    public override Device? Parent => _parent;

    /// <summary>E.g. <c>nvme0n1 (not PCI, parent nvme0 (0000:03:00.0))</c>.</summary>
    public override string ToString() => $"{Name} (not PCI{(Parent is null ? "" : ", parent " + Parent)})";
}
