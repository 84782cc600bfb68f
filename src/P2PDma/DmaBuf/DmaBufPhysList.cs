using System.Collections.Generic;
using P2PDma.Addresses;
using P2PDma.P2P;

namespace P2PDma.DmaBuf;

/// <summary>
/// The non-scatterlist mapping of a dma-buf: CPU-physical ranges (<c>phys_vec</c>) and the provider they belong to. The
/// importer maps them itself with <see cref="Mapping.Dma.MapP2P"/>.
/// </summary>
/// <param name="Provider">The provider whose BAR holds the ranges.</param>
/// <param name="Ranges">The ranges, in buffer order.</param>
public sealed record DmaBufPhysList(P2PProvider Provider, IReadOnlyList<PhysRange> Ranges);
