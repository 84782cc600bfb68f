using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.Robustness.Infrastructure;

namespace P2PAnalyzers.Robustness.Mutation;

/// <summary>The ways a valid file is broken: what an editor shows while code is typed, pasted or half deleted.</summary>
internal enum MutationKind
{
    DeleteToken,
    Truncate,
    UnbalancedBrace,
    SwappedOperator,
    UnresolvableMember,
    HalfTypedMemberAccess,
    UnclosedCall,
    DeleteLine,
    DuplicateLine,
    Garbage,
}

/// <summary>A broken variant of a file, its kind and what was done to it (stable text: it names the repro).</summary>
internal readonly record struct Mutation(string Text, string Description, string Kind = "");

/// <summary>
/// Derives broken variants from one valid source file, deterministically for a given <see cref="Random"/> seed. Edits
/// are made on the text at positions found in the syntax tree (tokens, statements, operators, member accesses).
/// </summary>
internal sealed class Mutator
{
    private static readonly string[] Operators =
    {
        "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "==", "!=", "<", ">", "<=", ">=", "&&", "||", "??",
        "=", "+=", "-=", "|=", "&=", "^=", "<<=", "??=", "=>", ".", "?.",
    };

    private static readonly string[] Garbage =
    {
        "=>", ";", "(", ")", "[", "]", "{", "}", ",", ".", "?.", "::", "..", "!", "?", "@", "$", "#", "\\",
        "\n#if NEVER\n", "\n#endif\n", "\n#region\n", "\n#else\n", "\"unterminated", "'x", "/* open comment", "$\"{", "@\"",
        "<T", "default(", "new", "var", "ref", "out", "static", "override", "class", "where T :", "await", "yield",
        "int[", "?[", "=> =>", "0x", "1.2.3", "\u00a0", "\u200b", "\0", "case", "goto", "stackalloc", "__arglist",
    };

    private readonly string _text;
    private readonly SyntaxTree _tree;
    private readonly SyntaxToken[] _tokens;
    private readonly StatementSyntax[] _statements;
    private readonly SyntaxToken[] _operators;
    private readonly MemberAccessExpressionSyntax[] _memberAccesses;
    private readonly InvocationExpressionSyntax[] _invocations;
    private readonly SyntaxToken[] _declaredNames;

    public Mutator(string text)
    {
        _text = text;
        _tree = CSharpSyntaxTree.ParseText(text, Workbench.ParseOptions);
        SyntaxNode root = _tree.GetRoot();
        _tokens = root.DescendantTokens().Where(t => t.Span.Length > 0).ToArray();
        _statements = root.DescendantNodes().OfType<StatementSyntax>().Where(s => s is not BlockSyntax).ToArray();
        _operators = _tokens.Where(t => t.Parent is BinaryExpressionSyntax or AssignmentExpressionSyntax
            && (t.Parent is BinaryExpressionSyntax b ? b.OperatorToken == t : ((AssignmentExpressionSyntax)t.Parent!).OperatorToken == t)).ToArray();
        _memberAccesses = root.DescendantNodes().OfType<MemberAccessExpressionSyntax>().ToArray();
        _invocations = root.DescendantNodes().OfType<InvocationExpressionSyntax>().ToArray();
        _declaredNames = root.DescendantNodes().Select(n => n switch
        {
            MethodDeclarationSyntax m => m.Identifier,
            PropertyDeclarationSyntax p => p.Identifier,
            VariableDeclaratorSyntax v => v.Identifier,
            ParameterSyntax p => p.Identifier,
            BaseTypeDeclarationSyntax t => t.Identifier,
            _ => default,
        }).Where(t => t.Span.Length > 0).ToArray();
    }

    public int StatementCount => _statements.Length;

