using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Batch.Messages;

/// <summary>
/// Reads a <c>stream: true</c> answer to its end and assembles it (<see cref="StreamAssembler"/>) into the same
/// <see cref="MessageResponse"/> a plain answer gives. A stream that ends before <c>message_stop</c>, breaks, sends an
/// <c>error</c> event or goes quiet for longer than the idle timeout is a transient failure, retried like a 529; what its
/// events show was generated is kept in <see cref="MessagesAttempt.PartialUsage"/> for the budget's settlement.
/// </summary>
internal static class StreamedMessages
{
    /// <param name="answered">The attempt as the response's status and headers make it.</param>
    public static async Task<MessagesAttempt> ReadAsync(
        MessagesAttempt answered, HttpResponseMessage response, TimeSpan idleTimeout, long started, CancellationToken cancellationToken)
    {
        var assembler = new StreamAssembler();
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        string? broken = null;
        try
        {
            idle.CancelAfter(idleTimeout);
            await using var body = await response.Content.ReadAsStreamAsync(idle.Token);
            var events = SseParser.Create(body, static (_, data) => Parse(data));
            await foreach (var item in events.EnumerateAsync(idle.Token))
            {
                idle.CancelAfter(idleTimeout);
                if (!assembler.Apply(item.EventType, item.Data))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            broken = $"no event for {idleTimeout.TotalSeconds:0.#} s";
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            broken = e.Message;
        }

        var latency = Stopwatch.GetElapsedTime(started);
        if (assembler.Stopped && ResponseParser.ParseMessage(assembler.ToMessageJson()) is { } message)
        {
            return answered with { Outcome = AttemptOutcome.Succeeded, Message = message, Latency = latency };
        }
        var error = assembler.Error ?? new ApiError("stream_cut",
            $"The stream ended after {assembler.Events} events without message_stop{(broken is null ? "" : $": {broken}")}");
        return answered with
        {
            Outcome = AttemptOutcome.Transient,
            Error = error,
            Latency = latency,
            PartialUsage = assembler.UsageSoFar(),
        };
    }

    private static JsonNode? Parse(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            return JsonNode.Parse(ref reader);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
