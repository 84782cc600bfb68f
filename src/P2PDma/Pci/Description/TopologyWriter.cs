using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace P2PDma.Pci.Description;

/// <summary>Writes a topology as a canonical description: every field explicit, functions parent first.</summary>
internal static class TopologyWriter
{
    public static string Write(PciTopology topology)
    {
        var text = new StringBuilder();
        string vendor = topology.Cpu.Vendor switch { CpuVendor.Amd => "amd", CpuVendor.Intel => "intel", _ => "other" };
        text.Append($"{Keywords.Cpu} vendor={vendor} family=0x{topology.Cpu.Family:x}\n");
        foreach (Addresses.PhysRange ram in topology.Ram)
        {
            text.Append($"{Keywords.Ram} start=0x{ram.Start.Raw:x} size=0x{ram.Size:x}\n");
        }

        foreach (PciHostBridge hb in topology.HostBridges)
        {
            text.Append($"{Keywords.HostBridge} {hb.Name} domain=0x{hb.Domain:x} bus=0x{hb.RootBus:x} vendor=0x{hb.VendorId:x4} device=0x{hb.DeviceId:x4} iommu={(hb.HasIommu ? "on" : "off")} dma-offset={hb.DmaOffset.ToString(CultureInfo.InvariantCulture)} dma-limit=0x{hb.DmaLimit:x} host-function={(hb.HasHostFunction ? "yes" : "no")}\n");
            foreach (HostBridgeWindow w in hb.Windows)
            {
                text.Append($"{Keywords.Window} {hb.Name} cpu=0x{w.CpuStart.Raw:x} size=0x{w.Size:x} bus=0x{w.BusStart.Raw:x}\n");
            }

            foreach (PciDevice root in hb.RootBusDevices)
            {
                WriteFunction(text, root, hb.Name);
            }
        }

        return text.ToString();
    }

    private static void WriteFunction(StringBuilder text, PciDevice f, string parent)
    {
        int maskBits = f.DmaMask == ulong.MaxValue ? 64 : BitLength(f.DmaMask);
        text.Append($"{Keywords.Of(f.Kind)} {f.Name} parent={parent} vendor=0x{f.VendorId:x4} device=0x{f.DeviceId:x4} slot={f.Bdf.Device} function={f.Bdf.Function} acs={Acs(f.Acs)} dma-mask={maskBits}{(f.PhysFn is PciDevice pf ? " physfn=" + pf.Name : "")}\n");
        foreach (PciBar bar in f.Bars)
        {
            text.Append($"{Keywords.Bar} {f.Name} index={bar.Index} cpu=0x{bar.CpuStart.Raw:x} size=0x{bar.Size:x} prefetch={(bar.Prefetchable ? "yes" : "no")}\n");
        }

        foreach (PciDevice child in f.Children)
        {
            WriteFunction(text, child, f.Name);
        }
    }

    private static string Acs(AcsControl acs)
    {
        IEnumerable<string> bits = LineFields.AcsNames.Where(kv => (acs & kv.Value) != 0).Select(kv => kv.Key);
        return acs == AcsControl.None ? "none" : string.Join(",", bits);
    }

    private static int BitLength(ulong mask)
    {
        int bits = 0;
        for (; mask != 0; mask >>= 1)
        {
            bits++;
        }

        return bits;
    }
}
