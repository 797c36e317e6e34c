using Batch.Api.Problems;
using Batch.Data;
using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Batch.Api.Uploads;

/// <summary>
/// The delivery a Message Batches create asks for: Anthropic's body has no room for it, so it comes in the optional headers
/// <c>batch-delivery</c> (<c>messages</c>, <c>provider_batch</c>, <c>auto</c>) and <c>batch-deadline</c> (as the spec's
/// <c>deadline</c>), checked and chosen by the spec's own rules (<see cref="JobSpec.ValidateDelivery"/>, <see cref="DeliveryChoice"/>).
/// </summary>
public sealed class MessageBatchDelivery
{
    public const string DeliveryHeader = "batch-delivery";
    public const string DeadlineHeader = "batch-deadline";

    private readonly JobSpec _spec;

    private MessageBatchDelivery(JobSpec spec) => _spec = spec;

    /// <summary>Null when neither header is sent (the default, Messages requests); <paramref name="error"/> names a bad one.</summary>
    public static MessageBatchDelivery? Read(IHeaderDictionary headers, out string? error)
    {
        var spec = new JobSpec { Delivery = Single(headers, DeliveryHeader), Deadline = Single(headers, DeadlineHeader) };
        var errors = new UploadErrors(limit: 2);
        spec.ValidateDelivery(errors, $"{DeliveryHeader} header", $"{DeadlineHeader} header");
        error = errors.Any ? string.Join(" ", errors.Reported.Select(e => $"{e.Field}: {e.Message}")) : null;
        return errors.Any || (spec.Delivery is null && spec.Deadline is null) ? null : new MessageBatchDelivery(spec);
    }

    /// <summary>
    /// Chooses the delivery for a batch's job before it is inserted and records it on the job, as an upload's spec would;
    /// returns the notes it adds (a deadline the chosen way may miss). <c>auto</c> with a deadline nearer than the provider's
    /// window takes Messages requests without an estimate.
    /// </summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(BatchDbContext db, Job job, CancellationToken cancellationToken)
    {
        var account = await db.ProviderAccounts.AsNoTracking().SingleAsync(a => a.Id == job.AccountId, cancellationToken);
        var choice = DeliveryChoice.Choose(_spec, account, job.CreatedAt, minutesAtBudget: null, estimated: false);
        choice.ApplyTo(job, _spec, job.CreatedAt);
        return choice.Notes;
    }

    // A header sent twice is one value too many: refused by the check as an unknown delivery.
    private static string? Single(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) ? values.ToString().Trim() : null;
}
