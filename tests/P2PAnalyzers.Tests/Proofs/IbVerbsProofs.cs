using System.Reflection;
using P2PAnalyzers.Tests.Infrastructure;
using P2PAnalyzers.Tests.Kernel;
using P2PDma.Pci;

namespace P2PAnalyzers.Tests.Proofs;

/// <summary>
/// What the executed proofs of the fixes at thin wrappers share: include/rdma/ib_verbs.h's helpers made public so that
/// a proof can call into the compiled driver, the driver compiled beside them, and its objects made by reflection.
/// </summary>
internal static class IbVerbsProofs
{
    /// <summary><see cref="IbVerbsHeader.Mainline"/> with its types public.</summary>
    public static readonly string Header = IbVerbsHeader.Mainline
        .Replace("sealed class IbDevice", "public sealed class IbDevice")
        .Replace("static class IbVerbs", "public static class IbVerbs");

    public static Assembly Compile(string header, string driver) =>
        ScenarioRunner.CompileFiles(KernelVerify.Usings + header, KernelVerify.Usings + driver);

    /// <summary>A new <paramref name="type"/> of the compiled driver, its <c>Dev</c> an IbDevice over <paramref name="device"/> and the other fields set.</summary>
    public static object New(Assembly assembly, string type, PciDevice device, params (string Field, object Value)[] fields)
    {
        object dev = assembly.GetType("IbDevice", throwOnError: true)!.GetConstructor(System.Type.EmptyTypes)!.Invoke(null);
        dev.GetType().GetField("DmaDevice")!.SetValue(dev, device);
        object created = System.Activator.CreateInstance(assembly.GetType(type, throwOnError: true)!)!;
        created.GetType().GetField("Dev")!.SetValue(created, dev);
        foreach ((string field, object value) in fields)
        {
            created.GetType().GetField(field)!.SetValue(created, value);
        }

        return created;
    }

    public static object? Call(Assembly assembly, string type, string method, params object[] arguments) =>
        assembly.GetType(type, throwOnError: true)!.GetMethod(method)!.Invoke(null, arguments);
}
