using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using P2PAnalyzers.EditorTests.Lsp;

namespace P2PAnalyzers.EditorTests.Infrastructure;

/// <summary>
/// csharp-ls, started as an editor starts it: `dotnet tool run csharp-ls` from the repository's tool manifest, on one
/// workspace folder, speaking LSP over stdio. Its settings are the ones an editor sends for the `csharp` section,
/// with <c>analyzersEnabled</c> on: without it csharp-ls publishes compiler diagnostics only.
/// </summary>
internal sealed class CSharpLsServer : IAsyncDisposable
{
    /// <summary>What the server gets for the `csharp` configuration section (workspace/configuration and didChangeConfiguration).</summary>
    public static JsonObject CSharpSettings() => new()
    {
        ["analyzersEnabled"] = true,
        ["locale"] = "en-US",
    };

    private readonly Process _process;
    private readonly BoundedLog _stderr = new(300);
    private readonly string _workspaceUri;
    private readonly string _workspaceName;

    private readonly StreamWriter _stderrFile;
    private bool _stderrFileClosed;

    private CSharpLsServer(Process process, string workspaceFolder, string logDirectory)
    {
        _process = process;
        _workspaceUri = new Uri(workspaceFolder).AbsoluteUri;
        _workspaceName = Path.GetFileName(workspaceFolder);
        LogDirectory = logDirectory;
        _stderrFile = new StreamWriter(Path.Combine(logDirectory, "stderr.log"), append: false, new UTF8Encoding(false)) { AutoFlush = true };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            _stderr.Add(e.Data);
            lock (_stderrFile)
            {
                if (!_stderrFileClosed)
                {
                    _stderrFile.WriteLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        Connection = new LspConnection(process.StandardOutput.BaseStream, process.StandardInput.BaseStream, AnswerServerRequest);
    }

    public LspConnection Connection { get; }

    /// <summary>Whether the server process has exited (killed, crashed or after `exit`).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Where the server's whole stderr (stderr.log) and its JSON-RPC wire log (rpc.log) go.</summary>
    public string LogDirectory { get; }

    /// <summary>
    /// Starts the server with <paramref name="workspaceFolder"/> as working directory (the tool manifest is found above
    /// it), logging to a new folder under <paramref name="logRoot"/>.
    /// </summary>
    public static CSharpLsServer Start(string workspaceFolder, string logRoot)
    {
        // Keep the logs of the last few runs only.
        if (Directory.Exists(logRoot))
        {
            foreach (string old in Directory.GetDirectories(logRoot).Order(StringComparer.Ordinal).SkipLast(4))
            {
                Directory.Delete(old, recursive: true);
            }
        }

        string logDirectory = Path.Combine(logRoot, DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(logDirectory);
        ProcessStartInfo info = DotnetProcess.StartInfo(
            workspaceFolder,
            ["tool", "run", "csharp-ls", "--", "--loglevel", "debug", "--rpclog", Path.Combine(logDirectory, "rpc.log")]);
        var process = new Process { StartInfo = info };
        process.Start();
        return new CSharpLsServer(process, workspaceFolder, logDirectory);
    }

    /// <summary>initialize (push diagnostics: no textDocument.diagnostic capability), initialized, didChangeConfiguration.</summary>
    public async Task<JsonNode?> InitializeAsync(TimeSpan timeout)
    {
        var initializeParams = new JsonObject
        {
            ["processId"] = Environment.ProcessId,
            ["clientInfo"] = new JsonObject { ["name"] = "P2PAnalyzers.EditorTests", ["version"] = "1" },
            ["locale"] = "en-US",
            ["rootUri"] = _workspaceUri,
            ["workspaceFolders"] = new JsonArray(new JsonObject { ["uri"] = _workspaceUri, ["name"] = _workspaceName }),
            ["trace"] = "off",
            ["capabilities"] = new JsonObject
            {
                ["workspace"] = new JsonObject
                {
                    ["configuration"] = true,
                    ["workspaceFolders"] = true,
                    ["didChangeConfiguration"] = new JsonObject { ["dynamicRegistration"] = false },
                },
                ["textDocument"] = new JsonObject
                {
                    ["synchronization"] = new JsonObject { ["dynamicRegistration"] = false, ["didSave"] = false },
                    // The server pushes textDocument/publishDiagnostics only to a client without pull diagnostics
                    // (no textDocument.diagnostic capability), as most editors' default LSP setups are.
                    ["publishDiagnostics"] = new JsonObject { ["relatedInformation"] = true, ["versionSupport"] = false },
                },
                ["window"] = new JsonObject { ["workDoneProgress"] = false },
            },
        };

        JsonNode? result = await Connection.RequestAsync("initialize", initializeParams, timeout).ConfigureAwait(false);
        await Connection.NotifyAsync("initialized", new JsonObject()).ConfigureAwait(false);
        // The server also asks through workspace/configuration after `initialized`; the pushed settings make the same
        // point for a client that answers late, and are what editors send when a setting changes.
        await Connection.NotifyAsync(
            "workspace/didChangeConfiguration",
            new JsonObject { ["settings"] = new JsonObject { ["csharp"] = CSharpSettings() } }).ConfigureAwait(false);
        return result;
    }

    public Task DidOpenAsync(string uri, string text) => Connection.NotifyAsync(
        "textDocument/didOpen",
        new JsonObject
        {
            ["textDocument"] = new JsonObject { ["uri"] = uri, ["languageId"] = "csharp", ["version"] = 1, ["text"] = text },
        });

    /// <summary>An incremental change: <paramref name="range"/> of the open document replaced by <paramref name="text"/>.</summary>
    public Task DidChangeAsync(string uri, int version, LspRange range, string text) => Connection.NotifyAsync(
        "textDocument/didChange",
        new JsonObject
        {
            ["textDocument"] = new JsonObject { ["uri"] = uri, ["version"] = version },
            ["contentChanges"] = new JsonArray(new JsonObject { ["range"] = range.ToJson(), ["text"] = text }),
        });

    /// <summary>shutdown then exit, each bounded; the process tree is killed on dispose whatever happened here.</summary>
    public async Task ShutdownAsync(TimeSpan timeout)
    {
        if (_process.HasExited || Connection.Closed)
        {
            return;
        }

        await Connection.RequestAsync("shutdown", null, timeout).ConfigureAwait(false);
        await Connection.NotifyAsync("exit", null).ConfigureAwait(false);
        Task exited = _process.WaitForExitAsync();
        await Task.WhenAny(exited, Task.Delay(timeout)).ConfigureAwait(false);
    }

    /// <summary>What the server said on the side, for failure messages: log and show messages, stderr, exit state.</summary>
    public string DescribeSideChannels()
    {
        var text = new StringBuilder();
        text.AppendLine(_process.HasExited ? $"Server process exited with code {_process.ExitCode}." : "Server process is running.");
        if (Connection.ReaderFault is not null)
        {
            text.AppendLine($"LSP reader fault: {Connection.ReaderFault}");
        }

        IReadOnlyList<ServerMessage> received = Connection.Received;
        text.AppendLine("Methods received: " + string.Join(", ", received.GroupBy(m => m.Method).Select(g => $"{g.Key} x{g.Count()}")));
        text.AppendLine("window/logMessage and window/showMessage (last 60):");
        foreach (ServerMessage message in received
                     .Where(m => m.Method is "window/logMessage" or "window/showMessage")
                     .TakeLast(60))
        {
            text.AppendLine("  " + message.Params?["message"]?.ToString());
        }

        text.AppendLine($"Full logs: {LogDirectory} (stderr.log, rpc.log).");
        text.AppendLine("Server stderr (tail):");
        text.AppendLine(_stderr.ToString());
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        DotnetProcess.KillTree(_process);
        await Task.WhenAny(_process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        await Connection.DisposeAsync().ConfigureAwait(false);
        _process.Dispose();
        lock (_stderrFile)
        {
            _stderrFileClosed = true;
            _stderrFile.Dispose();
        }
    }

    private JsonNode? AnswerServerRequest(string method, JsonNode? parameters)
    {
        switch (method)
        {
            case "workspace/configuration":
                // One answer per item: the `csharp` section (what csharp-ls asks for), the whole tree for no section.
                var answers = new JsonArray();
                foreach (JsonNode? item in parameters?["items"]?.AsArray() ?? [])
                {
                    string? section = item?["section"]?.GetValue<string>();
                    answers.Add(section switch
                    {
                        "csharp" => CSharpSettings(),
                        null or "" => new JsonObject { ["csharp"] = CSharpSettings() },
                        _ when section.StartsWith("csharp.", StringComparison.Ordinal) => CSharpSettings()[section["csharp.".Length..]]?.DeepClone(),
                        _ => null,
                    });
                }

                return answers;
            case "workspace/workspaceFolders":
                return new JsonArray(new JsonObject { ["uri"] = _workspaceUri, ["name"] = _workspaceName });
            case "client/registerCapability":
            case "client/unregisterCapability":
            case "window/workDoneProgress/create":
            case "workspace/diagnostic/refresh":
            case "workspace/semanticTokens/refresh":
            case "workspace/inlayHint/refresh":
            case "workspace/codeLens/refresh":
                return null;
            case "window/showMessageRequest":
                return null;
            default:
                throw new NotSupportedException(method);
        }
    }
}
