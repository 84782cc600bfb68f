using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Where a fix that adds a way out of a function (a failed mapping's check) may put it, and what that way out is when
/// the function already has one: the kernel's fixes leave through the function's unwinding label
/// (<c>if (dma_mapping_error(..)) goto err_out;</c> in 8139cp's <c>cp_refill_rx</c>), not around it.
/// </summary>
internal static class EarlyExits
{
    /// <summary>
    /// The way out of the function after a failed mapping at <paramref name="at"/>, in the function's own terms: its
    /// unwinding label (<see cref="Unwind"/>), else, given the <paramref name="map"/> call, the function's own check of the
    /// buffer right before it (<see cref="BufferCheck"/>: <paramref name="stays"/> is then true, the way out may stay in
    /// the function), else a return (<see cref="ErrorPath"/>), through the unlock of the function's own early exit when
    /// a lock is held (<see cref="LockedExit"/>); null where leaving cannot be sound: past a lock it holds without such an
    /// exit, or by a bare <c>return;</c> when the mapping is <paramref name="kept"/> for a later unmap elsewhere (a void
    /// function cannot tell its caller, who goes on, and the completion unmaps what was never mapped: isci's
    /// <c>sci_request_build_sgl</c>).
    /// </summary>
    public static StatementSyntax[]? Failure(SemanticModel model, StatementSyntax at, ExpressionSyntax error, bool kept, InvocationExpressionSyntax? map, out bool stays)
    {
        stays = false;
        bool locked = SkipsARelease(at);
        if (!locked && Unwind(model, at, error) is StatementSyntax[] unwind)
        {
            return unwind;
        }

        // Taken under a lock too: the buffer check stands where the same lock is held.
        if (map is not null && BufferCheck.Failure(at, map) is StatementSyntax[] same)
        {
            stays = true;
            return same;
        }

        StatementSyntax[] leave = ErrorPath.Statements(model, at, error);
        if (kept && leave is [ReturnStatementSyntax { Expression: null }])
        {
            return null;
        }

        // What was mapped before and is unmapped only after is unmapped first, with the function's own unmaps.
        if (EarlierUnmaps.For(model, at) is not StatementSyntax[] unmaps)
        {
            return null;
        }

        leave = unmaps.Concat(leave).ToArray();

        if (!locked)
        {
            return leave;
        }

        // An unwinding label would be skipped by the return; mappings made before would stay mapped under the lock.
        return Unwind(model, at, error) is null && LockedExit.Releases(model, at) is StatementSyntax[] unlock ? unlock.Concat(leave).ToArray() : null;
    }

    /// <summary>As <see cref="Failure(SemanticModel, StatementSyntax, ExpressionSyntax, bool, InvocationExpressionSyntax?, out bool)"/>, for a failure that is not a mapped buffer's.</summary>
    public static StatementSyntax[]? Failure(SemanticModel model, StatementSyntax at, ExpressionSyntax error, bool kept) =>
        Failure(model, at, error, kept, null, out _);

    /// <summary>
    /// True when leaving the function at <paramref name="at"/> would skip the release of a lock it took before
    /// (<c>spin_lock_irqsave</c> ... <c>spin_unlock_irqrestore</c> as explicit calls: 8139cp's <c>cp_start_xmit</c>).
    /// A <c>lock</c> statement releases on any exit and does not count.
    /// </summary>
    public static bool SkipsARelease(SyntaxNode at)
    {
        SyntaxNode? body = Scope.EnclosingFunction(at);
        if (body is null)
        {
            return false;
        }

        var calls = Own(body).OfType<InvocationExpressionSyntax>().Select(c => (c.SpanStart, Name: NameOf(c.Expression))).ToList();
        return calls.Any(c => c.SpanStart < at.SpanStart && Acquires(c.Name)) && calls.Any(c => c.SpanStart > at.Span.End && Releases(c.Name));
    }

    /// <summary>
    /// True when the function unmaps with the library before <paramref name="at"/>: returning there would leave what it
    /// unmapped where it was kept (8139cp's <c>cp_rx_poll</c> unmapped the old buffer, then mapped the new one into the
    /// ring slot; the kernel's fix maps first and unmaps once the new mapping is checked).
    /// </summary>
    public static bool UnmapsBefore(SemanticModel model, SyntaxNode at) => LibraryCallsBefore(model, at, "Unmap").Any();

    /// <summary>The calls of the library's <c>Dma</c> whose name contains <paramref name="kind"/>, before <paramref name="at"/> in its function.</summary>
    internal static System.Collections.Generic.IEnumerable<InvocationExpressionSyntax> LibraryCallsBefore(SemanticModel model, SyntaxNode at, string kind)
    {
        SyntaxNode? body = Scope.EnclosingFunction(at);
        return body is null ? Enumerable.Empty<InvocationExpressionSyntax>() : Own(body).OfType<InvocationExpressionSyntax>()
            .Where(c => c.SpanStart < at.SpanStart && NameOf(c.Expression).Contains(kind) && IsLibraryDma(model, c));
    }

    /// <summary>A call of <c>P2PDma.Mapping.Dma</c>.</summary>
    internal static bool IsLibraryDma(SemanticModel model, InvocationExpressionSyntax call) =>
        model.GetSymbolInfo(call).Symbol is IMethodSymbol { ContainingType: { Name: "Dma", ContainingNamespace: { Name: "Mapping", ContainingNamespace.Name: "P2PDma" } } };

    /// <summary>
    /// The function's own unwinding for a failure at <paramref name="at"/>: the nearest earlier failure branch of the
    /// function that ends in <c>goto label;</c> (after, at most, a store of its status: <c>ret = -ENOMEM; goto out;</c>),
    /// as statements for this failure; null when there is none, or the label's path returns a value the branch does
    /// not set.
    /// </summary>
    public static StatementSyntax[]? Unwind(SemanticModel model, StatementSyntax at, ExpressionSyntax error)
    {
        SyntaxNode? body = Scope.EnclosingFunction(at);
        IfStatementSyntax? failure = body is null ? null : Own(body).OfType<IfStatementSyntax>()
            .Where(s => s.Span.End <= at.SpanStart && s.Else is null && GotoOf(s.Statement) is not null)
            .OrderBy(s => s.SpanStart).LastOrDefault();
        if (failure is null || GotoOf(failure.Statement) is not GotoStatementSyntax jump
            || LabelOf(body!, jump) is not LabeledStatementSyntax label || !label.Parent!.Span.Contains(at.Span)
            || ReturnAfter(label) is not ReturnStatementSyntax leave)
        {
            return null;
        }

        // A void function's label may as well be its way out on success: only a label that returns a failure is taken.
        if (leave.Expression is not null && Fails(model, leave.Expression))
        {
            return new StatementSyntax[] { Generated(jump) };
        }

        // The label returns a variable: the branch sets it to a failure just before the jump, and so does this one.
        if (leave.Expression is IdentifierNameSyntax status && failure.Statement is BlockSyntax { Statements.Count: >= 2 } block
            && block.Statements[block.Statements.Count - 2] is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax set } stored }
            && set.Identifier.ValueText == status.Identifier.ValueText && Fails(model, stored.Right)
            && ValueOf(model.GetTypeInfo(status).Type, error) is ExpressionSyntax value)
        {
            return new StatementSyntax[]
            {
                FixDocument.Generated(SyntaxFactory.ExpressionStatement(SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, SyntaxFactory.IdentifierName(status.Identifier.ValueText), value))),
                Generated(jump),
            };
        }

        return null;
    }

    /// <summary>A constant failure: a negative errno or DmaError, false, null.</summary>
    private static bool Fails(SemanticModel model, ExpressionSyntax value) => model.GetConstantValue(value) switch
    {
        { HasValue: true, Value: null } => true,
        { HasValue: true, Value: bool b } => !b,
        { HasValue: true, Value: int i } => i < 0,
        { HasValue: true, Value: long l } => l < 0,
        _ => false,
    };

    private static StatementSyntax Generated(GotoStatementSyntax jump) => FixDocument.Generated(jump.WithoutTrivia());

    private static ExpressionSyntax? ValueOf(ITypeSymbol? type, ExpressionSyntax error) =>
        type?.SpecialType == SpecialType.System_Int32 ? SyntaxFactory.CastExpression(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.IntKeyword)), error)
        : type?.ToDisplayString() == "P2PDma.Mapping.DmaError" ? error
        : null;

    private static GotoStatementSyntax? GotoOf(StatementSyntax branch) => branch switch
    {
        GotoStatementSyntax { RawKind: (int)SyntaxKind.GotoStatement } jump => jump,
        BlockSyntax { Statements.Count: > 0 } block => block.Statements.Last() as GotoStatementSyntax is { RawKind: (int)SyntaxKind.GotoStatement } last ? last : null,
        _ => null,
    };

    private static LabeledStatementSyntax? LabelOf(SyntaxNode body, GotoStatementSyntax jump) =>
        jump.Expression is IdentifierNameSyntax name
            ? Own(body).OfType<LabeledStatementSyntax>().FirstOrDefault(l => l.Identifier.ValueText == name.Identifier.ValueText)
            : null;

    /// <summary>The return the label's statements reach in its block, with nothing but plain statements on the way.</summary>
    private static ReturnStatementSyntax? ReturnAfter(LabeledStatementSyntax label)
    {
        if (label.Parent is not BlockSyntax block)
        {
            return null;
        }

        foreach (StatementSyntax statement in block.Statements.SkipWhile(s => s != label))
        {
            StatementSyntax inner = statement is LabeledStatementSyntax l ? l.Statement : statement;
            switch (inner)
            {
                case ReturnStatementSyntax ret:
                    return ret;
                case ExpressionStatementSyntax or LocalDeclarationStatementSyntax or EmptyStatementSyntax:
                    continue;
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>The function's own nodes, not those of lambdas and local functions in it.</summary>
    internal static System.Collections.Generic.IEnumerable<SyntaxNode> Own(SyntaxNode body) =>
        body.DescendantNodes(n => n == body || n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax));

    internal static string NameOf(ExpressionSyntax callee) => callee switch
    {
        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
        IdentifierNameSyntax name => name.Identifier.ValueText,
        GenericNameSyntax generic => generic.Identifier.ValueText,
        _ => string.Empty,
    };

    internal static bool Acquires(string name) =>
        !name.Contains("Unlock") && !name.StartsWith("Exit", System.StringComparison.Ordinal) && (name is "Enter" or "TryEnter" || name.StartsWith("Lock", System.StringComparison.Ordinal)
            || name.EndsWith("Lock", System.StringComparison.Ordinal) || name.Contains("LockIrq") || name.Contains("LockBh"));

    internal static bool Releases(string name) =>
        name is "Exit" or "Release" || name.Contains("Unlock") || (name.StartsWith("Exit", System.StringComparison.Ordinal) && name.EndsWith("Lock", System.StringComparison.Ordinal));
}
