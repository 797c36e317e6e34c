namespace Batch.Data.Entities;

/// <summary>
/// A job paused because its account reached its monthly cost limit: it is resumed once the account's spend this
/// month plus <see cref="NeededUsd"/> fits under the limit again (the month turned, or the limit was raised).
/// </summary>
public class AccountCapPause
{
    public Guid JobId { get; set; }
    public Guid AccountId { get; set; }

    /// <summary>The worst-case cost of the row that did not fit.</summary>
    public decimal NeededUsd { get; set; }

    public DateTimeOffset PausedAt { get; set; }
}
