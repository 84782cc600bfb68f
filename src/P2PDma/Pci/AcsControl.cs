using System;

namespace P2PDma.Pci;

/// <summary>The ACS Control register bits of a port (<c>PCI_ACS_*</c> in <c>include/uapi/linux/pci_regs.h</c>).</summary>
[Flags]
public enum AcsControl : ushort
{
    /// <summary>ACS capability absent or all controls clear.</summary>
    None = 0,

    /// <summary>Source Validation (<c>PCI_ACS_SV</c>).</summary>
    SourceValidation = 0x01,

    /// <summary>Translation Blocking (<c>PCI_ACS_TB</c>).</summary>
    TranslationBlocking = 0x02,

    /// <summary>P2P Request Redirect (<c>PCI_ACS_RR</c>): peer requests are sent up to the root complex.</summary>
    RequestRedirect = 0x04,

    /// <summary>P2P Completion Redirect (<c>PCI_ACS_CR</c>).</summary>
    CompletionRedirect = 0x08,

    /// <summary>Upstream Forwarding (<c>PCI_ACS_UF</c>).</summary>
    UpstreamForwarding = 0x10,

    /// <summary>P2P Egress Control (<c>PCI_ACS_EC</c>).</summary>
    EgressControl = 0x20,

    /// <summary>Direct Translated P2P (<c>PCI_ACS_DT</c>).</summary>
    DirectTranslated = 0x40,

    /// <summary>The bits <c>pci_bridge_has_acs_redir()</c> tests: RR, CR or EC.</summary>
    RedirectMask = RequestRedirect | CompletionRedirect | EgressControl,
}
