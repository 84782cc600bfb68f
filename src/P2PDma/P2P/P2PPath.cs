using System.Collections.Generic;
using P2PDma.Pci;

namespace P2PDma.P2P;

/// <summary>
/// What <c>calc_map_type_and_dist</c> found for one (provider, client) pair: the map type, the distance, the nearest
/// common upstream device, and the devices with ACS redirect on the path.
/// </summary>
/// <param name="MapType">How the client must reach the provider's memory.</param>
/// <param name="Distance">Hops through the common upstream device, or the two chain lengths added when there is none.</param>
/// <param name="CommonUpstream">The nearest device both sit below (null when only the host bridge joins them).</param>
/// <param name="AcsRedirects">Devices on the path whose ACS redirects peer traffic upstream, provider side first.</param>
/// <param name="Reason">The kernel's explanation, as its <c>pci_warn</c> would print it.</param>
public sealed record P2PPath(P2PMapType MapType, int Distance, PciDevice? CommonUpstream, IReadOnlyList<PciDevice> AcsRedirects, string Reason);
