using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using P2PDma.Debugging;
using P2PDma.DmaBuf;
using P2PDma.Pci;
using P2PDma.Pci.Description;

namespace FabricDemo;

/// <summary>
/// Shows why "P2P is possible" is not "map it any old way": the same GPU buffer, exported by an amdgpu-style exporter
/// and by a proper one, is read by a NIC below the same PCIe switch, and the simulated fabric shows where each read
/// really lands.
/// <para>
/// Usage: <c>FabricDemo</c> runs every topologies/*.topo beside the program; <c>FabricDemo NAME</c> runs
/// topologies/NAME.topo; <c>FabricDemo PATH</c> runs any topology file. Exit code 0 when the amdgpu-style exporter
/// misrouted or faulted and the proper exporter delivered the bytes, on every topology.
/// </para>
/// </summary>
internal static class Program
{
    private const ulong BufferSize = 16 * 1024;

    private static int Main(string[] args)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "topologies");
        string[] files = args.Length == 0
            ? Directory.GetFiles(folder, "*.topo").OrderBy(f => f, StringComparer.Ordinal).ToArray()
            : args.Select(a => Resolve(a, folder)).ToArray();

        bool asExpected = files.Length > 0;
        foreach (string file in files)
        {
            asExpected &= Run(file);
            Console.WriteLine();
        }

        Console.WriteLine(asExpected
            ? "As expected: the amdgpu-style exporter's DMA went astray, the proper exporter's landed."
            : "UNEXPECTED: see above.");
        return asExpected ? 0 : 1;
    }

    /// <summary>A path to a topology file, or the name of one in topologies/ (with or without ".topo").</summary>
    private static string Resolve(string arg, string folder)
    {
        if (File.Exists(arg))
        {
            return arg;
        }

        return Path.Combine(folder, arg.EndsWith(".topo", StringComparison.Ordinal) ? arg : arg + ".topo");
    }

    /// <summary>Runs both exporters against the same importer on one topology; true when each behaved as expected.</summary>
    private static bool Run(string file)
    {
        PciTopology topology;
        VramBuffer vram;
        PciDevice nic;
        try
        {
            topology = PciTopology.Load(file);
            vram = new VramBuffer(topology.Device("gpu0").Bar(0), BufferSize);
            nic = topology.Device("nic0");
        }
        catch (Exception e) when (e is TopologyException or IOException or KeyNotFoundException or ArgumentException)
        {
            Console.WriteLine($"=== {Path.GetFileName(file)} ===\ncannot use it: {e.Message}");
            return false;
        }

        // The kernel's CONFIG_DMA_API_DEBUG and CONFIG_DMABUF_DEBUG: both exporters must unmap what they map, and the
        // importer must never look at the pages of an imported table.
        topology.DmaDebug.Enabled = true;
        topology.DmaDebug.DmaBufChecks = true;

        // Every other BAR gets its own name written into it, so a misrouted read shows whose memory it hit.
        foreach (PciBar bar in topology.Devices.SelectMany(d => d.Bars).Where(b => b != vram.Bar))
        {
            VramBuffer.Stamp(bar, $"{bar.Device.Name} BAR{bar.Index} ", Math.Min(bar.Size, 64 * 1024));
        }

        Report.Header(Path.GetFileName(file), vram, nic);

        ImportResult amdgpu = Importer.ReadWholeBuffer(DmaBuffer.Export(new AmdgpuStyleExporter(vram), vram.Size), nic);
        bool amdgpuDelivered = Report.Exporter("amdgpu-style exporter", amdgpu, vram);

        ImportResult proper = Importer.ReadWholeBuffer(DmaBuffer.Export(new ProperExporter(vram), vram.Size), nic);
        bool properDelivered = Report.Exporter("proper exporter", proper, vram);

        foreach (DmaDebugFinding finding in topology.DmaDebug.Findings)
        {
            Console.WriteLine($"DMA debug: {finding}");
        }

        // The point of the demo: the amdgpu-style mapping succeeds but the DMA goes astray; the proper one lands.
        return amdgpu.Mapped && !amdgpuDelivered && properDelivered && topology.DmaDebug.Findings.Count == 0;
    }
}
