namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>Fully qualified names of the companion library's types, as fixes write them before simplification.</summary>
internal static class Names
{
    public const string PhysAddr = "global::P2PDma.Addresses.PhysAddr";
    public const string PhysRange = "global::P2PDma.Addresses.PhysRange";
    public const string Dma = "global::P2PDma.Mapping.Dma";
    public const string DmaAttrs = "global::P2PDma.Mapping.DmaAttrs";
    public const string DmaError = "global::P2PDma.Mapping.DmaError";
    public const string DmaAddr = "global::P2PDma.Addresses.DmaAddr";
    public const string DmaMappingException = "global::P2PDma.Mapping.DmaMappingException";
    public const string P2PDmaMapping = "global::P2PDma.Mapping.P2PDmaMapping";
    public const string P2PProvider = "global::P2PDma.P2P.P2PProvider";
    public const string PciP2PDma = "global::P2PDma.P2P.PciP2PDma";
    public const string P2PMapType = "global::P2PDma.P2P.P2PMapType";
    public const string DmaBufMapping = "global::P2PDma.DmaBuf.DmaBufMapping";
    public const string DmaResult = "global::P2PDma.Mapping.DmaResult";
    public const string SgTable = "global::P2PDma.Mapping.SgTable";
    public const string List = "global::System.Collections.Generic.List";
}
