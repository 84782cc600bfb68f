using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Helpers handed an entry by the builder (habanalabs' <c>set_dma_sg</c>): a helper that maps its parameters and fills
/// the entry, or stores the raw address in it, is one range in terms of the builder's arguments.
/// </summary>
internal sealed partial class TableBuilderShape
{
    /// <summary><c>if (SetDmaSg(sg, barAddress, chunkSize, dev, dir) != 0) goto err;</c> of a helper that maps and fills the entry.</summary>
    private (string Phys, string Size)? HelperCall(StatementSyntax s)
    {
        InvocationExpressionSyntax? call = s switch
        {
            IfStatementSyntax { Condition: BinaryExpressionSyntax { Left: InvocationExpressionSyntax c }, Else: null } i when Leaves(i.Statement) => c,
            ExpressionStatementSyntax { Expression: InvocationExpressionSyntax c } => c,
            _ => null,
        };
        if (call is null || _model.GetSymbolInfo(call, _ct).Symbol is not IMethodSymbol helper
            || helper.DeclaringSyntaxReferences is not [var reference]
            || reference.GetSyntax(_ct) is not MethodDeclarationSyntax { Body: BlockSyntax body } declaration || !_models.Has(declaration)
            || call.ArgumentList.Arguments.Count != helper.Parameters.Length || call.ArgumentList.Arguments.Any(a => a.NameColon is not null || a.RefKindKeyword.RawKind != 0))
        {
            return null;
        }

        SemanticModel model = _models.ModelOf(declaration);
        IParameterSymbol? entry = null;
        (InvocationExpressionSyntax Map, ILocalSymbol Local)? mapping = null;
        (ExpressionSyntax? Address, ExpressionSyntax? Length) raw = default;
        foreach (StatementSyntax h in body.Statements)
        {
            RawParts(h, model, ref raw);
            if (h is LocalDeclarationStatementSyntax { Declaration.Variables: [var v] } && v.Initializer?.Value is InvocationExpressionSyntax map && Is(map, "Dma", "MapResource", model)
                && map.ArgumentList.Arguments.Count >= 4 && mapping is null && model.GetDeclaredSymbol(v, _ct) is ILocalSymbol local)
            {
                mapping = (map, local);
            }
            else if (mapping is not null && h is IfStatementSyntax { Condition: InvocationExpressionSyntax check, Else: null } && Is(check, "Dma", "MappingError", model))
            {
            }
            else if (h is ExpressionStatementSyntax { Expression: var e } && EntryTarget(e, model) is IParameterSymbol p && (entry is null || SymbolEqualityComparer.Default.Equals(entry, p)))
            {
                entry = p;
            }
            else if (h is not ReturnStatementSyntax { Expression: LiteralExpressionSyntax })
            {
                return null;
            }
        }

        if (entry is null || !IsEntry(call.ArgumentList.Arguments[entry.Ordinal].Expression))
        {
            return null;
        }

        if (mapping is null && raw is (ExpressionSyntax rawAddress, ExpressionSyntax rawLength))
        {
            // A helper that stores the raw address (the 2021 habanalabs set_dma_sg): nothing mapped, one range each.
            Raw = true;
            Helpers.Add(helper);
            return ($"{Names.PhysAddr}.FromRaw({Substitute(rawAddress, Sources)})", Substitute(rawLength, new List<ExpressionSyntax>()));
        }

        if (mapping is not var (m, _))
        {
            return null;
        }

        // The helper's parameters as the builder's arguments; the entry is the only one left unused.
        string Substitute(ExpressionSyntax e, List<ExpressionSyntax> sources) => Substituted(e, helper, model, call, sources);

        SeparatedSyntaxList<ArgumentSyntax> args = m.ArgumentList.Arguments;
        var devSources = new List<ExpressionSyntax>();
        string phys = Substitute(args[1].Expression, Sources);
        string size = Substitute(args[2].Expression, new List<ExpressionSyntax>());
        if (!SameDevice(Substitute(args[0].Expression, devSources), Substitute(args[3].Expression, devSources))
            || !IsEntry(call.ArgumentList.Arguments[entry.Ordinal].Expression))
        {
            return null;
        }

        Helpers.Add(helper);
        return (phys, size);
    }

    /// <summary>
    /// <paramref name="e"/>, written in <paramref name="helper"/>, with its parameters replaced by <paramref name="call"/>'s
    /// arguments; the arguments used are added to <paramref name="sources"/>.
    /// </summary>
    private string Substituted(ExpressionSyntax e, IMethodSymbol helper, SemanticModel model, InvocationExpressionSyntax call, List<ExpressionSyntax> sources)
    {
        var map = new Dictionary<SyntaxNode, SyntaxNode>();
        foreach (IdentifierNameSyntax id in e.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            if (model.GetSymbolInfo(id, _ct).Symbol is IParameterSymbol p && SymbolEqualityComparer.Default.Equals(p.ContainingSymbol, helper))
            {
                ExpressionSyntax arg = call.ArgumentList.Arguments[p.Ordinal].Expression;
                sources.Add(arg);
                map[id] = arg is IdentifierNameSyntax or MemberAccessExpressionSyntax ? arg.WithoutTrivia() : SyntaxFactory.ParenthesizedExpression(arg.WithoutTrivia());
            }
        }

        return e.ReplaceNodes(map.Keys, (o, _) => map[o]).WithoutTrivia().ToString();
    }

    /// <summary>
    /// A helper of the compilation that only returns a mapping of its parameters (<c>=&gt; Dma.MapResource(dev, PhysAddr.FromRaw(bar), size, dir, ...)</c>):
    /// the mapping's device, address, size and direction in the caller's terms.
    /// </summary>
    private (IMethodSymbol Helper, string Device, string Phys, string Size, string Direction, List<ExpressionSyntax> Sources)? ForwardedMapping(InvocationExpressionSyntax call)
    {
        if (_model.GetSymbolInfo(call, _ct).Symbol is not IMethodSymbol { DeclaringSyntaxReferences: [var reference] } helper
            || reference.GetSyntax(_ct) is not MethodDeclarationSyntax declaration || !_models.Has(declaration)
            || call.ArgumentList.Arguments.Count != helper.Parameters.Length || call.ArgumentList.Arguments.Any(a => a.NameColon is not null || a.RefKindKeyword.RawKind != 0))
        {
            return null;
        }

        ExpressionSyntax? returned = declaration switch
        {
            { ExpressionBody.Expression: var e } => e,
            { Body.Statements: [ReturnStatementSyntax { Expression: var e }] } => e,
            _ => null,
        };
        SemanticModel model = _models.ModelOf(declaration);
        if (returned is not InvocationExpressionSyntax map || !Is(map, "Dma", "MapResource", model)
            || map.ArgumentList.Arguments is not { Count: >= 4 } args || args.Any(a => a.NameColon is not null))
        {
            return null;
        }

        var sources = new List<ExpressionSyntax>();
        var ignored = new List<ExpressionSyntax>();
        return (helper, Substituted(args[0].Expression, helper, model, call, ignored), Substituted(args[1].Expression, helper, model, call, sources),
            Substituted(args[2].Expression, helper, model, call, ignored), Substituted(args[3].Expression, helper, model, call, ignored), sources);
    }
}
