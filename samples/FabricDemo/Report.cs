using System;
using System.Linq;
using System.Text;
using P2PDma.Fabric;
using P2PDma.P2P;
using P2PDma.Pci;

namespace FabricDemo;

/// <summary>Prints what happened, briefly, and judges whether the importer got the exporter's bytes.</summary>
internal static class Report
{
    /// <summary>The setup of one topology: who exports what, who imports, and what the kernel's P2P rules say.</summary>
    public static void Header(string name, VramBuffer vram, PciDevice importer)
    {
        PciHostBridge host = importer.HostBridge;
        P2PPath path = PciP2PDma.Describe(vram.Gpu, importer);
        bool forwards = importer.Topology.Cpu.SupportsP2PDma || HostBridgeAllowlist.Allows(vram.Gpu, importer);

        Console.WriteLine($"=== {name} ===");
        Console.WriteLine($"exporter {vram.Gpu}: {vram.Size / 1024} KiB of BAR{vram.Bar.Index}, " +
            $"CPU phys 0x{vram.Bar.CpuStart.Raw:x} = PCI bus 0x{vram.Bar.BusStart.Raw:x}");
        Console.WriteLine($"importer {importer}; host bridge {host.Name} ({host.VendorId:x4}:{host.DeviceId:x4}): " +
            $"IOMMU {(host.HasIommu ? "on" : "off")}, root complex forwards P2P: {(forwards ? "yes" : "no")}");
        Console.WriteLine($"PciP2PDma.Describe: {path.MapType}, distance {path.Distance}: {path.Reason}");
    }

    /// <summary>
    /// Prints one exporter's outcome and where each DMA went; true when the importer read exactly the exporter's bytes,
    /// from the exporter's BAR.
    /// </summary>
    public static bool Exporter(string title, ImportResult result, VramBuffer vram)
    {
        if (!result.Mapped)
        {
            Console.WriteLine($"{title}: mapping failed ({result.MapError})");
            return false;
        }

        bool delivered = LandedOnExporter(result, vram) && result.BytesRead.SequenceEqual(vram.Contents);
        Console.WriteLine($"{title}: {Summary(result, vram, delivered)}");
        foreach (SegmentRead read in result.Segments)
        {
            foreach (DmaRouteSegment piece in read.Transfer.Route.Segments)
            {
                Console.WriteLine($"    dma 0x{piece.Start.Raw:x} len 0x{piece.Length:x} -> {Where(piece.Landing)}: {piece.Landing.Hops}");
            }
        }

        return delivered;
    }

    /// <summary>Every segment reached the exporter's BAR at the offset that segment holds within the buffer.</summary>
    private static bool LandedOnExporter(ImportResult result, VramBuffer vram)
    {
        ulong offset = 0;
        foreach (SegmentRead read in result.Segments)
        {
            if (!read.Transfer.Route.LandsOn(vram.Bar, offset))
            {
                return false;
            }

            offset += read.Length;
        }

        return offset == vram.Size;
    }

    private static string Summary(ImportResult result, VramBuffer vram, bool delivered)
    {
        if (result.Segments.Count == 0)
        {
            return "the exporter returned no DMA segments";
        }

        if (result.Segments.Select(s => s.Transfer.Route.Fault).FirstOrDefault(f => f is not null) is DmaLanding fault)
        {
            return $"{Where(fault)}, {vram.Gpu.Name}'s bytes never arrived";
        }

        DmaLanding first = result.Segments[0].Transfer.Route.Segments[0].Landing;
        string wrongDevice = first.Bar?.Device != vram.Gpu ? " (the wrong device)" : "";
        return delivered
            ? $"landed on {Where(first)}, bytes match"
            : $"landed on {Where(first)}{wrongDevice}, bytes do NOT match: read \"{Preview(result.BytesRead)}\" instead of \"{Preview(vram.Contents)}\"";
    }

    /// <summary>E.g. <c>gpu0 BAR0 +0x0</c>, <c>RAM 0x100000</c> or <c>FAULT (IommuFault)</c>.</summary>
    private static string Where(DmaLanding landing)
    {
        if (landing.Fault is DmaFaultKind fault)
        {
            return $"FAULT ({fault})";
        }

        return landing.Bar is PciBar bar ? $"{bar.Device.Name} BAR{bar.Index} +0x{landing.BarOffset:x}" : $"RAM 0x{landing.Phys.Raw:x}";
    }

    /// <summary>The first bytes as text, non-printable ones as '.'.</summary>
    private static string Preview(byte[] bytes)
    {
        var text = new StringBuilder();
        foreach (byte b in bytes.Take(20))
        {
            text.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
        }

        return text + "...";
    }
}
