using System.Diagnostics;
using P2PAnalyzers.Robustness.Infrastructure;
using P2PDma.Pci;
using P2PDma.Pci.Description;
using Xunit.Abstractions;

namespace P2PAnalyzers.Robustness.Topology;

/// <summary>
/// The topology loader (<see cref="PciTopology.Parse"/>) against random valid descriptions, mutated ones and random
/// text: a valid description round-trips (Describe, Parse, Describe gives the same text); anything else is rejected
/// with a <see cref="TopologyException"/> whose every error names a line of the text and a field. Any other
/// exception is a defect. A hang fails the test (the loop runs under a generous watchdog) instead of blocking CI.
/// </summary>
public sealed class TopologyFuzzTests
{
    private readonly ITestOutputHelper _output;

    public TopologyFuzzTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task RandomAndMutatedDescriptions_RoundTripOrNameLineAndField()
    {
        var clock = Stopwatch.StartNew();
        var findings = new Findings(nameof(TopologyFuzzTests));
        int valid = Mode.Long ? 10_000 : 500;
        int mutantsPerValid = 25;
        int random = Mode.Long ? 50_000 : 3000;
        string current = "";
        Task work = Task.Run(() =>
        {
            var rng = new Random(20251127);
            for (int i = 0; i < valid; i++)
            {
                (string text, int functions) = TopologyGenerator.Generate(rng);
                current = text;
                if (Check(text, findings, "generated") is PciTopology topology)
                {
                    // What the generator covers.
                    findings.Count("generated: functions", topology.Devices.Count);
                    findings.Count("generated: switch ports", topology.Devices.Count(d => d.Kind is PciDeviceKind.SwitchUpstreamPort or PciDeviceKind.SwitchDownstreamPort));
                    findings.Count("generated: BARs", topology.Devices.Sum(d => d.Bars.Count));
                    findings.Count("generated: host bridges", topology.HostBridges.Count);
                    findings.Count("generated: host bridges with a window", topology.HostBridges.Count(h => h.Windows.Count > 0));
                    findings.Count("generated: host bridges with an IOMMU", topology.HostBridges.Count(h => h.HasIommu));
                    if (topology.Devices.Count != functions)
                    {
                        findings.Fail("generated description lost functions", $"generated #{i}", $"{topology.Devices.Count} of {functions}", text);
                    }
                }
                else
                {
                    findings.Fail("generated (valid) description rejected", $"generated #{i}", "see the errors above", text);
                }

                for (int m = 0; m < mutantsPerValid; m++)
                {
                    string mutant = TopologyMutator.Mutate(text, rng);
                    current = mutant;
                    Check(mutant, findings, "mutated");
                }
            }

            for (int i = 0; i < random; i++)
            {
                string text = TopologyMutator.RandomText(rng);
                current = text;
                Check(text, findings, "random");
            }
        });

        if (await Task.WhenAny(work, Task.Delay(TimeSpan.FromMinutes(10))) != work)
        {
            Assert.Fail($"the parser did not finish (hang?) on:\n{current}");
        }

        await work;
        findings.Report(_output, clock.Elapsed);
    }

    /// <summary>Parses; a topology must round-trip, a rejection must name a line and a field for every error.</summary>
    private static PciTopology? Check(string text, Findings findings, string kind)
    {
        findings.Count($"{kind} descriptions");
        int lines = text.Split('\n').Length;
        PciTopology topology;
        try
        {
            topology = PciTopology.Parse(text);
        }
        catch (TopologyException e)
        {
            findings.Count($"{kind} descriptions rejected");
            findings.Count("errors reported", e.Errors.Count);
            if (e.Errors.Count == 0)
            {
                findings.Fail("rejection without errors", kind, e.Message, text);
            }

            foreach (TopologyError error in e.Errors)
            {
                if (error.Line is not int line || line < 1 || line > lines || string.IsNullOrEmpty(error.Field)
                    || string.IsNullOrEmpty(error.Subject) || string.IsNullOrEmpty(error.Message))
                {
                    findings.Fail("error without a line of the text, a field or a subject", kind, error.ToString(), text);
                }
                else if (string.IsNullOrWhiteSpace(error.Field) || string.IsNullOrWhiteSpace(error.Subject))
                {
                    // A token of Unicode white space the parser does not split at (U+00A0): named as it is, invisible in print.
                    findings.Count("errors naming a field or subject of Unicode white space (noted, not a failure)");
                }
            }

            return null;
        }
#pragma warning disable CA1031 // Any other exception is the finding.
        catch (Exception e)
#pragma warning restore CA1031
        {
            if (KnownBugs.Match(e.ToString()) is KnownBug known)
            {
                findings.Count($"exceptions of known bug {known.Id} (reported, tolerated; see KnownBugs)");
            }
            else
            {
                findings.Fail($"parser threw {e.GetType().Name}", kind, e.ToString(), text);
            }

            return null;
        }

        findings.Count($"{kind} descriptions accepted");
        try
        {
            string once = topology.Describe();
            string twice = PciTopology.Parse(once).Describe();
            findings.Count("round trips");
            if (once != twice)
            {
                findings.Fail("round trip changed the description", kind, Fixes.FixChecks.Diff(once, twice), text);
            }
        }
#pragma warning disable CA1031
        catch (Exception e)
#pragma warning restore CA1031
        {
            findings.Fail("description written by Describe does not load", kind, e.ToString(), text);
        }

        return topology;
    }
}
