using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0022: a function leaves on a path where a mapping it made there is still mapped, neither unmapped nor handed on:
/// at an error return or a throw (the unwinding the kernel writes as <c>goto err_unmap</c> is missing), or, for a single
/// address kept only in a local, at any return or the end of the function
/// (<see cref="ErrorReturnPaths"/> for the convention, <see cref="MappingOwnership"/> for what unmaps and hands on).
/// Reported once per map call, at the call, with the leaking return as additional location.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0022MappingLeakedAnalyzer : FlowRuleAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0022MappingLeaked);

    /// <summary>Set when every path to the reported exit leaks the mapping (the fix may unmap just before it).</summary>
    internal const string OnlyLeaksProperty = "OnlyLeaksReachExit";

    /// <summary>Set when the fix unmaps before the gotos listed after the exit in the additional locations instead.</summary>
    internal const string UnwindAtGotosProperty = "UnwindAtGotos";

    /// <summary>
    /// Set when the fix unmaps before the exit under the guard whose conditions follow the exit in the additional locations
    /// (<see cref="ErrorReturnPaths.Guard"/>); its value gives each condition's value on the leaking paths ("1" or "0").
    /// </summary>
    internal const string GuardProperty = "GuardedUnmap";

    /// <summary>The value each guard condition has where the mapping leaks, as <see cref="GuardProperty"/> gives them.</summary>
    internal static IReadOnlyList<bool>? GuardWhen(ImmutableDictionary<string, string?> properties) =>
        properties.TryGetValue(GuardProperty, out string? when) && when is { Length: > 0 } && when.All(c => c is '0' or '1')
            ? when.Select(c => c == '1').ToList()
            : null;

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.Invocation);

    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) =>
        operation is IInvocationOperation inv && symbols.RoleOf(inv.TargetMethod) is var role
        && (FactProducers.IsSingleMap(role) || role is Role.MapSgTable or Role.MapSg or Role.MapSgAware
            || (role == Role.None && (MappingHelpers.Maps(inv.TargetMethod, symbols) || FactProducers.IsSingleMap(ThinWrappers.WrappedRole(inv.TargetMethod, symbols)))));

    // No fact pre-filter: a caller of a helper that maps (cx25821's hw_params) makes no fact itself, and the candidates
    // (map calls and such helpers' calls) are few.

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        var map = (IInvocationOperation)candidate;
        var ownership = new MappingOwnership(map, flow, symbols);
        // A single address that the function never unmaps or hands on anywhere is lost at any way out; otherwise (and for a
        // table, or what a helper mapped) only an error return or a throw is held to the unwinding convention.
        IOperation root = MethodFlow.RootOf(map);
        bool anyExit = FactProducers.IsSingleMap(ThinWrappers.LibraryRole(map.TargetMethod, symbols)) && ownership.NeverReleased(root);
        SyntaxNode body = root.Syntax;
        if (ErrorReturnPaths.FirstLeak(flow.Graph, map, ownership.Ends, ownership.Failed, ownership.HandsOn, anyExit, body) is ErrorReturnPaths.Leak leak)
        {
            // The fix adds the unmap just before the exit, which is sound only where every path to it leaks; at a shared error
            // label, before the gotos taken with the mapping live (further additional locations), when UnwindGotos finds them
            // (for the library's map calls: the fix writes their unmap, not a helper's).
            bool end = leak.Exit == body;
            bool placed = !leak.OnlyLeaksReachIt && !end && symbols.RoleOf(map.TargetMethod) != Role.None;
            IReadOnlyList<Microsoft.CodeAnalysis.CSharp.Syntax.GotoStatementSyntax>? gotos = placed ? UnwindGotos.Find(flow.Graph, leak.Exit, body, leak.Edges) : null;
            // Otherwise, before the exit under a guard that holds exactly where the mapping leaks, when the body's tests give one.
            IReadOnlyList<ErrorReturnPaths.GuardCondition>? guard = placed && gotos is null
                ? ErrorReturnPaths.Guard(flow.Graph, map, ownership.Ends, ownership.Failed, ownership.HandsOn, anyExit, body, leak.Exit)
                : null;
            ImmutableDictionary<string, string?> properties =
                leak.OnlyLeaksReachIt ? ImmutableDictionary<string, string?>.Empty.Add(OnlyLeaksProperty, "true")
                : gotos is not null ? ImmutableDictionary<string, string?>.Empty.Add(UnwindAtGotosProperty, "true")
                : guard is not null ? ImmutableDictionary<string, string?>.Empty.Add(GuardProperty, string.Concat(guard.Select(g => g.When ? '1' : '0')))
                : ImmutableDictionary<string, string?>.Empty;
            string where = end ? "where the function ends"
                : $"at '{Reporting.Text(leak.Exit)}'" + (leak.Error ? ", which returns an error" : string.Empty);
            // Where only leaking paths reach the exit, the other such exits follow it: the fix unmaps before each.
            IEnumerable<Location> locations = new[] { end ? EndOf(body) : leak.Exit.GetLocation() }
                .Concat(leak.OnlyLeaksReachIt && !end ? leak.FurtherExits.Select(e => e.GetLocation()) : Enumerable.Empty<Location>())
                .Concat(gotos?.Select(g => g.GetLocation()) ?? Enumerable.Empty<Location>())
                .Concat(guard?.Select(g => g.Condition.GetLocation()) ?? Enumerable.Empty<Location>());
            report(Diagnostic.Create(Descriptors.P2P0022MappingLeaked, map.Syntax.GetLocation(), locations, properties, Name(map, symbols), where));
        }
    }

    /// <summary>The closing brace of a body (the end of the function), or the whole body when it is an expression.</summary>
    private static Location EndOf(SyntaxNode body) => body switch
    {
        Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax { Body: { } block } => block.CloseBraceToken.GetLocation(),
        Microsoft.CodeAnalysis.CSharp.Syntax.BlockSyntax block => block.CloseBraceToken.GetLocation(),
        _ => body.GetLocation(),
    };

    private static string Name(IInvocationOperation map, KnownSymbols symbols) =>
        symbols.RoleOf(map.TargetMethod) == Role.None ? map.TargetMethod.ContainingType.Name + "." + map.TargetMethod.Name : "Dma." + map.TargetMethod.Name;
}
