namespace Batch.Api.Estimates;

/// <summary>How estimates count tokens, bound from <c>Batch:Estimates</c>.</summary>
public sealed class EstimateOptions
{
    public const string Section = "Batch:Estimates";

    /// <summary>Rows sent to count_tokens (a uniform sample); the rest are scaled from them by characters.</summary>
    public int SampleRows { get; set; } = 10;

    /// <summary>count_tokens requests in flight at once (each still takes the account's count_tokens budget).</summary>
    public int CountTokensConcurrency { get; set; } = 4;
}
