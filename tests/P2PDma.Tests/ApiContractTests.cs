using System;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>DmaResult semantics and the clear exceptions invalid arguments raise (the kernel's BUG_ON/WARN_ON).</summary>
public sealed class ApiContractTests
{
    [Fact]
    public void DmaResult_Ok_CarriesTheValue()
    {
        SgTable table = SgTable.Alloc(1);

        DmaResult<SgTable> ok = table; // implicit, as "return sgt;"

        Assert.False(ok.Failed);
        Assert.Equal(DmaError.None, ok.Error);
        Assert.Same(table, ok.Value);
        Assert.StartsWith("ok ", ok.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void DmaResult_Fail_CarriesTheError_AndValueThrows()
    {
        DmaResult<SgTable> failed = DmaError.RemoteIo; // implicit, as "return ERR_PTR(-EREMOTEIO);"

        Assert.True(failed.Failed);
        Assert.Equal(DmaError.RemoteIo, failed.Error);
        var ex = Assert.Throws<InvalidOperationException>(() => failed.Value);
        Assert.Contains("RemoteIo", ex.Message, StringComparison.Ordinal);
        Assert.Equal("error RemoteIo", failed.ToString());
    }

    [Fact]
    public void DmaResult_Default_IsAFailure()
    {
        DmaResult<SgTable> nothing = default;

        Assert.True(nothing.Failed);
        Assert.Throws<InvalidOperationException>(() => nothing.Value);
    }

    [Fact]
    public void DmaResult_OkOfNull_And_FailOfNone_AreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => DmaResult<SgTable>.Ok(null!));
        Assert.Throws<ArgumentException>(() => DmaResult<SgTable>.Fail(DmaError.None));
    }

    [Fact]
    public void DmaErrors_HaveTheKernelErrnoValues()
    {
        Assert.Equal(-5, (int)DmaError.Io);
        Assert.Equal(-12, (int)DmaError.NoMemory);
        Assert.Equal(-22, (int)DmaError.Invalid);
        Assert.Equal(-95, (int)DmaError.NotSupported);
        Assert.Equal(-121, (int)DmaError.RemoteIo);
        Assert.Equal(3, (int)P2PMapType.BusAddr);
        Assert.Equal(4, (int)P2PMapType.ThruHostBridge);
    }

    [Fact]
    public void NullArguments_ThrowArgumentNullException_NamingTheParameter()
    {
        PciTopology t = Topologies.SingleDevice();
        PciDevice nic = t.Device("nic");
        Page page = t.Memory.AllocPages(1)[0];

        Assert.Equal("dev", Assert.Throws<ArgumentNullException>(() => Dma.MapPage(null!, page, 0, 0x100, DmaDirection.ToDevice)).ParamName);
        Assert.Equal("page", Assert.Throws<ArgumentNullException>(() => Dma.MapPage(nic, null!, 0, 0x100, DmaDirection.ToDevice)).ParamName);
        Assert.Equal("buffer", Assert.Throws<ArgumentNullException>(() => Dma.MapSingle(nic, null!, 0, 0x100, DmaDirection.ToDevice)).ParamName);
        Assert.Equal("table", Assert.Throws<ArgumentNullException>(() => Dma.MapSgTable(nic, null!, DmaDirection.ToDevice)).ParamName);
        Assert.Equal("table", Assert.Throws<ArgumentNullException>(() => Dma.MapSg(nic, null!, 1, DmaDirection.ToDevice)).ParamName);
        Assert.Throws<ArgumentNullException>(() => Dma.MappingError(null!, DmaAddr.FromRaw(0)));
        Assert.Throws<ArgumentNullException>(() => Dma.SetMaskAndCoherent(null!, Dma.BitMask(32)));
        Assert.Throws<ArgumentNullException>(() => Dma.UnmapSingle(null!, DmaAddr.FromRaw(0x1000), 0x100, DmaDirection.ToDevice));
        Assert.Throws<ArgumentNullException>(() => Dma.IovaTryAlloc(nic, null!, PhysAddr.FromRaw(0), 0x1000));
        Assert.Throws<ArgumentNullException>(() => PciP2PDma.Init(null!));
        Assert.Throws<ArgumentNullException>(() => PciP2PDma.State(null!, nic, page));
        Assert.Throws<ArgumentNullException>(() => PciP2PDma.State(new P2PMapState(), nic, null!));
    }

    [Fact]
    public void ZeroSize_ThrowsArgumentOutOfRange()
    {
        PciTopology t = Topologies.SingleDevice();
        PciDevice nic = t.Device("nic");
        Page page = t.Memory.AllocPages(1)[0];

        Assert.Equal("size", Assert.Throws<ArgumentOutOfRangeException>(() => Dma.MapPage(nic, page, 0, 0, DmaDirection.ToDevice)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Dma.MapResource(nic, PhysAddr.FromRaw(Topologies.NicBar), 0, DmaDirection.ToDevice));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dma.MapPhys(nic, page.Phys, 0, DmaDirection.ToDevice));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dma.SyncSingleForCpu(nic, DmaAddr.FromRaw(0x1000), 0, DmaDirection.ToDevice));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dma.AllocCoherent(nic, 0, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Memory.Kmalloc(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Memory.AllocPages(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SgTable.Alloc(0));
    }

    [Theory]
    [InlineData(DmaDirection.None)]
    [InlineData((DmaDirection)7)]
    public void InvalidDirection_ThrowsArgumentException(DmaDirection dir)
    {
        PciTopology t = Topologies.SingleDevice();
        PciDevice nic = t.Device("nic");
        Page page = t.Memory.AllocPages(1)[0];

        var ex = Assert.Throws<ArgumentException>(() => Dma.MapPage(nic, page, 0, 0x100, dir));
        Assert.Equal("dir", ex.ParamName);
        Assert.Contains("valid_dma_direction", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Dma.MapSgTable(nic, SgTable.FromPages(new[] { page }), dir));
        Assert.Throws<ArgumentException>(() => Dma.MapResource(nic, PhysAddr.FromRaw(Topologies.NicBar), 0x100, dir));
    }

    [Fact]
    public void AddressArithmetic_RefusesToWrapOrGoNegative()
    {
        Assert.Throws<OverflowException>(() => PhysAddr.FromRaw(ulong.MaxValue) + 1);
        Assert.Throws<OverflowException>(() => DmaAddr.FromRaw(0x10) - 0x20);
        Assert.Throws<OverflowException>(() => PciBusAddr.FromRaw(0x10) - PciBusAddr.FromRaw(0x20));
        Assert.Equal(0x1000UL, PhysAddr.FromRaw(0x2000) - PhysAddr.FromRaw(0x1000));
    }

    [Fact]
    public void UnknownDeviceOrHostBridgeName_Throws()
    {
        PciTopology t = Topologies.SingleDevice();

        Assert.Throws<System.Collections.Generic.KeyNotFoundException>(() => t.Device("gpu"));
        Assert.Throws<System.Collections.Generic.KeyNotFoundException>(() => t.HostBridge("hb9"));
        Assert.False(t.TryGetDevice("gpu", out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Device("nic").Bar(4));
    }

    [Fact]
    public void MemoryAccess_OutsideRamAndBars_Throws()
    {
        PciTopology t = Topologies.SingleDevice();

        Assert.Throws<ArgumentException>(() => t.Memory.Read(PhysAddr.FromRaw(0xC000_0000), 4));
        Assert.Throws<ArgumentException>(() => t.Memory.Write(PhysAddr.FromRaw(Topologies.NicBar + Topologies.NicBarSize - 2), new byte[4]));
        Assert.Throws<ArgumentNullException>(() => t.Memory.Write(PhysAddr.FromRaw(0x10_0000), null!));
    }
}
