using Batch.Jobs;
using Hangfire;
using Npgsql;

namespace Batch.Worker.Webhooks;

/// <summary>
/// Enqueues webhooks whose delivery is overdue: the process that recorded the transition died before enqueuing it, or before
/// scheduling its retry. Duplicates are harmless: a delivery first claims its event.
/// </summary>
internal sealed class WebhookSweep(NpgsqlDataSource dataSource, IBackgroundJobClient jobs)
{
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT e.id, e.payload->>'type' FROM batch.job_webhook_events e
            WHERE e.delivered_at IS NULL AND e.gave_up_at IS NULL AND e.next_attempt_at < now() - interval '1 minute'
            ORDER BY e.next_attempt_at LIMIT 100
            """);
        var overdue = new List<(Guid Id, string Description)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                overdue.Add((reader.GetGuid(0), reader.GetString(1)));
            }
        }
        foreach (var (id, description) in overdue)
        {
            jobs.EnqueueWebhooks([id], description);
        }
    }
}
