using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace P2PDma.Pci.Description;

/// <summary>The <c>key=value</c> fields of one description line, with typed readers that report bad values by line and field.</summary>
internal sealed class LineFields
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly int _line;
    private readonly string _subject;
    private readonly List<TopologyError> _errors;

    public LineFields(int line, string subject, List<TopologyError> errors)
    {
        _line = line;
        _subject = subject;
        _errors = errors;
    }

    /// <summary>True when a token was malformed, unknown or repeated: the line is not used.</summary>
    public bool Broken { get; private set; }

    public void Add(string token, string[] known)
    {
        int eq = token.IndexOf('=');
        if (eq <= 0 || eq == token.Length - 1)
        {
            Fail(eq <= 0 ? token : token.Substring(0, eq), $"'{token}' is not of the form key=value");
            return;
        }

        string key = token.Substring(0, eq);
        if (!known.Contains(key))
        {
            Fail(key, $"unknown field '{key}' (known here: {string.Join(", ", known)})");
            return;
        }

        if (_values.ContainsKey(key))
        {
            Fail(key, $"field '{key}' is given more than once");
            return;
        }

        _values[key] = token.Substring(eq + 1);
    }

    public string? Text(string key, bool required = false) => Get(key, required);

    /// <summary>An unsigned number: decimal or 0x hex, '_' separators, optional K/M/G/T binary suffix.</summary>
    public ulong? Number(string key, bool required = false, ulong max = ulong.MaxValue)
    {
        string? text = Get(key, required);
        if (text is null)
        {
            return null;
        }

        if (!TryParseNumber(text, out ulong value, out bool tooLarge))
        {
            Bad(key, tooLarge
                ? $"{text} is too large: numbers must fit in 64 bits (at most 0x{ulong.MaxValue:x})"
                : $"'{text}' is not a number (decimal, 0x hex, optional K/M/G/T suffix)");
            return null;
        }

        if (value > max)
        {
            Bad(key, $"{text} is larger than the largest allowed value 0x{max:x}");
            return null;
        }

        return value;
    }

    public long? Signed(string key)
    {
        string? text = Get(key, required: false);
        if (text is null)
        {
            return null;
        }

        bool negative = text.StartsWith("-", StringComparison.Ordinal);
        bool parsed = TryParseNumber(negative ? text.Substring(1) : text, out ulong magnitude, out bool tooLarge);
        if (tooLarge || (parsed && magnitude > long.MaxValue))
        {
            Bad(key, $"{text} is too large: signed numbers must lie within -0x{long.MaxValue:x}..0x{long.MaxValue:x}");
            return null;
        }

        if (!parsed)
        {
            Bad(key, $"'{text}' is not a signed number");
            return null;
        }

        return negative ? -(long)magnitude : (long)magnitude;
    }

    public bool? Switch(string key)
    {
        string? text = Get(key, required: false);
        switch (text)
        {
            case null:
                return null;
            case "on" or "yes" or "true":
                return true;
            case "off" or "no" or "false":
                return false;
            default:
                Bad(key, $"'{text}' is not one of on/off, yes/no, true/false");
                return null;
        }
    }

    public Pci.CpuVendor? Vendor(string key)
    {
        string? text = Get(key, required: true);
        switch (text)
        {
            case null:
                return null;
            case "amd":
                return Pci.CpuVendor.Amd;
            case "intel":
                return Pci.CpuVendor.Intel;
            case "other":
                return Pci.CpuVendor.Other;
            default:
                Bad(key, $"'{text}' is not a CPU vendor (amd, intel, other)");
                return null;
        }
    }

    public Pci.AcsControl Acs(string key)
    {
        string? text = Get(key, required: false);
        if (text is null || text == "none")
        {
            return Pci.AcsControl.None;
        }

        var acs = Pci.AcsControl.None;
        foreach (string bit in text.Split(','))
        {
            if (!AcsNames.TryGetValue(bit, out Pci.AcsControl flag))
            {
                Bad(key, $"'{bit}' is not an ACS control bit ({string.Join(", ", AcsNames.Keys)})");
                continue;
            }

            acs |= flag;
        }

        return acs;
    }

    internal static readonly Dictionary<string, Pci.AcsControl> AcsNames = new(StringComparer.Ordinal)
    {
        ["sv"] = Pci.AcsControl.SourceValidation,
        ["tb"] = Pci.AcsControl.TranslationBlocking,
        ["rr"] = Pci.AcsControl.RequestRedirect,
        ["cr"] = Pci.AcsControl.CompletionRedirect,
        ["uf"] = Pci.AcsControl.UpstreamForwarding,
        ["ec"] = Pci.AcsControl.EgressControl,
        ["dt"] = Pci.AcsControl.DirectTranslated,
    };

    internal static bool TryParseNumber(string text, out ulong value) => TryParseNumber(text, out value, out _);

    /// <summary>As <see cref="TryParseNumber(string, out ulong)"/>; <paramref name="tooLarge"/> tells a well-formed number that overflows 64 bits from a malformed one.</summary>
    internal static bool TryParseNumber(string text, out ulong value, out bool tooLarge)
    {
        value = 0;
        tooLarge = false;
        string digits = text.Replace("_", "");
        int shift = 0;
        if (digits.Length > 1 && "KMGT".IndexOf(char.ToUpperInvariant(digits[digits.Length - 1])) is int unit and >= 0
            && !digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            shift = 10 * (unit + 1);
            digits = digits.Substring(0, digits.Length - 1);
        }

        bool ok = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? digits.Length > 2 && ulong.TryParse(digits.Substring(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : digits.Length > 0 && digits.All(char.IsDigit) && ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!ok || (shift > 0 && value > ulong.MaxValue >> shift))
        {
            tooLarge = ok || IsWellFormed(digits);
            return false;
        }

        value <<= shift;
        return true;
    }

    /// <summary>True for digits that only fail to parse because their value exceeds 64 bits.</summary>
    private static bool IsWellFormed(string digits) =>
        digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? digits.Length > 2 && digits.Skip(2).All(Uri.IsHexDigit)
            : digits.Length > 0 && digits.All(c => c is >= '0' and <= '9');

    private string? Get(string key, bool required)
    {
        if (_values.TryGetValue(key, out string? text))
        {
            return text;
        }

        if (required)
        {
            Bad(key, $"required field '{key}' is missing");
        }

        return null;
    }

    private void Fail(string field, string message)
    {
        Broken = true;
        Bad(field, message);
    }

    private void Bad(string field, string message) => _errors.Add(new TopologyError(_line, _subject, field, message));
}
