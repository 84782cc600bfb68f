using System;
using System.Collections.Generic;
using System.Globalization;

namespace P2PAnalyzers.Corpus;

/// <summary>
/// Generates ordinary C# that does not reference the companion library (nor declare the address-space attributes):
/// the same long-method shapes as the driver corpus over business types. The P2P analyzers must register nothing here.
/// </summary>
public static class PlainCorpus
{
    public const int DefaultSeed = DriverCorpus.DefaultSeed;

    private static readonly string[] Areas = { "Billing", "Catalog", "Shipping", "Payroll", "Inventory", "Reports" };

    public static GeneratedCorpus Generate(int files, int seed = DefaultSeed)
    {
        if (files < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(files));
        }

        var rng = new Rng(seed);
        var planted = new List<PlantedDiagnostic>();
        var result = new List<CorpusFile>();
        for (int i = 0; i < files; i++)
        {
            string area = Areas[i % Areas.Length];
            string id = i.ToString("D4", CultureInfo.InvariantCulture);
            var writer = new CodeWriter($"Business/{area}/{area}{id}.cs", planted);
            writer.Append("""
                using System;
                using System.Collections.Generic;
                using System.Linq;
                using System.Text;

                """, "usings");
            writer.Append($"namespace Business.{area}.U{id};", "namespace");
            writer.Blank();
            writer.Append(OrdinaryCode.PlainTypes, "types");
            int classes = rng.Chance(30) ? 2 : 1;
            for (int k = 0; k < classes; k++)
            {
                writer.Blank();
                string c = area + id + (k == 0 ? "" : ((char)('a' + k)).ToString());
                writer.Append(OrdinaryCode.Class(c, rng, driver: false, rng.Next(1, 3)), "ordinary");
            }

            result.Add(writer.ToFile());
        }

        return new GeneratedCorpus($"plain-{files}", seed, result, planted, referencesLibrary: false);
    }
}
