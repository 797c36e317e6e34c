namespace Batch.Messages;

/// <summary>Decides what an answer means for the row and the job (see the table in docs/messages-api.md).</summary>
public static class AttemptClassifier
{
    public const string SpendLimitErrorCode = "enforced_spend_limit_reached";

    public static AttemptOutcome Classify(int status, ApiError? error, bool? shouldRetry)
    {
        if (status is >= 200 and < 300)
        {
            return AttemptOutcome.Succeeded;
        }
        // Wrong key, no credit or a spend cap: every other row would fail the same way, so stop the job instead.
        if (status is 401 or 402 or 403 || error?.Type == "billing_error"
            || (status == 429 && error?.ErrorCode == SpendLimitErrorCode))
        {
            return AttemptOutcome.PauseJob;
        }
        var outcome = status is 408 or 409 or 429 or >= 500 ? AttemptOutcome.Transient : AttemptOutcome.RowFailed;
        // The server knows best whether repeating the same request can help.
        return shouldRetry switch
        {
            true => AttemptOutcome.Transient,
            false => AttemptOutcome.RowFailed,
            null => outcome,
        };
    }
}
