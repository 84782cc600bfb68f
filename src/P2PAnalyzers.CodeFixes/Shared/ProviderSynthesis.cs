using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Finds the device and BAR index behind a CPU physical address the way kernel-shaped code holds it (no provider, only
/// the <c>PciDevice</c> and a BAR read at the use or cached at probe), as expressions valid at the fix site, and writes
/// the proper way to get the provider: <c>PciP2PDma.Init(dev) == DmaError.None ? PciP2PDma.Provider(dev, bar) : null</c>
/// (pcim_p2pdma_init, idempotent, then pcim_p2pdma_provider). Two sources, both required to name one BAR only:
/// <list type="bullet">
/// <item><c>dev.Bar(k)</c> read in the function itself, with <c>k</c> the same value wherever it is read there (a
/// constant, or a parameter, local or field the function never assigns; not an array element of a loop). When the
/// provider is written at one site only (the map call), <c>k</c> may also be the same value there as at the read within
/// one iteration of a loop (<c>Bar(DmaRanges[i].RegionIndex)</c>, <see cref="IterationInvariant"/>).</item>
/// <item>a field read in the function (<c>hdev.DramPciBarStart</c>) whose every store in the solution is
/// <c>s.Chain.Bar(k)...</c> of the object the field belongs to (<c>hdev.DramPciBarStart = hdev.Pdev.Bar(DRAM_BAR_ID).CpuStart.Raw</c>
/// at probe): the device is then the same chain from the object read here (<c>hdev.Pdev</c>). A field also stored
/// from anything else (amdgpu's XGMI FB offset in <c>aper_base</c>) or through another object declines.</item>
/// </list>
/// </summary>
internal static class ProviderSynthesis
{
    /// <summary>One BAR: the device expression and index expression, valid at the fix site.</summary>
    internal readonly record struct DeviceBar(string Device, string Index);

    /// <summary>
    /// The one BAR the values of <paramref name="expressions"/> come from, following locals of <paramref name="function"/>;
    /// null when none or several, or when an expression cannot be written at the fix site. With a <paramref name="site"/>,
    /// the provider is for that one point (in the function, after the reads): its names must mean the same there, and an
    /// index that changes per loop iteration is allowed when it is the read's value there (<see cref="IterationInvariant"/>).
    /// </summary>
    public static DeviceBar? Of(IEnumerable<ExpressionSyntax> expressions, SyntaxNode function, SemanticModel model, SolutionModels solution, CancellationToken cancellationToken,
        SyntaxNode? site = null)
    {
        var found = new HashSet<DeviceBar>();
        var seen = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        var work = new Stack<(ExpressionSyntax Value, ImmutableList<ILocalSymbol> Via)>(expressions.Select(e => (e, ImmutableList<ILocalSymbol>.Empty)));
        while (work.Count > 0)
        {
            (ExpressionSyntax e, ImmutableList<ILocalSymbol> via) = work.Pop();
            foreach (SyntaxNode node in e.DescendantNodesAndSelf())
            {
                switch (node)
                {
                    case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Bar" } bar, ArgumentList.Arguments: [var index] } call
                        when IsPciDevice(model.GetTypeInfo(bar.Expression, cancellationToken).Type):
                        if (!Assignments.PathOnly(bar.Expression) || !IndexHolds(index.Expression, call, site, via, function, model, cancellationToken)
                            || site is not null && !(Stable.Expression(bar.Expression, function, model, site.SpanStart, cancellationToken)
                                && Scope.BindsAlike(bar.Expression, model, site.SpanStart, cancellationToken)
                                && Scope.BindsAlike(index.Expression, model, site.SpanStart, cancellationToken)))
                        {
                            return null;
                        }

                        found.Add(new DeviceBar(bar.Expression.WithoutTrivia().ToString(), IndexText(index.Expression, model, cancellationToken)));
                        break;
                    case IdentifierNameSyntax id when model.GetSymbolInfo(id, cancellationToken).Symbol is ILocalSymbol local && seen.Add(local):
                        foreach (ExpressionSyntax value in Assigned(local, function, model, cancellationToken))
                        {
                            work.Push((value, via.Add(local)));
                        }

                        break;
                }

                if (node is MemberAccessExpressionSyntax read && model.GetSymbolInfo(read, cancellationToken).Symbol is IFieldSymbol stored
                    && IsAddress(stored.Type) && seen.Add(stored))
                {
                    DeviceBar? cached = FromStores(read, stored, solution, cancellationToken);
                    if (cached is DeviceBar d && (site is null || Stable.Expression(read, function, model, site.SpanStart, cancellationToken)))
                    {
                        found.Add(d);
                    }
                    else if (AnyBarStore(stored, solution, cancellationToken))
                    {
                        return null;
                    }
                }
            }
        }

        return found.Count == 1 ? found.First() : null;
    }

    /// <summary>The provider declaration and its check, leaving with <paramref name="leave"/> when it is null.</summary>
    public static StatementSyntax[] Declare(string name, DeviceBar bar, StatementSyntax leave) => Declare(name, bar, new[] { leave });

    /// <summary>The provider declaration and its check, leaving with the statements <paramref name="leave"/> when it is null.</summary>
    public static StatementSyntax[] Declare(string name, DeviceBar bar, IEnumerable<StatementSyntax> leave) => new[]
    {
        FixDocument.Statement($"{Names.P2PProvider}? {name} = {Names.PciP2PDma}.Init({bar.Device}) == {Names.DmaError}.None ? {Names.PciP2PDma}.Provider({bar.Device}, {bar.Index}) : null;"),
        FixDocument.Generated(SyntaxFactory.IfStatement(SyntaxFactory.ParseExpression($"{name} is null"), SyntaxFactory.Block(leave))),
    };

    private static bool IsPciDevice(ITypeSymbol? type) => type?.ToDisplayString().TrimEnd('?') == "P2PDma.Pci.PciDevice";

    private static bool IsAddress(ITypeSymbol type) => type.SpecialType == SpecialType.System_UInt64 || type.ToDisplayString() == "P2PDma.Addresses.PhysAddr";

    private static string IndexText(ExpressionSyntax index, SemanticModel model, CancellationToken cancellationToken) =>
        model.GetConstantValue(index, cancellationToken) is { HasValue: true, Value: int k } ? k.ToString(System.Globalization.CultureInfo.InvariantCulture) : index.WithoutTrivia().ToString();

    /// <summary>
    /// The index is one value in the whole function (<see cref="Invariant"/>), or, for a provider written at
    /// <paramref name="site"/>, the read's value there within one loop iteration.
    /// </summary>
    private static bool IndexHolds(ExpressionSyntax index, SyntaxNode read, SyntaxNode? site, ImmutableList<ILocalSymbol> via, SyntaxNode function,
        SemanticModel model, CancellationToken cancellationToken) =>
        Invariant(index, function, model, cancellationToken)
        || site is not null && IterationInvariant.Holds(index, read, site, via, function, model, cancellationToken);

    /// <summary>The BAR index has one value in the whole function: a constant, or a name the function never assigns.</summary>
    private static bool Invariant(ExpressionSyntax index, SyntaxNode function, SemanticModel model, CancellationToken cancellationToken)
    {
        if (model.GetConstantValue(index, cancellationToken).HasValue)
        {
            return true;
        }

        ISymbol? symbol = Assignments.PathOnly(index) ? model.GetSymbolInfo(index, cancellationToken).Symbol : null;
        return symbol is IParameterSymbol { RefKind: RefKind.None } or ILocalSymbol or IFieldSymbol or IPropertySymbol
            && !Assignments.WrittenIn(function, symbol, model, cancellationToken)
            && (symbol is not ILocalSymbol || Assigned((ILocalSymbol)symbol, function, model, cancellationToken).Count() == 1);
    }

    /// <summary>The initializer and every value assigned to <paramref name="local"/> in the function (<c>+=</c> included).</summary>
    private static IEnumerable<ExpressionSyntax> Assigned(ILocalSymbol local, SyntaxNode function, SemanticModel model, CancellationToken cancellationToken)
    {
        foreach (SyntaxNode n in function.DescendantNodes())
        {
            if (n is VariableDeclaratorSyntax { Initializer.Value: var init } v && SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(v, cancellationToken), local))
            {
                yield return init;
            }
            else if (n is AssignmentExpressionSyntax a && Assignments.Is(a.Left, local, model, cancellationToken))
            {
                yield return a.Right;
            }
        }
    }

    /// <summary>
    /// <paramref name="read"/> is <c>r.F1...Fn</c>; every store of <paramref name="field"/> is <c>s.F1...Fn = ... s.G.Bar(k) ...</c>
    /// with the same members and one <c>G</c>, <c>k</c>: the device here is <c>r.G</c>.
    /// </summary>
    private static DeviceBar? FromStores(MemberAccessExpressionSyntax read, IFieldSymbol field, SolutionModels solution, CancellationToken cancellationToken)
    {
        DeviceBar? result = null;
        int stores = 0;
        foreach ((ExpressionSyntax target, ExpressionSyntax value, SemanticModel model) in solution.Stores(field, cancellationToken))
        {
            stores++;
            if (target is not MemberAccessExpressionSyntax t || !SameChain(read, t, solution.ModelOf(read), model, cancellationToken, out ExpressionSyntax? readRoot, out ExpressionSyntax? storeRoot))
            {
                return null;
            }

            var bars = value.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>()
                .Where(c => c.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Bar" } b && IsPciDevice(model.GetTypeInfo(b.Expression, cancellationToken).Type))
                .ToList();
            if (bars.Count != 1 || bars[0] is not { Expression: MemberAccessExpressionSyntax bar, ArgumentList.Arguments: [var index] }
                || model.GetConstantValue(index.Expression, cancellationToken) is not { HasValue: true, Value: int k }
                || Relative(bar.Expression, storeRoot!) is not string rest)
            {
                return null;
            }

            var here = new DeviceBar(readRoot!.WithoutTrivia() + rest, k.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (result is DeviceBar other && other != here)
            {
                return null;
            }

            result = here;
        }

        return stores > 0 ? result : null;
    }

    private static bool AnyBarStore(IFieldSymbol field, SolutionModels solution, CancellationToken cancellationToken) =>
        solution.Stores(field, cancellationToken).Any(s => s.Value.DescendantNodesAndSelf().OfType<MemberAccessExpressionSyntax>().Any(m => m.Name.Identifier.ValueText == "Bar"));

    /// <summary>Both are <c>root.F1...Fn</c> with the same members; the roots have the same type and are names.</summary>
    private static bool SameChain(MemberAccessExpressionSyntax read, MemberAccessExpressionSyntax store, SemanticModel readModel, SemanticModel storeModel, CancellationToken cancellationToken,
        out ExpressionSyntax? readRoot, out ExpressionSyntax? storeRoot)
    {
        readRoot = read;
        storeRoot = store;
        while (readRoot is MemberAccessExpressionSyntax r && storeRoot is MemberAccessExpressionSyntax s)
        {
            ISymbol? rs = readModel.GetSymbolInfo(r, cancellationToken).Symbol;
            ISymbol? ss = storeModel.GetSymbolInfo(s, cancellationToken).Symbol;
            if (rs is not (IFieldSymbol or IPropertySymbol) || !SymbolEqualityComparer.Default.Equals(rs, ss))
            {
                break;
            }

            readRoot = r.Expression;
            storeRoot = s.Expression;
            if (storeRoot is IdentifierNameSyntax)
            {
                break;
            }
        }

        return storeRoot is IdentifierNameSyntax && storeModel.GetSymbolInfo(storeRoot, cancellationToken).Symbol is IParameterSymbol or ILocalSymbol
            && Assignments.PathOnly(readRoot)
            && SymbolEqualityComparer.Default.Equals(readModel.GetTypeInfo(readRoot, cancellationToken).Type, storeModel.GetTypeInfo(storeRoot, cancellationToken).Type);
    }

    /// <summary><c>.Pdev</c> for <paramref name="device"/> <c>hdev.Pdev</c> and root <c>hdev</c>; null when not under the root.</summary>
    private static string? Relative(ExpressionSyntax device, ExpressionSyntax root)
    {
        string text = device.WithoutTrivia().ToString();
        string prefix = root.WithoutTrivia().ToString();
        return Assignments.PathOnly(device) && text.StartsWith(prefix + ".", System.StringComparison.Ordinal) ? text.Substring(prefix.Length) : null;
    }
}
