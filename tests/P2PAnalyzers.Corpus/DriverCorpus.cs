using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace P2PAnalyzers.Corpus;

/// <summary>
/// Generates driver-model C# against the companion library: exporters, importers, mapping paths, helpers and long
/// queue methods, with a known set of planted violations of every rule (about one violating class per five files;
/// clean code dominates). Deterministic: the same size and seed give the same text and the same expected diagnostics.
/// </summary>
public static class DriverCorpus
{
    /// <summary>The seed the benchmarks use.</summary>
    public const int DefaultSeed = 20251127;

    /// <summary>One file in this many carries a violation template.</summary>
    public const int FilesPerViolation = 5;

    /// <summary>The usings every driver file starts with.</summary>
    public const string Usings = """
        using System;
        using System.Collections.Generic;
        using Drivers.Common;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    private static readonly string[] Families = { "Gpu", "Nvme", "Rdma", "Accel", "Vfio", "Nic" };

    /// <summary>
    /// <paramref name="files"/> files (at least 2): the shared types and <c>files - 1</c> driver files, of which every
    /// <see cref="FilesPerViolation"/>th (in seeded order) carries one violation template, the templates taken in turn
    /// so that every rule is planted at every size.
    /// </summary>
    public static GeneratedCorpus Generate(int files, int seed = DefaultSeed)
    {
        if (files < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(files), "a driver corpus needs the shared types and at least one driver file.");
        }

        var rng = new Rng(seed);
        var planted = new List<PlantedDiagnostic>();
        var result = new List<CorpusFile> { new(DriverCommon.Path, DriverCommon.Text + "\n") };

        int driverFiles = files - 1;
        int violating = Math.Max(1, driverFiles / FilesPerViolation);
        var order = Enumerable.Range(1, driverFiles).ToList();
        rng.Shuffle(order);
        var violationOf = new Dictionary<int, Template>();
        var templates = ViolationTemplates.All.ToList();
        rng.Shuffle(templates);
        for (int v = 0; v < violating; v++)
        {
            violationOf[order[v]] = templates[v % templates.Count];
        }

        for (int i = 1; i <= driverFiles; i++)
        {
            string family = Families[i % Families.Length];
            string path = $"Drivers/{family}/{family}{i.ToString("D4", CultureInfo.InvariantCulture)}.cs";
            var writer = new CodeWriter(path, planted);
            writer.Append(Usings, "usings");
            writer.Append($"namespace Drivers.{family}.U{i.ToString("D4", CultureInfo.InvariantCulture)};", "namespace");
            List<Template> pieces = PiecesForFile(rng, violationOf.TryGetValue(i, out Template? v) ? v : null);
            WritePieces(writer, rng, family + i.ToString("D4", CultureInfo.InvariantCulture), pieces);
            result.Add(writer.ToFile());
        }

        return new GeneratedCorpus($"driver-{files}", seed, result, planted, referencesLibrary: true);
    }

    /// <summary>
    /// One driver file of at least <paramref name="minLines"/> lines (the editor benchmark's open document): long queue
    /// classes, clean mapping code and one violation template in every fifth piece.
    /// </summary>
    public static GeneratedCorpus LargeFile(int minLines, int seed = DefaultSeed, string path = "Drivers/Big/LargeDriver.cs")
    {
        var rng = new Rng(seed);
        var planted = new List<PlantedDiagnostic>();
        var writer = new CodeWriter(path, planted);
        writer.Append(Usings, "usings");
        writer.Append("namespace Drivers.Big;", "namespace");
        var violations = ViolationTemplates.All.ToList();
        rng.Shuffle(violations);
        int piece = 0;
        while (writer.NextLine <= minLines)
        {
            writer.Blank();
            string c = "Big" + piece.ToString("D3", CultureInfo.InvariantCulture);
            Template t = piece % 5 == 4 ? violations[(piece / 5) % violations.Count]
                : piece % 2 == 0 ? Queue(methods: 3)
                : rng.Pick(CleanTemplates.All);
            writer.Append(t.Render(c, rng), t.Habit);
            piece++;
        }

        return new GeneratedCorpus($"large-{minLines}", seed, new[] { writer.ToFile() }, planted, referencesLibrary: true);
    }

    private static List<Template> PiecesForFile(Rng rng, Template? violation)
    {
        var pieces = new List<Template>();
        if (rng.Chance(65))
        {
            pieces.Add(Queue(rng.Next(1, 3)));
        }

        int clean = rng.Next(1, 3);
        for (int k = 0; k < clean; k++)
        {
            pieces.Add(rng.Pick(CleanTemplates.All));
        }

        if (violation is not null)
        {
            pieces.Insert(rng.Next(pieces.Count + 1), violation);
        }

        return pieces;
    }

    private static void WritePieces(CodeWriter writer, Rng rng, string prefix, List<Template> pieces)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (int k = 0; k < pieces.Count; k++)
        {
            Template t = pieces[k];
            string c = prefix + (used.Add(t.Name) ? "" : ((char)('a' + k)).ToString());
            writer.Blank();
            writer.Append(t.Render(c, rng), t.Habit);
        }
    }

    private static Template Queue(int methods) =>
        new("CmdQueue", "queue bookkeeping", false, (c, r) => OrdinaryCode.Class(c, r, driver: true, methods));
}
