using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The entry-count arguments of the scatterlist calls (<c>dma_map_sg</c>, <c>dma_unmap_sg</c>,
/// <c>dma_sync_sg_for_cpu/for_device</c>): which argument is the count and which the table. Shared by P2P0024 and its fix.
/// </summary>
internal static class SgEntryCounts
{
    /// <summary>The parameter the library names the entry count by, as the kernel does.</summary>
    public const string NentsParameter = "nents";

    /// <summary>
    /// The nents argument of an unmap or sync of a scatterlist that takes one (<c>Dma.UnmapSg</c>,
    /// <c>Dma.LegacyUnmapSg</c>, <c>Dma.SyncSgForCpu/ForDevice</c>); null for any other call.
    /// </summary>
    public static IArgumentOperation? TakenBy(IInvocationOperation call, KnownSymbols symbols) =>
        symbols.RoleOf(call.TargetMethod) is Role.UnmapSg or Role.UnmapSgTable or Role.SyncSg ? Nents(call) : null;

    /// <summary>The nents and table arguments of a map call that returns the segment count (<c>Dma.MapSg</c>, <c>Dma.LegacyMapSg</c>).</summary>
    public static (IArgumentOperation Nents, IArgumentOperation Table)? GivenTo(IInvocationOperation call, KnownSymbols symbols) =>
        symbols.RoleOf(call.TargetMethod) is Role.MapSg or Role.MapSgAware && Nents(call) is IArgumentOperation nents && Table(call) is IArgumentOperation table
            ? (nents, table)
            : null;

    /// <summary>The table argument of a scatterlist call (the second parameter, after the device).</summary>
    public static IArgumentOperation? Table(IInvocationOperation call) =>
        call.Arguments.FirstOrDefault(a => a.Parameter is { Ordinal: 1 } p && p.Type.Name == "SgTable");

    /// <summary>The argument given for the <c>nents</c> parameter, written out (not a default value).</summary>
    public static IArgumentOperation? Nents(IInvocationOperation call) =>
        call.Arguments.FirstOrDefault(a => a.Parameter?.Name == NentsParameter && a.ArgumentKind != ArgumentKind.DefaultValue);
}
