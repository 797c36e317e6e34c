using Batch.Data;
using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Batch.Api.Reports;

/// <summary>What an account has spent this calendar month (UTC) and what rows in flight have reserved against its limit.</summary>
public sealed record AccountSpend(decimal SpentThisMonthUsd, decimal ReservedUsd)
{
    public static readonly AccountSpend None = new(0, 0);

    /// <summary>By account id; accounts with neither are left out.</summary>
    public static async Task<Dictionary<Guid, AccountSpend>> ReadAsync(BatchDbContext db, Guid? accountId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var month = new DateOnly(now.UtcDateTime.Year, now.UtcDateTime.Month, 1);
        var spent = await db.AccountMonthlySpend.AsNoTracking()
            .Where(s => s.Month == month && (accountId == null || s.AccountId == accountId))
            .ToDictionaryAsync(s => s.AccountId, s => s.CostUsd, cancellationToken);
        var reserved = await db.JobRows.AsNoTracking()
            .Where(r => r.Status == RowStatus.Leased && r.ReservedUsd != null)
            .Join(db.Jobs, r => r.JobId, j => j.Id, (r, j) => new { j.AccountId, r.ReservedUsd })
            .Where(r => accountId == null || r.AccountId == accountId)
            .GroupBy(r => r.AccountId)
            .Select(g => new { AccountId = g.Key, Usd = g.Sum(r => r.ReservedUsd!.Value) })
            .ToDictionaryAsync(g => g.AccountId, g => g.Usd, cancellationToken);
        return spent.Keys.Union(reserved.Keys)
            .ToDictionary(id => id, id => new AccountSpend(spent.GetValueOrDefault(id), reserved.GetValueOrDefault(id)));
    }
}
