namespace P2PDma.Addresses;

/// <summary>Page geometry shared by every address space (the kernel's <c>PAGE_SIZE</c> and <c>PAGE_SHIFT</c>).</summary>
public static class Paging
{
    /// <summary>Bytes in a page (<c>PAGE_SIZE</c>).</summary>
    public const ulong PageSize = 4096;

    /// <summary>log2 of <see cref="PageSize"/> (<c>PAGE_SHIFT</c>).</summary>
    public const int PageShift = 12;

    /// <summary>True when <paramref name="value"/> is a multiple of the page size (<c>PAGE_ALIGNED</c>).</summary>
    public static bool IsAligned(ulong value) => (value & (PageSize - 1)) == 0;

    /// <summary>Rounds <paramref name="value"/> up to the next page boundary (<c>PAGE_ALIGN</c>).</summary>
    public static ulong AlignUp(ulong value) => checked(value + PageSize - 1) & ~(PageSize - 1);
}
