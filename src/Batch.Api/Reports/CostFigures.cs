using System.Text.Json.Serialization;

namespace Batch.Api.Reports;

/// <summary>
/// One line of a cost report: the group's keys (only those grouped by are present) and what its rows came to.
/// <c>rows</c> counts rows recorded, <c>requests</c> the attempts sent for them, retries included.
/// </summary>
public sealed record CostReportLine(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? Day,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Hour,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Model,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Project,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Account,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? JobId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? JobName,
    long Rows,
    long Requests,
    long InputTokens,
    [property: JsonPropertyName("cache_write_5m_tokens")] long CacheWrite5mTokens,
    [property: JsonPropertyName("cache_write_1h_tokens")] long CacheWrite1hTokens,
    long CacheReadTokens,
    long OutputTokens,
    decimal CostUsd,
    decimal CacheSavingsUsd,
    decimal BatchSavingsUsd)
{
    /// <summary>The figures of all lines together, without keys.</summary>
    public static CostReportLine Sum(IReadOnlyList<CostReportLine> lines) => new(
        null, null, null, null, null, null, null,
        lines.Sum(l => l.Rows), lines.Sum(l => l.Requests), lines.Sum(l => l.InputTokens), lines.Sum(l => l.CacheWrite5mTokens),
        lines.Sum(l => l.CacheWrite1hTokens), lines.Sum(l => l.CacheReadTokens), lines.Sum(l => l.OutputTokens),
        lines.Sum(l => l.CostUsd), lines.Sum(l => l.CacheSavingsUsd), lines.Sum(l => l.BatchSavingsUsd));
}

/// <summary>The answer of <c>GET /api/reports/costs</c>: the effective range (whole UTC hours), the grouping, the groups and their total.</summary>
public sealed record CostReport(
    DateTimeOffset From, DateTimeOffset To, string TimeZone, string? Project, IReadOnlyList<string> GroupBy, IReadOnlyList<CostReportLine> Data, CostReportLine Total);
