using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;

namespace P2PAnalyzers.EditorTests.Infrastructure;

/// <summary>The outcome of a bounded run of the dotnet CLI.</summary>
internal sealed record DotnetRun(string Command, int? ExitCode, bool TimedOut, TimeSpan Elapsed, string Output)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;

    public string Describe() =>
        $"'{Command}' {(TimedOut ? "timed out" : $"exited {ExitCode}")} after {Elapsed.TotalSeconds:0.0} s. Output (tail):{Environment.NewLine}{Output}";
}

/// <summary>
/// Starts the dotnet CLI for the editor tests: the same host that runs the tests, a clean environment (no MSBuild
/// variables inherited from a test run that was itself started by MSBuild), every wait bounded, and the whole process
/// tree killed when a run overstays.
/// </summary>
internal static class DotnetProcess
{
    /// <summary>The dotnet executable: the SDK host the test run uses, else the one on PATH.</summary>
    public static string HostPath
    {
        get
        {
            string? fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
            {
                return fromSdk;
            }

            string? current = Environment.ProcessPath;
            if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            {
                return current;
            }

            return "dotnet";
        }
    }

    public static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(HostPath)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // `dotnet test` runs the test host with MSBuild's own variables set (MSBuildExtensionsPath, MSBuildSDKsPath,
        // MSBUILD_EXE_PATH, ...). A nested build or an MSBuildWorkspace that inherits them can pick the wrong SDK
        // pieces; the children find their SDK the ordinary way instead.
        foreach (string name in info.Environment.Keys.ToList())
        {
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("VSTEST_", StringComparison.OrdinalIgnoreCase)
                || name.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase))
            {
                info.Environment.Remove(name);
            }
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        info.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en-US";
        return info;
    }

    /// <summary>Runs `dotnet args...` to the end or until <paramref name="timeout"/>, then kills its process tree.</summary>
    public static async Task<DotnetRun> RunAsync(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        string command = "dotnet " + string.Join(' ', arguments);
        var output = new BoundedLog(200);
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = StartInfo(workingDirectory, arguments) };
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        Task exited = process.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(timeout)).ConfigureAwait(false) != exited)
        {
            KillTree(process);
            return new DotnetRun(command, null, true, stopwatch.Elapsed, output.ToString());
        }

        // The redirected streams may lag the exit a little; bounded, as everything here.
        await Task.WhenAny(Task.Run(process.WaitForExit), Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        return new DotnetRun(command, process.ExitCode, false, stopwatch.Elapsed, output.ToString());
    }

    public static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exited meanwhile, or a child already gone.
        }
    }
}

/// <summary>The last lines of a stream, thread-safe, for failure messages.</summary>
internal sealed class BoundedLog
{
    private readonly Queue<string> _lines = new();
    private readonly int _capacity;
    private int _dropped;

    public BoundedLog(int capacity) => _capacity = capacity;

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > _capacity)
            {
                _lines.Dequeue();
                _dropped++;
            }
        }
    }

    public override string ToString()
    {
        lock (_lines)
        {
            string head = _dropped > 0 ? $"({_dropped} earlier lines left out){Environment.NewLine}" : "";
            return head + string.Join(Environment.NewLine, _lines);
        }
    }
}
