namespace Batch.Data.Entities;

/// <summary>
/// How many of a job's rows failed with one error type, and the first message seen for it: kept by the statement that
/// records the rows, so the dashboard lists a job's errors without reading its failed rows. Retrying a job's failed
/// rows clears them (they are pending again). Deleted with its job.
/// </summary>
public class JobErrorCount
{
    public Guid JobId { get; set; }

    /// <summary>The provider's error type (<c>invalid_request_error</c>, ...), or <c>unknown</c> when the answer named none.</summary>
    public required string ErrorType { get; set; }

    public int Rows { get; set; }
    public string? SampleMessage { get; set; }
}
