using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Batch.Jobs;
using Batch.Telemetry;
using Hangfire;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Batch.Worker.Webhooks;

/// <summary>
/// Delivers a job's webhook: a POST of the event's JSON body, signed <c>Batch-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex
/// HMAC-SHA256 of "t.body"&gt;</c>, with <c>Batch-Webhook-Id</c> (the event id, the same on every attempt). A 2xx ends it;
/// anything else is retried with doubling delays until <see cref="WebhookOptions.RetryFor"/> has passed since the
/// transition. Every attempt is recorded on the event and on the job (attempts, last status, last error).
/// </summary>
internal sealed partial class WebhookSender(
    NpgsqlDataSource dataSource,
    IHttpClientFactory clients,
    IBackgroundJobClient jobs,
    IOptionsMonitor<WebhookOptions> options,
    BatchMetrics metrics,
    TimeProvider time,
    ILogger<WebhookSender> logger) : IWebhookSender
{
    public const string SignatureHeader = "Batch-Signature";
    public const string IdHeader = "Batch-Webhook-Id";

    // Holds the event while this attempt runs (its due time moves past the attempt), so a duplicate enqueue does nothing.
    // A scheduled retry may wake a little before the due time recorded here (Hangfire keeps its own, to the second): a few
    // seconds' grace keep it from being taken for a duplicate and dropped until the sweep.
    private const string ClaimSql = """
        UPDATE batch.job_webhook_events SET next_attempt_at = now() + $2
        WHERE id = $1 AND delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= now() + interval '3 seconds'
        RETURNING job_id, url, payload::text, attempts, created_at
        """;

    private const string RecordSql = """
        WITH recorded AS (
            UPDATE batch.job_webhook_events SET attempts = attempts + 1, last_status = $2, last_error = $3,
                delivered_at = CASE WHEN $4 THEN now() END, gave_up_at = CASE WHEN $5 THEN now() END, next_attempt_at = now() + $6
            WHERE id = $1
            RETURNING job_id, attempts)
        UPDATE batch.jobs j SET webhook_attempts = r.attempts, webhook_last_status = $2, webhook_last_error = $3, webhook_last_attempt_at = now()
        FROM recorded r WHERE j.id = r.job_id
        """;

    public async Task DeliverAsync(Guid eventId, string description, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var claimed = await ClaimAsync(eventId, settings.Timeout + TimeSpan.FromSeconds(30), cancellationToken);
        if (claimed is not { } webhook)
        {
            return;
        }
        var (status, error) = await SendAsync(eventId, webhook.Url, webhook.Payload, settings.SigningSecret, cancellationToken);
        var delivered = status is >= 200 and < 300;
        var attempts = webhook.Attempts + 1;
        var delay = Delay(settings, attempts);
        var givenUp = !delivered && time.GetUtcNow() + delay - webhook.CreatedAt > settings.RetryFor;
        metrics.WebhookAttempt(delivered ? "delivered" : givenUp ? "given_up" : "retrying");
        await RecordAsync(eventId, status, error, delivered, givenUp, delay);
        if (delivered)
        {
            return;
        }
        if (givenUp)
        {
            LogGaveUp(logger, webhook.JobId, eventId, attempts, status, error);
            return;
        }
        if (attempts == 1)
        {
            LogRetrying(logger, webhook.JobId, eventId, status, error, delay.TotalSeconds);
        }
        jobs.Schedule<IWebhookSender>(BatchQueues.Control, sender => sender.DeliverAsync(eventId, description, CancellationToken.None), delay);
    }

    /// <summary>The signature of <paramref name="body"/> sent at <paramref name="unixSeconds"/>: what a receiver recomputes.</summary>
    public static string Sign(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return $"t={unixSeconds.ToString(CultureInfo.InvariantCulture)},v1={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed))}";
    }

    private async Task<(int? Status, string? Error)> SendAsync(Guid eventId, string url, string payload, string? secret, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return (null, "Batch__Webhooks__SigningSecret is not set on this worker: nothing unsigned is sent");
        }
        var body = Encoding.UTF8.GetBytes(payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation(SignatureHeader, Sign(secret, time.GetUtcNow().ToUnixTimeSeconds(), body));
        request.Headers.TryAddWithoutValidation(IdHeader, eventId.ToString());
        request.Headers.UserAgent.ParseAdd("Batch-Webhooks/1");
        try
        {
            using var response = await clients.CreateClient(WebhookHttpClient.Name).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            return (status, response.IsSuccessStatusCode ? null : $"HTTP {status} {response.ReasonPhrase}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"No answer within {options.CurrentValue.Timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            return (null, e.InnerException is WebhookRefusedException refused ? refused.Message : e.Message);
        }
    }

    private async Task<(Guid JobId, string Url, string Payload, int Attempts, DateTimeOffset CreatedAt)?> ClaimAsync(
        Guid eventId, TimeSpan hold, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClaimSql);
        command.Parameters.Add(new() { Value = eventId });
        command.Parameters.Add(new() { Value = hold, NpgsqlDbType = NpgsqlDbType.Interval });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetFieldValue<DateTimeOffset>(4))
            : null;
    }

    private async Task RecordAsync(Guid eventId, int? status, string? error, bool delivered, bool givenUp, TimeSpan delay)
    {
        await using var command = dataSource.CreateCommand(RecordSql);
        command.Parameters.Add(new() { Value = eventId });
        command.Parameters.Add(new() { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new() { Value = (object?)Truncate(error) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
        command.Parameters.Add(new() { Value = delivered });
        command.Parameters.Add(new() { Value = givenUp });
        command.Parameters.Add(new() { Value = delay, NpgsqlDbType = NpgsqlDbType.Interval });
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private static TimeSpan Delay(WebhookOptions settings, int attempts) =>
        TimeSpan.FromTicks(Math.Min(settings.MaxRetryDelay.Ticks, settings.FirstRetryDelay.Ticks * (1L << Math.Min(attempts - 1, 30))));

    private static string? Truncate(string? text) => text is { Length: > 1000 } ? text[..1000] : text;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {EventId} of job {JobId} failed (HTTP {Status}: {Error}); retrying in {Seconds:0} s, then with doubling delays for a day")]
    private static partial void LogRetrying(ILogger logger, Guid jobId, Guid eventId, int? status, string? error, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {EventId} of job {JobId} given up after {Attempts} attempts (last: HTTP {Status}: {Error})")]
    private static partial void LogGaveUp(ILogger logger, Guid jobId, Guid eventId, int attempts, int? status, string? error);
}
