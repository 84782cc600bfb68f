using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>Where a rewritten builder gets the attachment and direction <c>PhysVecToSgt</c> needs, and the call-site edits that brings.</summary>
internal static class BuilderInputs
{
    /// <summary>
    /// The attachment expression at the builder: <c>A</c> when the ranges were mapped for <c>A.Device</c>; for a
    /// <c>PciDevice</c> parameter used for nothing else, the parameter retyped as the attachment, with every call site's
    /// <c>A.Device</c> argument becoming <c>A</c>.
    /// </summary>
    public static string? Attachment(string device, SemanticModel model, int at, MethodDeclarationSyntax builder, IMethodSymbol symbol, List<InvocationExpressionSyntax> calls,
        SolutionModels models, CancellationToken cancellationToken, out Dictionary<SyntaxNode, SyntaxNode> callEdits, out ParameterSyntax? parameter)
    {
        callEdits = new Dictionary<SyntaxNode, SyntaxNode>();
        parameter = null;
        ExpressionSyntax expression = SyntaxFactory.ParseExpression(device);
        if (expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Device", Expression: var owner }
            && model.GetSpeculativeTypeInfo(at, owner, SpeculativeBindingOption.BindAsExpression).Type?.ToDisplayString() == "P2PDma.DmaBuf.DmaBufAttachment")
        {
            return owner.ToString();
        }

        if (expression is not IdentifierNameSyntax id
            || symbol.Parameters.FirstOrDefault(p => p.Name == id.Identifier.ValueText) is not IParameterSymbol p || p.RefKind != RefKind.None
            || !OnlyCalled(symbol, calls, models, cancellationToken))
        {
            return null;
        }

        foreach (InvocationExpressionSyntax call in calls)
        {
            SemanticModel callModel = models.ModelOf(call);
            if (call.ArgumentList.Arguments.Count != symbol.Parameters.Length || call.ArgumentList.Arguments.Any(a => a.NameColon is not null)
                || ImporterOf(call.ArgumentList.Arguments[p.Ordinal].Expression, callModel, cancellationToken) is not ExpressionSyntax importer)
            {
                return null;
            }

            ExpressionSyntax arg = call.ArgumentList.Arguments[p.Ordinal].Expression;
            callEdits[arg] = importer.WithoutTrivia().WithTriviaFrom(arg);
        }

        parameter = builder.ParameterList.Parameters[p.Ordinal];
        return p.Name == "dev" || p.Name == "device" ? Scope.FreeName(model, at, "attach") : p.Name;
    }

    /// <summary>
    /// For a builder that mapped nothing: MapDmaBuf's attachment and direction, at the builder. MapDmaBuf itself uses its
    /// own parameters; a builder it calls (only it, never as a method group, not virtual or an interface member) gets
    /// two parameters, and every call passes MapDmaBuf's.
    /// </summary>
    public static string? RawInputs(MethodDeclarationSyntax map, MethodDeclarationSyntax builder, IMethodSymbol symbol, List<InvocationExpressionSyntax> calls,
        SolutionModels models, CancellationToken cancellationToken, out string dir, out Dictionary<SyntaxNode, SyntaxNode> callEdits, out ParameterSyntax[] added)
    {
        callEdits = new Dictionary<SyntaxNode, SyntaxNode>();
        added = System.Array.Empty<ParameterSyntax>();
        dir = "";
        if (map.ParameterList.Parameters is not [var a, var d])
        {
            return null;
        }

        if (builder == map)
        {
            dir = d.Identifier.ValueText;
            return a.Identifier.ValueText;
        }

        if (!OnlyCalled(symbol, calls, models, cancellationToken)
            || calls.Any(c => c.FirstAncestorOrSelf<MethodDeclarationSyntax>() != map || c.ArgumentList.Arguments.Any(x => x.NameColon is not null)))
        {
            return null;
        }

        var taken = new HashSet<string>(builder.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText), System.StringComparer.Ordinal);
        string Free(string name)
        {
            string candidate = name;
            for (int i = 2; taken.Contains(candidate); i++)
            {
                candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            taken.Add(candidate);
            return candidate;
        }

        string attachName = Free("attach");
        dir = Free("dir");
        added = new[]
        {
            SyntaxFactory.Parameter(SyntaxFactory.Identifier(attachName)).WithType(SimplifiedType("global::P2PDma.DmaBuf.DmaBufAttachment")),
            SyntaxFactory.Parameter(SyntaxFactory.Identifier(dir)).WithType(SimplifiedType("global::P2PDma.Mapping.DmaDirection")),
        };
        foreach (InvocationExpressionSyntax call in calls)
        {
            callEdits[call.ArgumentList] = call.ArgumentList.AddArguments(
                SyntaxFactory.Argument(SyntaxFactory.IdentifierName(a.Identifier.ValueText)), SyntaxFactory.Argument(SyntaxFactory.IdentifierName(d.Identifier.ValueText)));
        }

        return attachName;
    }

    private static TypeSyntax SimplifiedType(string name) => SyntaxFactory.ParseTypeName(name).WithTrailingTrivia(SyntaxFactory.Space)
        .WithAdditionalAnnotations(Microsoft.CodeAnalysis.Simplification.Simplifier.Annotation, Microsoft.CodeAnalysis.Simplification.Simplifier.AddImportsAnnotation);

    /// <summary>
    /// The attachment a call site's device argument is the importer of: <c>A</c> for <c>A.Device</c>, or for a local
    /// declared as <c>A.Device</c> and never assigned again (<c>PciDevice importer = attachment.Device;</c>).
    /// </summary>
    private static ExpressionSyntax? ImporterOf(ExpressionSyntax argument, SemanticModel model, CancellationToken cancellationToken)
    {
        ExpressionSyntax? device = argument;
        if (argument is IdentifierNameSyntax name && model.GetSymbolInfo(name, cancellationToken).Symbol is ILocalSymbol { DeclaringSyntaxReferences: [var reference] } local
            && reference.GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: var initializer }
            && argument.FirstAncestorOrSelf<MemberDeclarationSyntax>() is MemberDeclarationSyntax function
            && !Assignments.WrittenIn(function, local, model, cancellationToken))
        {
            device = initializer;
        }

        return device is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Device", Expression: var attachment } && Assignments.PathOnly(attachment)
            && model.GetTypeInfo(attachment, cancellationToken).Type?.ToDisplayString() == "P2PDma.DmaBuf.DmaBufAttachment"
                ? attachment
                : null;
    }

    /// <summary>
    /// Whether <paramref name="calls"/> are every use of the method, and no override, interface or dispatch reaches it
    /// otherwise: its signature may change with its call sites.
    /// </summary>
    private static bool OnlyCalled(IMethodSymbol symbol, List<InvocationExpressionSyntax> calls, SolutionModels models, CancellationToken cancellationToken) =>
        !(symbol.IsOverride || symbol.IsVirtual || symbol.IsAbstract || !symbol.ExplicitInterfaceImplementations.IsEmpty
            || symbol.ContainingType.AllInterfaces.SelectMany(i => i.GetMembers()).Any(m => SymbolEqualityComparer.Default.Equals(symbol.ContainingType.FindImplementationForInterfaceMember(m), symbol)))
        && calls.Count > 0 && models.References(symbol, cancellationToken).Count() == calls.Count;
}
