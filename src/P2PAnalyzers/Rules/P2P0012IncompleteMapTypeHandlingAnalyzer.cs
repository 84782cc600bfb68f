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
/// P2P0012: a switch statement, switch expression or if-chain on the P2P map type that has no arm for
/// <c>BusAddr</c>, leaves <c>NotSupported</c> unhandled, or sends either into a generic mapping call. Only constructs
/// that decide a mapping are judged: an arm maps, or a generic mapping call follows in the same block.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0012IncompleteMapTypeHandlingAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0012IncompleteMapTypeHandling);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownSymbols.TryGet(start.Compilation) is not { HasLibrary: true, P2PMapType: INamedTypeSymbol mapType } symbols)
            {
                return;
            }

            start.RegisterOperationAction(
                op => AnalysisGuard.Run(() =>
                {
                    if (MapTypeArms.Of(op.Operation, mapType, symbols) is MapTypeArms arms)
                    {
                        Report(arms, symbols, op.ReportDiagnostic);
                    }

                    return true;
                }),
                OperationKind.Switch, OperationKind.SwitchExpression, OperationKind.Conditional);
        });
    }

    private static void Report(MapTypeArms arms, KnownSymbols symbols, Action<Diagnostic> report)
    {
        if (!arms.DecidesMapping(symbols))
        {
            return;
        }

        var findings = new List<(string Kind, string Text)>();
        MapTypeArm? bus = arms.Arm(MapTypeArms.BusAddr);
        MapTypeArm? notSupported = arms.Arm(MapTypeArms.NotSupported) ?? arms.Default;
        if (bus is null)
        {
            findings.Add((MapTypeArms.MissingBusAddr, "has no arm for BusAddr: a switch-local peer needs its bus address (PciP2PDma.BusAddrMap)"));
        }
        else if (bus.GenericMappingCall(symbols) is IInvocationOperation call)
        {
            findings.Add((MapTypeArms.BusAddrMapped, $"sends BusAddr into Dma.{call.TargetMethod.Name}: a bus-address peer must get its bus address, not a mapping"));
        }

        if (notSupported is null)
        {
            findings.Add((MapTypeArms.MissingNotSupported, "has no arm for NotSupported and no default: an unsupported peer must fail the mapping"));
        }
        else if (notSupported.GenericMappingCall(symbols) is IInvocationOperation call)
        {
            findings.Add((MapTypeArms.NotSupportedMapped, $"sends NotSupported into Dma.{call.TargetMethod.Name}: an unsupported peer must fail the mapping"));
        }

        foreach ((string kind, string text) in findings)
        {
            report(Diagnostic.Create(Descriptors.P2P0012IncompleteMapTypeHandling, arms.Location,
                ImmutableDictionary<string, string?>.Empty.Add(PropertyNames.Kind, kind), arms.What, text));
        }
    }
}
