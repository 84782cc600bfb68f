using System;
using System.Collections.Immutable;
using System.Globalization;

namespace P2PAnalyzers.Analysis;

/// <summary>What a <see cref="FactKey"/> names.</summary>
internal enum KeyKind : byte
{
    /// <summary>Nothing: the fact is about the value alone.</summary>
    None,

    /// <summary>A PCI device, by its path (<c>adev.Pdev</c>).</summary>
    Device,

    /// <summary>A P2P provider, by its path.</summary>
    Provider,

    /// <summary>BAR <see cref="FactKey.Bar"/> of the device at <see cref="FactKey.Path"/> (or the provider for it).</summary>
    DeviceBar,

    /// <summary>A BAR object reached some other way, by its path.</summary>
    Bar,

    /// <summary>A hand-built table another member filled and handed back; the path is that member's name.</summary>
    Builder,

    /// <summary>A bus-or-DMA address from a P2P mapping: a bus address only for BUS_ADDR.</summary>
    MaybeBus,

    /// <summary>A bus address made by adding the bus offset (<c>pci_p2pdma_bus_addr_map</c>).</summary>
    DefiniteBus,

    /// <summary>The DMA address of a P2P-mapped table's entry whose bus-address flag was not checked.</summary>
    EntryBus,

    /// <summary>
    /// A flag set to true before any bus address on its path (the flag first, then the address, in a BusAddr arm): the
    /// bus addresses made after it on the same path are the ones it stands for.
    /// </summary>
    PendingFlag,

    /// <summary>A distance verdict that is true when P2P is possible.</summary>
    Possible,

    /// <summary>A distance verdict that is true when P2P is not possible.</summary>
    Impossible,
}

