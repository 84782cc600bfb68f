using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;

namespace P2PAnalyzers.EditorTests.Lsp;

/// <summary>A notification or request the server sent, as received.</summary>
internal sealed record ServerMessage(string Method, JsonNode? Params, DateTime ReceivedUtc);

/// <summary>
/// A small JSON-RPC 2.0 client over a pair of streams with LSP's Content-Length framing: requests with ids and their
/// responses, notifications both ways, and requests from the server answered by a handler. Every message the server
/// sends that is not a response is kept, in order, for the test to look at (<see cref="Received"/>, <see cref="WaitForAsync{T}"/>).
/// </summary>
internal sealed class LspConnection : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    private readonly Stream _input;
    private readonly Stream _output;
    private readonly Func<string, JsonNode?, JsonNode?> _serverRequestHandler;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonNode?>> _pending = new();
    private readonly List<ServerMessage> _received = [];
    private readonly object _receivedLock = new();
    private readonly CancellationTokenSource _readerStop = new();
    private readonly Task _reader;
    private TaskCompletionSource _changed = NewSignal();
    private long _nextId;
    private volatile Exception? _readerFault;
    private volatile bool _closed;

    /// <param name="fromServer">The server's stdout.</param>
    /// <param name="toServer">The server's stdin.</param>
    /// <param name="serverRequestHandler">
    /// Answers a request from the server (method, params): the result to send back. Throw
    /// <see cref="NotSupportedException"/> to answer "method not found".
    /// </param>
    public LspConnection(Stream fromServer, Stream toServer, Func<string, JsonNode?, JsonNode?> serverRequestHandler)
    {
        _input = new BufferedStream(fromServer);
        _output = toServer;
        _serverRequestHandler = serverRequestHandler;
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>Whether the stream from the server ended (the server exited or closed stdout).</summary>
    public bool Closed => _closed;

    /// <summary>Why the read loop stopped, when it stopped on an error.</summary>
    public Exception? ReaderFault => _readerFault;

    /// <summary>A copy of every notification and request received from the server so far, oldest first.</summary>
    public IReadOnlyList<ServerMessage> Received
    {
        get
        {
            lock (_receivedLock)
            {
                return _received.ToArray();
            }
        }
    }

    /// <summary>Sends a request and waits (bounded) for its response; a JSON-RPC error becomes an exception.</summary>
    public async Task<JsonNode?> RequestAsync(string method, JsonNode? parameters, TimeSpan timeout)
    {
        long id = Interlocked.Increment(ref _nextId);
        var response = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = response;
        try
        {
            var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method };
            if (parameters is not null)
            {
                message["params"] = parameters;
            }

            await SendAsync(message).ConfigureAwait(false);
            Task finished = await Task.WhenAny(response.Task, Task.Delay(timeout)).ConfigureAwait(false);
            if (finished != response.Task)
            {
                throw new TimeoutException(
                    $"No response to '{method}' (id {id}) within {timeout.TotalSeconds:0} s; stream closed: {Closed}, reader fault: {_readerFault?.Message ?? "none"}.");
            }

            return await response.Task.ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Sends a notification.</summary>
    public Task NotifyAsync(string method, JsonNode? parameters)
    {
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method };
        if (parameters is not null)
        {
            message["params"] = parameters;
        }

        return SendAsync(message);
    }

    /// <summary>
    /// Waits until <paramref name="probe"/>, run on the messages received so far each time one arrives, gives a value;
    /// returns null when <paramref name="timeout"/> passes or the server's stream closes first. Never throws on timeout:
    /// the caller says what was and was not received.
    /// </summary>
    public async Task<T?> WaitForAsync<T>(Func<IReadOnlyList<ServerMessage>, T?> probe, TimeSpan timeout)
        where T : class
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_receivedLock)
            {
                changed = _changed.Task;
            }

            T? found = probe(Received);
            if (found is not null)
            {
                return found;
            }

            if (Closed || deadline.IsCancellationRequested)
            {
                return null;
            }

            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // One more look at what arrived, then give up.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _readerStop.Cancel();
        try
        {
            // The reader ends when the server's stdout closes (the owner kills the process); do not wait for ever.
            await _reader.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already recorded in ReaderFault, or the reader is still blocked on a stream that is going away.
        }

        _readerStop.Dispose();
        _writeLock.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task SendAsync(JsonObject message)
    {
        byte[] body = Encoding.UTF8.GetBytes(message.ToJsonString(Compact));
        byte[] header = Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n");
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _output.WriteAsync(header).ConfigureAwait(false);
            await _output.WriteAsync(body).ConfigureAwait(false);
            await _output.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (!_readerStop.IsCancellationRequested)
            {
                byte[]? body = await ReadMessageAsync(_readerStop.Token).ConfigureAwait(false);
                if (body is null)
                {
                    break;
                }

                JsonNode? node = JsonNode.Parse(body);
                if (node is JsonObject message)
                {
                    await DispatchAsync(message).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_readerStop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _readerFault = ex;
        }
        finally
        {
            _closed = true;
            foreach (TaskCompletionSource<JsonNode?> waiting in _pending.Values)
            {
                waiting.TrySetException(new IOException("The server's stream closed before it answered.", _readerFault));
            }

            Signal();
        }
    }

    private async Task DispatchAsync(JsonObject message)
    {
        string? method = message["method"]?.GetValue<string>();
        JsonNode? id = message["id"];

        if (method is null)
        {
            // A response to one of our requests.
            // Our ids are numbers; anything else is not an answer to us.
            if (id is JsonValue idValue && idValue.TryGetValue(out long number)
                && _pending.TryGetValue(number, out TaskCompletionSource<JsonNode?>? waiting))
            {
                if (message["error"] is JsonNode error)
                {
                    waiting.TrySetException(new InvalidOperationException($"The server answered with an error: {error.ToJsonString()}"));
                }
                else
                {
                    waiting.TrySetResult(message["result"]?.DeepClone());
                }
            }

            return;
        }

        JsonNode? parameters = message["params"]?.DeepClone();
        lock (_receivedLock)
        {
            _received.Add(new ServerMessage(method, parameters, DateTime.UtcNow));
        }

        Signal();

        if (id is null)
        {
            return;
        }

        // A request from the server: the handler answers at once (it only looks up settings), so on the read loop.
        var reply = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id.DeepClone() };
        try
        {
            reply["result"] = _serverRequestHandler(method, parameters);
        }
        catch (NotSupportedException)
        {
            reply["error"] = new JsonObject { ["code"] = -32601, ["message"] = $"Method not found: {method}" };
        }

        await SendAsync(reply).ConfigureAwait(false);
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (_receivedLock)
        {
            previous = _changed;
            _changed = NewSignal();
        }

        previous.TrySetResult();
    }

    /// <summary>Reads one framed message: header lines up to an empty line, then Content-Length bytes. Null at end of stream.</summary>
    private async Task<byte[]?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        int? contentLength = null;
        while (true)
        {
            string? line = await ReadHeaderLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                return null;
            }

            if (line.Length == 0)
            {
                break;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = int.Parse(line[(colon + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
            }
        }

        if (contentLength is null)
        {
            throw new InvalidDataException("A message from the server had no Content-Length header.");
        }

        byte[] body = new byte[contentLength.Value];
        await _input.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return body;
    }

    private async Task<string?> ReadHeaderLineAsync(CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        byte[] one = new byte[1];
        while (true)
        {
            int read = await _input.ReadAsync(one, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            char c = (char)one[0];
            if (c == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            line.Append(c);
        }
    }
}

/// <summary>LSP shapes the tests read back.</summary>
internal sealed record LspDiagnostic(string? Code, string? Source, int Severity, LspRange Range, string Message)
{
    public static LspDiagnostic FromJson(JsonNode node) => new(
        node["code"]?.ToString(),
        node["source"]?.GetValue<string>(),
        node["severity"]?.GetValue<int>() ?? 0,
        LspRange.FromJson(node["range"]!),
        node["message"]?.GetValue<string>() ?? "");

    public override string ToString() => $"{Code} {Range} \"{Message}\"";
}

/// <summary>An LSP range: zero-based lines and UTF-16 character offsets, end exclusive.</summary>
internal readonly record struct LspRange(int StartLine, int StartCharacter, int EndLine, int EndCharacter)
{
    public static LspRange FromJson(JsonNode node) => new(
        node["start"]!["line"]!.GetValue<int>(),
        node["start"]!["character"]!.GetValue<int>(),
        node["end"]!["line"]!.GetValue<int>(),
        node["end"]!["character"]!.GetValue<int>());

    public JsonObject ToJson() => new()
    {
        ["start"] = new JsonObject { ["line"] = StartLine, ["character"] = StartCharacter },
        ["end"] = new JsonObject { ["line"] = EndLine, ["character"] = EndCharacter },
    };

    public override string ToString() => $"[{StartLine}:{StartCharacter}-{EndLine}:{EndCharacter}]";
}

/// <summary>One textDocument/publishDiagnostics notification.</summary>
internal sealed record PublishedDiagnostics(string Uri, IReadOnlyList<LspDiagnostic> Diagnostics, DateTime ReceivedUtc)
{
    public static IEnumerable<PublishedDiagnostics> From(IEnumerable<ServerMessage> messages) =>
        messages
            .Where(m => m.Method == "textDocument/publishDiagnostics" && m.Params is not null)
            .Select(m => new PublishedDiagnostics(
                m.Params!["uri"]!.GetValue<string>(),
                (m.Params!["diagnostics"]?.AsArray() ?? []).Select(d => LspDiagnostic.FromJson(d!)).ToArray(),
                m.ReceivedUtc));
}
