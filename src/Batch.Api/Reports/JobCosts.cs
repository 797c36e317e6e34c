using Batch.Api.Apis;
using Batch.Api.Authentication;
using Batch.Api.Jobs;
using Batch.Data;
using Batch.Data.Pricing;
using Microsoft.EntityFrameworkCore;

namespace Batch.Api.Reports;

/// <summary>
/// A job's cost from its rollup rows: per price row applied, tokens of each kind times that row's price (times its batch
/// multiplier for rows answered in a provider batch).
/// </summary>
public sealed class JobCosts(BatchDbContext db)
{
    /// <summary>Null when the caller sees no such job.</summary>
    public async Task<JobCost?> ReadAsync(Guid jobId, Caller caller, CancellationToken cancellationToken)
    {
        var job = await db.Jobs.AsNoTracking()
            .Where(j => j.Id == jobId && j.DeletedAt == null && (caller.IsAdmin || j.Project == caller.Project))
            .Select(j => new { j.MaxCostUsd })
            .SingleOrDefaultAsync(cancellationToken);
        if (job is null)
        {
            return null;
        }
        var buckets = await db.CostRollups.AsNoTracking()
            .Where(c => c.JobId == jobId)
            .GroupBy(c => new { c.PriceId, c.Model, c.Delivery })
            .Select(g => new
            {
                g.Key.PriceId,
                g.Key.Model,
                g.Key.Delivery,
                Rows = g.Sum(c => c.Rows),
                Requests = g.Sum(c => c.Requests),
                Usage = new TokenUsage(g.Sum(c => c.InputTokens), g.Sum(c => c.CacheWrite5mTokens), g.Sum(c => c.CacheWrite1hTokens), g.Sum(c => c.CacheReadTokens), g.Sum(c => c.OutputTokens)),
                CostUsd = g.Sum(c => c.CostUsd),
                CacheSavingsUsd = g.Sum(c => c.CacheSavingsUsd),
                BatchSavingsUsd = g.Sum(c => c.BatchSavingsUsd),
            })
            .ToListAsync(cancellationToken);
        var priceIds = buckets.Where(b => b.PriceId is not null).Select(b => b.PriceId!.Value).Distinct().ToList();
        var prices = await db.ModelPrices.AsNoTracking().Where(p => priceIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, cancellationToken);

        decimal input = 0, write5m = 0, write1h = 0, read = 0, output = 0;
        foreach (var bucket in buckets)
        {
            if (bucket.PriceId is { } id && prices.TryGetValue(id, out var price))
            {
                var byKind = CostCalculator.ByKind(price, bucket.Usage, bucket.Delivery);
                input += byKind.Input;
                write5m += byKind.CacheWrite5m;
                write1h += byKind.CacheWrite1h;
                read += byKind.CacheRead;
                output += byKind.Output;
            }
        }
        var tokens = new JobTokens(
            buckets.Sum(b => b.Usage.Input), buckets.Sum(b => b.Usage.CacheWrite5m), buckets.Sum(b => b.Usage.CacheWrite1h),
            buckets.Sum(b => b.Usage.CacheRead), buckets.Sum(b => b.Usage.Output));
        var prefixTokens = tokens.CacheRead + tokens.CacheWrite5m + tokens.CacheWrite1h;
        var applied = prices.Values
            .OrderBy(p => p.ModelPrefix, StringComparer.Ordinal).ThenBy(p => p.EffectiveFrom)
            .Select(p => new AppliedPrice(PricesApi.PriceResponse.From(p), [.. buckets.Where(b => b.PriceId == p.Id).Select(b => b.Model).Distinct().Order(StringComparer.Ordinal)]))
            .ToList();
        return new JobCost(
            jobId,
            buckets.Sum(b => b.Rows),
            buckets.Sum(b => b.Requests),
            tokens,
            new UsdByKind(input, write5m, write1h, read, output, buckets.Sum(b => b.CostUsd)),
            prefixTokens == 0 ? null : Math.Round((double)tokens.CacheRead / prefixTokens, 4),
            buckets.Sum(b => b.CacheSavingsUsd),
            buckets.Sum(b => b.BatchSavingsUsd),
            job.MaxCostUsd,
            applied,
            [.. buckets.Where(b => b.PriceId is null && b.Usage != default).Select(b => b.Model).Distinct().Order(StringComparer.Ordinal)]);
    }
}
