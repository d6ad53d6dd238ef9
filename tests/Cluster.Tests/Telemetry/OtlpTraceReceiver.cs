using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using OrleansUws.Cluster.Tests.Coordinator;

namespace OrleansUws.Cluster.Tests.Telemetry;

/// <summary>
/// A minimal OTLP/HTTP receiver (protobuf, uncompressed: what OpenTelemetry .NET's OTLP exporter sends with
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>) on a free loopback port. It keeps every span posted to
/// <c>/v1/traces</c> with the <c>process.pid</c> of its resource, and answers 200 to the other signals' posts.
/// </summary>
internal sealed class OtlpTraceReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly Task _loop;

    public OtlpTraceReceiver()
    {
        Port = FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>The endpoint to give OTEL_EXPORTER_OTLP_ENDPOINT.</summary>
    public string Endpoint => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public IReadOnlyList<ReceivedSpan> Spans => _spans.ToArray();

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _ = _loop.Exception;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.Url?.AbsolutePath == "/v1/traces")
            {
                foreach (var span in Decode(body.ToArray()))
                {
                    _spans.Enqueue(span);
                }
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    /// <summary>ExportTraceServiceRequest → resource_spans(1) → {resource(1) → attributes(1), scope_spans(2) → spans(2)}.</summary>
    private static IEnumerable<ReceivedSpan> Decode(byte[] request)
    {
        foreach (var resourceSpans in Fields(request).Where(f => f.Number == 1).Select(f => f.Bytes))
        {
            long? pid = null;
            var scopes = new List<byte[]>();
            foreach (var field in Fields(resourceSpans))
            {
                if (field.Number == 1)
                {
                    foreach (var attribute in Fields(field.Bytes).Where(a => a.Number == 1).Select(a => Fields(a.Bytes).ToArray()))
                    {
                        var key = attribute.Where(a => a.Number == 1).Select(a => Encoding.UTF8.GetString(a.Bytes)).FirstOrDefault();
                        var value = attribute.Where(a => a.Number == 2).SelectMany(a => Fields(a.Bytes)).FirstOrDefault(v => v.Number == 3);
                        if (key == "process.pid" && value.Number == 3)
                        {
                            pid = value.Varint;
                        }
                    }
                }
                else if (field.Number == 2)
                {
                    scopes.Add(field.Bytes);
                }
            }

            foreach (var span in scopes.SelectMany(s => Fields(s)).Where(f => f.Number == 2).Select(f => Fields(f.Bytes).ToArray()))
            {
                string Hex(int number) => Convert.ToHexStringLower(span.FirstOrDefault(f => f.Number == number).Bytes ?? []);
                var name = Encoding.UTF8.GetString(span.FirstOrDefault(f => f.Number == 5).Bytes ?? []);
                yield return new ReceivedSpan(Hex(1), Hex(2), Hex(4), name, pid);
            }
        }
    }

    /// <summary>The fields of one protobuf message: number, wire type, and the varint or the length-delimited bytes.</summary>
    private static IEnumerable<(int Number, long Varint, byte[] Bytes)> Fields(byte[] message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var tag = ReadVarint(message, ref position);
            int number = (int)(tag >> 3), wire = (int)(tag & 7);
            switch (wire)
            {
                case 0:
                    yield return (number, ReadVarint(message, ref position), []);
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref position);
                    yield return (number, 0, message[position..(position + length)]);
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"OTLP request: wire type {wire} of field {number} at byte {position}");
            }
        }
    }

    private static long ReadVarint(byte[] message, ref int position)
    {
        long value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = message[position++];
            value |= (long)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}

/// <summary>One span as received: ids in lower-case hex (parent empty for a root), name, and its process's id.</summary>
internal sealed record ReceivedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, long? ProcessId);
