using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Robustness.Infrastructure;

/// <summary>.NET 10 reference assemblies from a restored package (no download at test time) and the companion library's netstandard2.0 build.</summary>
internal static class References
{
    public static MetadataReference Library { get; } = MetadataReference.CreateFromFile(typeof(P2PDma.Addresses.PhysAddr).Assembly.Location);

    public static ImmutableArray<MetadataReference> Framework { get; } =
        Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().ToImmutableArray();

    public static ImmutableArray<MetadataReference> WithLibrary { get; } = Framework.Add(Library);
}
