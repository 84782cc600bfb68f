using System;

namespace P2PDma.Mapping;

/// <summary>
/// A value or an error, the C# form of the kernel's <c>ERR_PTR</c> returns. Callers must check <see cref="Failed"/>
/// before touching <see cref="Value"/>. Converts implicitly from a value (<c>return sgt;</c>) and from an error
/// (<c>return DmaError.RemoteIo;</c>).
/// </summary>
/// <typeparam name="T">The value's type.</typeparam>
public readonly struct DmaResult<T>
    where T : class
{
    private readonly T? _value;

    private DmaResult(T? value, DmaError error)
    {
        _value = value;
        Error = error;
    }

    /// <summary>The error; <see cref="DmaError.None"/> on success.</summary>
    public DmaError Error { get; }

    /// <summary>True when the call failed (<c>IS_ERR</c>).</summary>
    public bool Failed => Error != DmaError.None || _value is null;

    /// <summary>The value.</summary>
    /// <exception cref="InvalidOperationException">The call failed; check <see cref="Failed"/> first.</exception>
    public T Value => Failed
        ? throw new InvalidOperationException($"The call failed with {Error}; check Failed before reading Value.")
        : _value!;

#pragma warning disable CA2225 // Named alternatives exist: Ok and Fail.
    /// <summary>Wraps a successful value.</summary>
    public static implicit operator DmaResult<T>(T value) => Ok(value);

    /// <summary>Wraps an error.</summary>
    public static implicit operator DmaResult<T>(DmaError error) => Fail(error);
#pragma warning restore CA2225

    /// <summary>A successful result.</summary>
    public static DmaResult<T> Ok(T value) => new(value ?? throw new ArgumentNullException(nameof(value)), DmaError.None);

    /// <summary>A failed result.</summary>
    /// <exception cref="ArgumentException"><paramref name="error"/> is <see cref="DmaError.None"/>.</exception>
    public static DmaResult<T> Fail(DmaError error) =>
        error == DmaError.None ? throw new ArgumentException("A failure needs an error other than None.", nameof(error)) : new(null, error);

    /// <summary>The value or the error, for diagnostics.</summary>
    public override string ToString() => Failed ? $"error {Error}" : $"ok {_value}";
}
