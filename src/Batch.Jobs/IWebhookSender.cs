using Hangfire;
using Hangfire.States;

namespace Batch.Jobs;

/// <summary>
/// Delivers one job webhook (a row of <c>job_webhook_events</c>) on the control queue. It retries on a schedule of its own
/// (recorded on the event, so it survives any process), not through Hangfire's retries.
/// </summary>
public interface IWebhookSender
{
    /// <param name="description">Only for the dashboard's display name, e.g. "job.completed of 'Nightly reviews'".</param>
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Webhook: {1}")]
    Task DeliverAsync(Guid eventId, string description, CancellationToken cancellationToken);
}

/// <summary>The one way webhook deliveries are enqueued, by whichever process changed a job's status.</summary>
public static class WebhookDeliveries
{
    public static void EnqueueWebhooks(this IBackgroundJobClient jobs, IEnumerable<Guid> eventIds, string description)
    {
        foreach (var eventId in eventIds)
        {
            jobs.Create<IWebhookSender>(sender => sender.DeliverAsync(eventId, description, CancellationToken.None), new EnqueuedState(BatchQueues.Control));
        }
    }
}
