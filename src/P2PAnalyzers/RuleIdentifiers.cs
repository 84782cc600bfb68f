namespace P2PAnalyzers;

/// <summary>Every rule's ID, category and help link, in one place.</summary>
internal static class RuleIdentifiers
{
    public const string PhysicalAddressAsDmaAddress = "P2P0001";
    public const string PhysicalAddressAsBusAddress = "P2P0002";
    public const string HandBuiltDmaOnlyTable = "P2P0003";
    public const string ImporterReadsPages = "P2P0004";
    public const string PeerMemoryMappedWithoutMapType = "P2P0010";
    public const string DistanceAsMappingDecision = "P2P0011";
    public const string IncompleteMapTypeHandling = "P2P0012";
    public const string BusAddressUnmapped = "P2P0013";
    public const string SkipCpuSyncForMmio = "P2P0014";
    public const string MappingErrorNotChecked = "P2P0020";
    public const string UnmapDoesNotMatchMap = "P2P0021";
    public const string MappingLeaked = "P2P0022";
    public const string UseAfterUnmap = "P2P0023";
    public const string ScatterlistCountConfusion = "P2P0024";

    /// <summary>All P2P rules share one category so that <c>dotnet_analyzer_diagnostic.category-P2PDma.severity</c> covers them.</summary>
    public const string Category = "P2PDma";

    private const string DocsBase = "https://github.com/p2panalyzers/p2panalyzers/blob/main/docs/rules/";

    public static string HelpLink(string id) => DocsBase + id + ".md";
}