    /// <summary>The file cut off right after statement <paramref name="index"/> ends, or halfway through it: the rest not typed yet.</summary>
    public Mutation TruncateAt(int index, bool midway)
    {
        StatementSyntax statement = _statements[index];
        int cut = statement.Span.End;
        if (midway)
        {
            // A statement of a broken file may consist of missing (zero-width) tokens only: then it is cut at its start.
            SyntaxToken[] tokens = statement.DescendantTokens().Where(t => t.Span.Length > 0).ToArray();
            cut = tokens.Length == 0 ? statement.SpanStart : tokens[tokens.Length / 2].Span.Start;
        }

        return new Mutation(_text.Substring(0, cut), $"truncated {(midway ? "halfway through" : "after")} the statement on line {Line(statement.SpanStart)}",
            nameof(MutationKind.Truncate));
    }

    public Mutation? Apply(MutationKind kind, Random rng) => ApplyCore(kind, rng) is Mutation m ? m with { Kind = kind.ToString() } : null;

    private Mutation? ApplyCore(MutationKind kind, Random rng) => kind switch
    {
        MutationKind.DeleteToken => DeleteToken(rng),
        MutationKind.Truncate => _statements.Length == 0 ? null : TruncateAt(rng.Next(_statements.Length), rng.Next(2) == 0),
        MutationKind.UnbalancedBrace => UnbalancedBrace(rng),
        MutationKind.SwappedOperator => SwappedOperator(rng),
        MutationKind.UnresolvableMember => UnresolvableMember(rng),
        MutationKind.HalfTypedMemberAccess => HalfTypedMemberAccess(rng),
        MutationKind.UnclosedCall => UnclosedCall(rng),
        MutationKind.DeleteLine => DeleteLine(rng, duplicate: false),
        MutationKind.DuplicateLine => DeleteLine(rng, duplicate: true),
        MutationKind.Garbage => InsertGarbage(rng),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private Mutation? DeleteToken(Random rng)
    {
        if (_tokens.Length == 0)
        {
            return null;
        }

        SyntaxToken token = _tokens[rng.Next(_tokens.Length)];
        return new Mutation(Replace(token.Span.Start, token.Span.Length, ""), $"deleted '{token.Text}' on line {Line(token.SpanStart)}");
    }

    private Mutation? UnbalancedBrace(Random rng)
    {
        SyntaxToken[] braces = _tokens.Where(t => t.IsKind(SyntaxKind.OpenBraceToken) || t.IsKind(SyntaxKind.CloseBraceToken)).ToArray();
        if (braces.Length == 0 || _statements.Length == 0)
        {
            return null;
        }

        if (rng.Next(2) == 0)
        {
            SyntaxToken brace = braces[rng.Next(braces.Length)];
            return new Mutation(Replace(brace.Span.Start, 1, ""), $"deleted '{brace.Text}' on line {Line(brace.SpanStart)}");
        }

        StatementSyntax statement = _statements[rng.Next(_statements.Length)];
        string inserted = rng.Next(2) == 0 ? "{ " : "} ";
        return new Mutation(Replace(statement.SpanStart, 0, inserted), $"inserted '{inserted.Trim()}' before the statement on line {Line(statement.SpanStart)}");
    }

    private Mutation? SwappedOperator(Random rng)
    {
        if (_operators.Length == 0)
        {
            return null;
        }

        SyntaxToken op = _operators[rng.Next(_operators.Length)];
        string[] others = Operators.Where(o => o != op.Text).ToArray();
        string with = others[rng.Next(others.Length)];
        return new Mutation(Replace(op.Span.Start, op.Span.Length, with), $"'{op.Text}' became '{with}' on line {Line(op.SpanStart)}");
    }

    private Mutation? UnresolvableMember(Random rng)
    {
        SyntaxToken name;
        if (rng.Next(10) < 7 && _memberAccesses.Length > 0)
        {
            name = _memberAccesses[rng.Next(_memberAccesses.Length)].Name.Identifier;
        }
        else if (_declaredNames.Length > 0)
        {
            name = _declaredNames[rng.Next(_declaredNames.Length)];
        }
        else
        {
            return null;
        }

        string renamed = name.ValueText + "_Unresolved";
        return new Mutation(Replace(name.Span.Start, name.Span.Length, renamed), $"'{name.ValueText}' renamed to '{renamed}' on line {Line(name.SpanStart)}");
    }

    /// <summary><c>x = a.Bcd(e);</c> becomes <c>x = a.B</c> or <c>x = a.</c>, with the rest of the statement not typed yet.</summary>
    private Mutation? HalfTypedMemberAccess(Random rng)
    {
        if (_memberAccesses.Length == 0)
        {
            return null;
        }

        MemberAccessExpressionSyntax access = _memberAccesses[rng.Next(_memberAccesses.Length)];
        int cut = access.OperatorToken.Span.End + rng.Next(access.Name.Span.Length);
        return new Mutation(Cut(cut, RestAfter(access)), $"half-typed member access '{_text.Substring(access.SpanStart, cut - access.SpanStart)}' on line {Line(access.SpanStart)}");
    }

    /// <summary><c>x = F(a, b);</c> becomes <c>x = F(</c> or <c>x = F(a,</c>, with the rest of the statement not typed yet.</summary>
    private Mutation? UnclosedCall(Random rng)
    {
        if (_invocations.Length == 0)
        {
            return null;
        }

        InvocationExpressionSyntax call = _invocations[rng.Next(_invocations.Length)];
        SeparatedSyntaxList<ArgumentSyntax> args = call.ArgumentList.Arguments;
        int kept = args.Count == 0 ? 0 : rng.Next(args.Count);
        int cut = kept == 0 ? call.ArgumentList.OpenParenToken.Span.End : args.GetSeparator(kept - 1).Span.End;
        return new Mutation(Cut(cut, RestAfter(call)), $"unclosed call '{_text.Substring(call.SpanStart, cut - call.SpanStart)}' on line {Line(call.SpanStart)}");
    }

    private Mutation? DeleteLine(Random rng, bool duplicate)
    {
        string[] lines = _text.Split('\n');
        int[] candidates = Enumerable.Range(0, lines.Length).Where(i => lines[i].Trim().Length > 0).ToArray();
        if (candidates.Length == 0)
        {
            return null;
        }

        int line = candidates[rng.Next(candidates.Length)];
        var result = lines.ToList();
        if (duplicate)
        {
            result.Insert(line, lines[line]);
        }
        else
        {
            result.RemoveAt(line);
        }

        return new Mutation(string.Join("\n", result), $"{(duplicate ? "duplicated" : "deleted")} line {line + 1}");
    }

    private Mutation? InsertGarbage(Random rng)
    {
        if (_tokens.Length == 0)
        {
            return null;
        }

        SyntaxToken before = _tokens[rng.Next(_tokens.Length)];
        string garbage = Garbage[rng.Next(Garbage.Length)];
        int at = rng.Next(2) == 0 ? before.Span.Start : before.Span.End;
        return new Mutation(Replace(at, 0, garbage), $"inserted {Escape(garbage)} on line {Line(at)}");
    }

    /// <summary>Where the code after a half-typed expression resumes: the end of its statement (or member, or line).</summary>
    private int RestAfter(SyntaxNode node)
    {
        SyntaxNode? owner = node.Ancestors().FirstOrDefault(a => a is StatementSyntax and not BlockSyntax or MemberDeclarationSyntax);
        if (owner is not null)
        {
            return owner.Span.End;
        }

        int eol = _text.IndexOf('\n', node.Span.End);
        return eol < 0 ? _text.Length : eol;
    }

    private string Cut(int at, int resume) => string.Concat(_text.AsSpan(0, at), "\n", _text.AsSpan(resume));

    private string Replace(int start, int length, string with) => string.Concat(_text.AsSpan(0, start), with, _text.AsSpan(start + length));

    private int Line(int position) => _tree.GetLineSpan(new Microsoft.CodeAnalysis.Text.TextSpan(position, 0)).StartLinePosition.Line + 1;

    private static string Escape(string s) => "'" + string.Concat(s.Select(c => c < ' ' || c > '~' ? $"\\u{(int)c:x4}" : c.ToString())) + "'";
}
