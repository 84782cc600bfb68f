using Microsoft.CodeAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// What the analysis of one method needs beyond its graph: the compilation's known symbols, the semantic model of
/// the method's tree (operations inside a control flow graph carry none), and the rest of the program: the solved
/// whole-program summary when a rule judges, the summary being solved when the body is read for it.
/// </summary>
internal sealed class FlowContext
{
    public FlowContext(KnownSymbols symbols, IOperation root, IProgramValues program, SummaryRecorder? summary = null)
    {
        Symbols = symbols;
        Root = root;
        Model = root.SemanticModel;
        Program = program;
        Summary = summary;
    }

    public KnownSymbols Symbols { get; }

    /// <summary>The body's operation tree as written (before the control flow graph lowered it).</summary>
    public IOperation Root { get; }

    public SemanticModel? Model { get; }

    /// <summary>What reaches fields, parameters and returns from the rest of the compilation.</summary>
    public IProgramValues Program { get; }

    /// <summary>Set while the body is read for the whole-program summary: collects what it hands on.</summary>
    public SummaryRecorder? Summary { get; }
}
