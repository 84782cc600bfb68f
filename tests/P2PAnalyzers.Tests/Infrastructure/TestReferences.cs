using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace P2PAnalyzers.Tests.Infrastructure;

/// <summary>
/// The references every test compilation uses, built once: .NET 10 reference assemblies from a package already
/// restored (no download at test time) and the companion library.
/// </summary>
internal static class TestReferences
{
    /// <summary>An empty reference-assembly set: the framework comes from <see cref="All"/> instead of a download.</summary>
    public static ReferenceAssemblies None { get; } = new("net10.0");

    public static MetadataReference Library { get; } = MetadataReference.CreateFromFile(typeof(P2PDma.Addresses.PhysAddr).Assembly.Location);

    public static ImmutableArray<MetadataReference> Framework { get; } =
        Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().ToImmutableArray();

    public static ImmutableArray<MetadataReference> All { get; } = Framework.Add(Library);
}
