using Batch.Data.Entities;
using Npgsql;

namespace Batch.Data.Webhooks;

/// <summary>
/// The SQL that records a job's webhook in the statement that changes its status: every statement that moves a job to
/// paused, completed, failed, canceled or expired ends with <see cref="RecordFor"/> (or runs it in the same transaction),
/// so a transition and its webhook commit together
/// (exactly one webhook per transition, whatever process dies when), with the body fixed at that moment.
/// </summary>
public static class WebhookEvents
{
    /// <summary>The statuses a webhook announces.</summary>
    public static readonly JobStatus[] Announced = [JobStatus.Paused, JobStatus.Completed, JobStatus.Failed, JobStatus.Canceled, JobStatus.Expired];

    /// <summary>
    /// A CTE body that inserts one event per job in <paramref name="changed"/> (a CTE of updated <c>batch.jobs</c> rows, all
    /// columns) that has a webhook URL of its own or a project default, and returns the event ids as <c>id</c>.
    /// </summary>
    public static string RecordFor(string changed) => $"""
        INSERT INTO batch.job_webhook_events (id, job_id, status, url, payload, created_at, next_attempt_at)
        SELECT e.event_id, e.id, e.status, e.url, jsonb_build_object(
                'id', e.event_id,
                'type', 'job.' || {StatusName("e.status")},
                'created_at', now(),
                'job', jsonb_build_object(
                    'id', e.id, 'name', e.name, 'project', e.project, 'status', {StatusName("e.status")}, 'status_reason', e.status_reason,
                    'model', e.model, 'row_count', e.row_count,
                    'counts', jsonb_build_object('succeeded', e.succeeded_rows, 'failed', e.failed_rows, 'canceled', e.canceled_rows,
                        'expired', e.expired_rows),
                    'tokens', jsonb_build_object('input', e.input_tokens, 'cache_write_5m', e.cache_write_5m_tokens,
                        'cache_write_1h', e.cache_write_1h_tokens, 'cache_read', e.cache_read_tokens, 'output', e.output_tokens),
                    'cost_usd', trim_scale(e.cost_usd),
                    'created_at', e.created_at, 'started_at', e.started_at, 'finished_at', e.finished_at,
                    'links', jsonb_build_object('self', '/api/jobs/' || e.id, 'results', '/api/jobs/' || e.id || '/results',
                        'cost', '/api/jobs/' || e.id || '/cost'))),
               now(), now()
        FROM (SELECT gen_random_uuid() AS event_id, c.*, coalesce(c.webhook_url, p.webhook_url) AS url
              FROM {changed} c LEFT JOIN batch.project_settings p ON p.project = c.project) e
        WHERE e.url IS NOT NULL AND e.status IN ({string.Join(", ", Announced.Select(s => (short)s))})
        RETURNING id
        """;

    /// <summary>
    /// Records the webhook of a job whose status the caller's transaction changed before closing its rows, so the body
    /// carries the counts as the transition left them; returns the event ids to enqueue.
    /// </summary>
    public static async Task<Guid[]> RecordAsync(NpgsqlConnection connection, Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            WITH changed AS (SELECT * FROM batch.jobs WHERE id = $1),
            events AS ({RecordFor("changed")})
            SELECT ARRAY(SELECT id FROM events)
            """, connection) { Parameters = { new() { Value = jobId } } };
        return (Guid[])(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static string StatusName(string column) =>
        $"(CASE {column} {string.Join(" ", Enum.GetValues<JobStatus>().Select(s => $"WHEN {(short)s} THEN '{s.ToString().ToLowerInvariant()}'"))} END)";
}