/// <summary>
/// What a fact is about beyond its kind: for a CPU physical address in a BAR, which BAR or provider; for an identity, the
/// object's canonical path; for a bus address or a distance verdict, which variety. Typed from the evaluator to the code
/// fixes (<see cref="Write"/>, <see cref="Read"/>), so no consumer parses a key.
/// </summary>
internal readonly struct FactKey : IEquatable<FactKey>
{
    private const int AnyBar = -1;

    private readonly int _bar;

    private FactKey(KeyKind kind, ObjectPath path, int bar, ObjectPath? barPath = null)
    {
        Kind = kind;
        Path = path.Text;
        Scope = path.Scope;
        _bar = bar;
        BarPath = bar == AnyBar ? barPath : null;
    }

    public KeyKind Kind { get; }

    /// <summary>The object's path (<c>hdev.Pdev</c>, <c>this.Provider</c>) or the builder's name; null for the varieties.</summary>
    public string? Path { get; }

    /// <summary>Where <see cref="Path"/> means the same object: see <see cref="ObjectPath.Scope"/>.</summary>
    public string? Scope { get; }

    /// <summary>The BAR index of a <see cref="KeyKind.DeviceBar"/> key; null when not a constant.</summary>
    public int? Bar => Kind == KeyKind.DeviceBar && _bar != AnyBar ? _bar : null;

    /// <summary>
    /// The BAR index of a <see cref="KeyKind.DeviceBar"/> key given as a variable (nvme's CMB BAR read from CMBLOC), by
    /// its path; null for a constant index or one the analysis cannot name.
    /// </summary>
    public ObjectPath? BarPath { get; }

    public bool IsNone => Kind == KeyKind.None;

    /// <summary>True for a key that names a device, provider or BAR by its path in one method.</summary>
    public bool IsObject => Kind is KeyKind.Device or KeyKind.Provider or KeyKind.DeviceBar or KeyKind.Bar;

    /// <summary>
    /// True unless the key names an object by a path that means nothing outside the method that made it (one that starts
    /// at a local or a parameter): what may travel with a fact into another method.
    /// </summary>
    public bool Travels => !IsObject || Scope is not null;

    /// <summary>This key as it arrives in another method: a BAR index held in a local or parameter is dropped.</summary>
    public FactKey Travelled() => BarPath is { Scope: null } ? new FactKey(Kind, Object, _bar) : this;

    public static FactKey Device(ObjectPath path) => new(KeyKind.Device, path, AnyBar);

    public static FactKey Provider(ObjectPath path) => new(KeyKind.Provider, path, AnyBar);

    public static FactKey DeviceBar(ObjectPath device, int? bar, ObjectPath? barPath = null) => new(KeyKind.DeviceBar, device, bar ?? AnyBar, barPath);

    public static FactKey BarAt(ObjectPath path) => new(KeyKind.Bar, path, AnyBar);

    public static FactKey Builder(string member) => new(KeyKind.Builder, new ObjectPath(member, ObjectPath.Everywhere), AnyBar);

    public static FactKey Of(KeyKind variety) => new(variety, default, AnyBar);

    /// <summary>The path of a device, provider or BAR key as <see cref="ObjectPath"/>; default for the other kinds.</summary>
    public ObjectPath Object => IsObject && Path is not null ? new ObjectPath(Path, Scope) : default;

    /// <summary>
    /// True unless both keys are known and name different providers or devices, as seen from a member of the type
    /// <paramref name="here"/>: paths from locals, parameters and static members are seen from there, so they compare
    /// with paths from <c>this</c> of that type; a path from <c>this</c> of another type (a key that travelled) compares
    /// with nothing but its own type's (two objects of different types may hold the same provider: do not guess).
    /// </summary>
    public static bool MayMatch(FactKey a, FactKey b, string? here)
    {
        if (!a.IsObject || !b.IsObject || a.Equals(b) || a.Kind == KeyKind.Bar || b.Kind == KeyKind.Bar || SeenFrom(a, here) != SeenFrom(b, here))
        {
            return true;
        }

        if (a.Kind == b.Kind)
        {
            // Two BARs of one device match when either index is unknown; two devices or providers only when equal.
            return a.Kind == KeyKind.DeviceBar && a.Path == b.Path && (a._bar == AnyBar || b._bar == AnyBar);
        }

        // A device's describe-style decision covers every BAR of that device.
        if ((a.Kind, b.Kind) is (KeyKind.Device, KeyKind.DeviceBar) or (KeyKind.DeviceBar, KeyKind.Device))
        {
            return a.Path == b.Path;
        }

        // A provider path and a device BAR cannot be compared statically: do not guess.
        return true;
    }

    private static string? SeenFrom(FactKey key, string? here) => key.Scope is null or ObjectPath.Everywhere ? here : key.Scope;

    /// <summary>The diagnostic properties that carry this key to a code fix.</summary>
    public ImmutableDictionary<string, string?> Write(ImmutableDictionary<string, string?> properties) =>
        IsNone
            ? properties
            : properties
                .Add(KindProperty, Kind.ToString())
                .Add(PathProperty, Path)
                .Add(ScopeProperty, Scope)
                .Add(BarPathProperty, BarPath?.Text)
                .Add(BarScopeProperty, BarPath?.Scope)
                .Add(BarProperty, Bar?.ToString(CultureInfo.InvariantCulture));

    /// <summary>The key <see cref="Write"/> put in a diagnostic's properties; <see langword="default"/> when none.</summary>
    public static FactKey Read(ImmutableDictionary<string, string?> properties)
    {
        if (!properties.TryGetValue(KindProperty, out string? kindText)
            || !Enum.TryParse(kindText, out KeyKind kind)
            || !properties.TryGetValue(PathProperty, out string? path))
        {
            return default;
        }

        int bar = properties.TryGetValue(BarProperty, out string? barText) && int.TryParse(barText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int b) ? b : AnyBar;
        ObjectPath? barPath = properties.TryGetValue(BarPathProperty, out string? barPathText) && barPathText is not null
            ? new ObjectPath(barPathText, properties.TryGetValue(BarScopeProperty, out string? barScope) ? barScope : null)
            : null;
        return new FactKey(kind, new ObjectPath(path ?? "", properties.TryGetValue(ScopeProperty, out string? scope) ? scope : null), bar, barPath);
    }

    public bool Equals(FactKey other) => Kind == other.Kind && _bar == other._bar && Path == other.Path && Scope == other.Scope && Equals(BarPath, other.BarPath);

    public override bool Equals(object? obj) => obj is FactKey other && Equals(other);

    public override int GetHashCode() => ((int)Kind * 397) ^ _bar ^ (Path?.GetHashCode() ?? 0);

    public override string ToString() => Kind switch
    {
        KeyKind.None => "",
        KeyKind.DeviceBar => $"{Path}.Bar({(Bar is int i ? i.ToString(CultureInfo.InvariantCulture) : "*")})",
        _ when Path is null => Kind.ToString(),
        _ => $"{Kind}:{Path}",
    };

    private const string KindProperty = "SourceKind";
    private const string PathProperty = "SourcePath";
    private const string BarProperty = "SourceBar";
    private const string ScopeProperty = "SourceScope";
    private const string BarPathProperty = "SourceBarPath";
    private const string BarScopeProperty = "SourceBarScope";
}

/// <summary>
/// The dotted path of a chain of locals, parameters, <c>this</c>, fields and properties (<c>hdev.Pdev</c>,
/// <c>this.Provider</c>, <c>AmdgpuGmc.Instance.Pdev</c>) and where it names the same object: <see cref="Scope"/> is null
/// when it starts at a local or a parameter (one method), the type's name when it starts at <c>this</c> (the members of
/// that type), <see cref="Everywhere"/> when it starts at a static member.
/// </summary>
internal readonly record struct ObjectPath(string Text, string? Scope)
{
    /// <summary>The scope of a path from a static member.</summary>
    public const string Everywhere = "*";

    /// <summary>This path one member further.</summary>
    public ObjectPath Member(string name) => new(Text + "." + name, Scope);
}
