using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>What a map or unmap call was given for one parameter, when it is a constant the analysis can read.</summary>
internal readonly record struct MapArgument(string Parameter, ulong Value, string Text);

/// <summary>
/// The size and direction a mapping was made with, read from the map call where a fact's origin points (in any file of
/// the compilation, as syntax: another file's semantic model is not the analyzer's to ask), and those an unmap is
/// given. Only constants count: a literal size, a <c>DmaDirection</c> member. Shared by P2P0021 and its fix.
/// </summary>
internal static class MapArguments
{
    public const string Size = "size";
    public const string Direction = "dir";

    /// <summary>
    /// The map call at an origin's location and the library method it calls, when that is a single-address map: the
    /// library's own call, read as syntax (the call may be in another file: the method is the library's <c>Dma</c> member
    /// of the call's name), or a call of a <see cref="ThinWrapper"/> of one (<c>ib_dma_map_single</c>), whose arguments
    /// are read through the wrapper (<see cref="Given(InvocationExpressionSyntax, IMethodSymbol, string, ThinWrapper?)"/>).
    /// </summary>
    public static (InvocationExpressionSyntax Call, IMethodSymbol Method, ThinWrapper? Wrapper)? MapCall(Origin origin, KnownSymbols k, System.Threading.CancellationToken cancellationToken)
    {
        if (origin.Location.SourceTree is not SyntaxTree tree
            || tree.GetRoot(cancellationToken).FindNode(origin.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax call)
        {
            return null;
        }

        if (LibraryMethod(call, k.Dma) is IMethodSymbol method)
        {
            return FactProducers.IsSingleMap(k.RoleOf(method)) ? (call, method, null) : null;
        }

        return SemanticModels.Of(k.Compilation, tree).GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol wrapper
            && ThinWrappers.Of(wrapper, k) is ThinWrapper thin && FactProducers.IsSingleMap(k.RoleOf(thin.Library))
                ? (call, thin.Library, thin)
                : null;
    }

    /// <summary>
    /// As <see cref="Given(InvocationExpressionSyntax, IMethodSymbol, string)"/>, for a call of the library or of a thin
    /// wrapper of it: the argument given for the wrapper's parameter that it hands the library's on.
    /// </summary>
    public static ExpressionSyntax? Given(InvocationExpressionSyntax call, IMethodSymbol method, string parameter, ThinWrapper? wrapper)
    {
        if (wrapper is null)
        {
            return Given(call, method, parameter);
        }

        if (!wrapper.Forwarded.TryGetValue(parameter, out int ordinal))
        {
            return null;
        }

        SeparatedSyntaxList<ArgumentSyntax> arguments = call.ArgumentList.Arguments;
        // The wrapper's own parameter at that ordinal, by name or position (its method is not at hand as syntax: by position only).
        return ordinal < arguments.Count && arguments.Take(ordinal + 1).All(a => a.NameColon is null) ? arguments[ordinal].Expression : null;
    }

    /// <summary>The member of the library's <c>Dma</c> that <paramref name="call"/> names (<c>Dma.MapSingle(..)</c>), by name.</summary>
    public static IMethodSymbol? LibraryMethod(InvocationExpressionSyntax call, INamedTypeSymbol? dma) =>
        call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: string name }
            ? dma?.GetMembers(name).OfType<IMethodSymbol>().FirstOrDefault()
            : null;

    /// <summary>The syntax given to <paramref name="parameter"/> of the library's <paramref name="method"/>, by name or position.</summary>
    public static ExpressionSyntax? Given(InvocationExpressionSyntax call, IMethodSymbol method, string parameter)
    {
        if (method.Parameters.FirstOrDefault(p => p.Name == parameter) is not IParameterSymbol p)
        {
            return null;
        }

        SeparatedSyntaxList<ArgumentSyntax> arguments = call.ArgumentList.Arguments;
        if (arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == parameter) is ArgumentSyntax named)
        {
            return named.Expression;
        }

        // Positional up to the first named argument.
        return p.Ordinal < arguments.Count && arguments.Take(p.Ordinal + 1).All(a => a.NameColon is null) ? arguments[p.Ordinal].Expression : null;
    }

    /// <summary>A constant the syntax alone shows: an integer literal, or a member of the library's <c>DmaDirection</c>.</summary>
    public static MapArgument? Read(ExpressionSyntax? expression, string parameter, KnownSymbols k)
    {
        switch (expression)
        {
            case LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression } literal when ToUInt64(literal.Token.Value) is ulong size:
                return new MapArgument(parameter, size, literal.Token.Text);
            case MemberAccessExpressionSyntax { Name.Identifier.ValueText: string member } access
                when LastName(access.Expression) == "DmaDirection"
                && k.DmaDirection?.GetMembers(member).OfType<IFieldSymbol>().FirstOrDefault() is { HasConstantValue: true } field
                && ToUInt64(field.ConstantValue) is ulong direction:
                return new MapArgument(parameter, direction, member);
            case ParenthesizedExpressionSyntax parenthesized:
                return Read(parenthesized.Expression, parameter, k);
            default:
                return null;
        }
    }

    /// <summary>The constant an unmap's argument has (the operation's own constant value).</summary>
    public static MapArgument? Read(IArgumentOperation? argument, KnownSymbols k)
    {
        if (argument?.Parameter is not IParameterSymbol p || argument.ArgumentKind == ArgumentKind.DefaultValue
            || argument.Value.ConstantValue is not { HasValue: true } constant || ToUInt64(constant.Value) is not ulong value)
        {
            return null;
        }

        string text = k.Is(p.Type, k.DmaDirection)
            ? k.DmaDirection!.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && ToUInt64(f.ConstantValue) == value)?.Name ?? value.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : argument.Value.Syntax.ToString();
        return new MapArgument(p.Name, value, text);
    }

    /// <summary>The last name of a (qualified) name: <c>Dma</c> of <c>P2PDma.Mapping.Dma</c>.</summary>
    internal static string? LastName(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax name => name.Identifier.ValueText,
        MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
        _ => null,
    };

    private static ulong? ToUInt64(object? value) => value switch
    {
        int i when i >= 0 => (ulong)i,
        uint u => u,
        long l when l >= 0 => (ulong)l,
        ulong u => u,
        _ => null,
    };
}
