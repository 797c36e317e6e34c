using System.Globalization;
using Batch.Data.Entities;

namespace Batch.Api.Uploads;

/// <summary>How a job will be delivered and why, as the job records it and the estimate shows it.</summary>
/// <param name="Requested"><c>messages</c>, <c>provider_batch</c> or <c>auto</c>, as the spec asked.</param>
/// <param name="Chosen"><c>messages</c> or <c>provider_batch</c>.</param>
/// <param name="Notes">Warnings for the job's notes: a deadline the chosen way may miss.</param>
public sealed record DeliveryChoice(Delivery Requested, Delivery Chosen, string Reason, DateTimeOffset? Deadline, IReadOnlyList<string> Notes)
{
    /// <summary>
    /// <c>auto</c> with a deadline nearer than the provider's window takes Messages requests; whether they make the deadline
    /// is the estimate's time at the account's budget, so the upload counts the rows for an estimate only then.
    /// </summary>
    public static bool NeedsEstimate(JobSpec spec, ProviderAccount account, DateTimeOffset now) =>
        spec.ParsedDelivery == Delivery.Auto && DeadlineOf(spec, now) is { } deadline && deadline - now < account.BatchWindow;

    /// <summary>
    /// <c>auto</c>: <c>provider_batch</c> when there is no deadline or it is at least the account's batch window away;
    /// otherwise <c>messages</c>, with the estimate's minutes at budget against the time left.
    /// </summary>
    /// <param name="minutesAtBudget">The estimate's time at the account's budget; null when nothing limits it, or when it was not needed.</param>
    /// <param name="estimated">False where no estimate is made (a Message Batches create): the time at budget is then unknown.</param>
    public static DeliveryChoice Choose(JobSpec spec, ProviderAccount account, DateTimeOffset now, double? minutesAtBudget, bool estimated = true)
    {
        var requested = spec.ParsedDelivery;
        var deadline = DeadlineOf(spec, now);
        var window = $"the provider's {Hours(account.BatchWindow)} window";
        var left = deadline - now;
        var notes = new List<string>();
        switch (requested)
        {
            case Delivery.Messages:
                return new DeliveryChoice(requested, Delivery.Messages, "Requested: messages.", deadline, notes);
            case Delivery.ProviderBatch:
                if (left < account.BatchWindow)
                {
                    notes.Add($"The deadline is {Hours(left.Value)} away, nearer than {window}: a provider batch may end after it. Rows to send again go by Messages requests once the window no longer fits.");
                }
                return new DeliveryChoice(requested, Delivery.ProviderBatch, "Requested: provider_batch.", deadline, notes);
        }
        if (left is null)
        {
            return new DeliveryChoice(requested, Delivery.ProviderBatch, "auto without a deadline: provider_batch, at the batch discount.", deadline, notes);
        }
        if (left >= account.BatchWindow)
        {
            return new DeliveryChoice(requested, Delivery.ProviderBatch,
                $"auto: the deadline is {Hours(left.Value)} away, which leaves {window}: provider_batch, at the batch discount.", deadline, notes);
        }
        var nearer = $"auto: the deadline is {Hours(left.Value)} away, nearer than {window}: messages";
        if (!estimated)
        {
            return new DeliveryChoice(requested, Delivery.Messages,
                $"{nearer}; a Message Batches create is not estimated, so its time at the account's budget is not weighed against the deadline.", deadline, notes);
        }
        if (minutesAtBudget is not { } minutes)
        {
            return new DeliveryChoice(requested, Delivery.Messages, $"{nearer}, which the account's budget does not limit.", deadline, notes);
        }
        var estimate = string.Create(CultureInfo.InvariantCulture, $"by the estimate they take {minutes:0.#} min at the account's budget");
        if (minutes <= left.Value.TotalMinutes)
        {
            return new DeliveryChoice(requested, Delivery.Messages, $"{nearer}; {estimate}.", deadline, notes);
        }
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"The job may miss its deadline: {estimate}, and {left.Value.TotalMinutes:0} min are left. Raise the account's limits, or set a later deadline."));
        return new DeliveryChoice(requested, Delivery.Messages, $"{nearer}; {estimate}, more than the time left.", deadline, notes);
    }

    /// <summary>
    /// Records the choice on a job about to be inserted: what was asked, what was chosen and why, the deadline (and the duration
    /// it was given as, for a schedule's re-runs). A provider batch's shared prefix is cached for an hour unless the spec says:
    /// its requests may wait in the provider's queue for long.
    /// </summary>
    public void ApplyTo(Job job, JobSpec spec, DateTimeOffset now)
    {
        job.DeliveryRequested = Requested;
        job.Delivery = Chosen;
        job.DeliveryReason = Reason;
        job.DeadlineAt = Deadline;
        job.DeadlineAfter = spec.Deadline is { } text && Deadlines.TryParse(text, now, out _, out var after) is null ? after : null;
        job.CacheTtl = spec.CacheTtl is null && Chosen == Delivery.ProviderBatch ? CacheTtl.OneHour : spec.ParsedCacheTtl;
    }

    private static DateTimeOffset? DeadlineOf(JobSpec spec, DateTimeOffset now) =>
        spec.Deadline is { } text && Deadlines.TryParse(text, now, out var at, out _) is null ? at : null;

    private static string Hours(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalHours:0.#} h");
}
