using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Batch.Simulator;

/// <summary>Writes server-sent events as the API does: an <c>event:</c> line, a <c>data:</c> line of JSON, a blank line.</summary>
internal sealed class SseWriter(HttpResponse response)
{
    private readonly Utf8JsonWriter _json = new(response.BodyWriter);

    public async ValueTask WriteAsync<T>(string eventName, T value, JsonTypeInfo<T> typeInfo, bool flush, CancellationToken cancellationToken)
    {
        var body = response.BodyWriter;
        Encoding.UTF8.GetBytes($"event: {eventName}\ndata: ", body);
        _json.Reset(body);
        JsonSerializer.Serialize(_json, value, typeInfo);
        _json.Flush();
        Encoding.UTF8.GetBytes("\n\n", body);
        if (flush)
        {
            await body.FlushAsync(cancellationToken);
        }
    }

    /// <summary>Writes an event whose data is cut off mid-JSON, for the malformed-body fault.</summary>
    public async ValueTask WriteMalformedAsync(string eventName, CancellationToken cancellationToken)
    {
        Encoding.UTF8.GetBytes($"event: {eventName}\ndata: {{\"type\":\"{eventName}\",\"index\":0,\"delta\":{{\"type\":\"text_del\n\n", response.BodyWriter);
        await response.BodyWriter.FlushAsync(cancellationToken);
    }
}
