namespace P2PDma.Pci;

/// <summary>What a PCI function is in the hierarchy (<c>pci_pcie_type</c>).</summary>
public enum PciDeviceKind
{
    /// <summary>A root port of a host bridge (<c>PCI_EXP_TYPE_ROOT_PORT</c>).</summary>
    RootPort,

    /// <summary>The upstream port of a switch (<c>PCI_EXP_TYPE_UPSTREAM</c>).</summary>
    SwitchUpstreamPort,

    /// <summary>A downstream port of a switch (<c>PCI_EXP_TYPE_DOWNSTREAM</c>).</summary>
    SwitchDownstreamPort,

    /// <summary>An endpoint function: a GPU, NIC, NVMe drive, accelerator (<c>PCI_EXP_TYPE_ENDPOINT</c>).</summary>
    Endpoint,
}
