using Batch.Messages;
using Batch.Worker.Execution;

namespace Batch.Worker.ProviderBatches;

/// <summary>
/// When a row goes to the provider again. A row never sent always goes by slice (the delivery chosen for the job covers it).
/// A row sent before goes in another slice only while the provider's whole window still fits before the job's deadline;
/// otherwise an errored row is sent by a Messages request, and an expired one fails as <c>expired</c>.
/// </summary>
internal static class ResendRules
{
    /// <summary>Whether a slice submitted now ends before the deadline even if it takes the provider's whole window.</summary>
    public static bool SliceFitsDeadline(JobContext job, DateTimeOffset now) => job.DeadlineAt is not { } deadline || now + job.Account.BatchWindow <= deadline;

    /// <summary>Errors that would come back the same however often the request is sent: the row fails at once, as a 4xx of /v1/messages fails it.</summary>
    public static bool MayRetry(ApiError? error) =>
        error?.Type is not ("invalid_request_error" or "not_found_error" or "request_too_large" or "permission_error" or "authentication_error");

    /// <summary>An expired row goes out again while the deadline allows a slice; without a deadline, up to the submission limit.</summary>
    public static bool MayResendExpired(JobContext job, short submissions, int maxSubmissions, DateTimeOffset now) =>
        job.DeadlineAt is null ? submissions < maxSubmissions : SliceFitsDeadline(job, now);
}
