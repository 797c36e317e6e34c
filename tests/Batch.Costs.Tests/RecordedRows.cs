using Batch.Data.Entities;
using Batch.Data.Pricing;
using Batch.Testing;
using Microsoft.EntityFrameworkCore;

namespace Batch.Costs.Tests;

/// <summary>A recorded row as the tests' oracle sees it: read straight from job_rows, with the savings its price gives.</summary>
internal sealed record RecordedRow(
    DateTimeOffset CompletedAt, string Project, string Account, string Model, Guid JobId, string JobName, long Attempts,
    long Input, long CacheWrite5m, long CacheWrite1h, long CacheRead, long Output, decimal CostUsd, decimal CacheSavingsUsd)
{
    /// <summary>Every recorded (succeeded or failed) row of the database, or of one job.</summary>
    public static async Task<List<RecordedRow>> ReadAsync(PostgresDatabase database, Guid? jobId = null)
    {
        await using var db = database.CreateContext();
        var prices = await PriceBook.LoadAsync(db);
        var rows = await db.JobRows.AsNoTracking()
            .Where(r => (r.Status == RowStatus.Succeeded || r.Status == RowStatus.Failed) && (jobId == null || r.JobId == jobId))
            .Join(db.Jobs, r => r.JobId, j => j.Id, (r, j) => new { Row = r, Job = j })
            .Join(db.ProviderAccounts, x => x.Job.AccountId, a => a.Id, (x, a) => new { x.Row, x.Job, Account = a.Name })
            .ToListAsync();
        return [.. rows.Select(x =>
        {
            var usage = new TokenUsage(x.Row.InputTokens, x.Row.CacheWrite5mTokens, x.Row.CacheWrite1hTokens, x.Row.CacheReadTokens, x.Row.OutputTokens);
            var model = x.Row.Model ?? x.Job.Model;
            var price = x.Row.CostUsd is null ? null : prices.Find(model, x.Row.CompletedAt!.Value);
            return new RecordedRow(
                x.Row.CompletedAt!.Value, x.Job.Project, x.Account, model, x.Job.Id, x.Job.Name, x.Row.Attempts,
                usage.Input, usage.CacheWrite5m, usage.CacheWrite1h, usage.CacheRead, usage.Output,
                x.Row.CostUsd ?? 0, price is null ? 0 : CostCalculator.CacheSavings(price, usage));
        })];
    }
}
