using Batch.Api.Jobs;
using Batch.Data.Entities;
using Hangfire.Dashboard;
using Npgsql;

namespace Batch.Api.Dashboard;

/// <summary>One batch in the list: its answer as the REST API gives it, and its pace over the last minute.</summary>
internal sealed record BatchListRow(JobResponse Job, double? RowsPerSecond, double? SecondsLeft)
{
    public long Tokens => Job.Tokens.Input + Job.Tokens.CacheWrite5m + Job.Tokens.CacheWrite1h + Job.Tokens.CacheRead + Job.Tokens.Output;

    /// <summary>Cache-read tokens over all tokens of cached prefixes (read or written); null before any.</summary>
    public double? CacheHitRate => CacheHit(Job.Tokens);

    public static double? CacheHit(JobTokens tokens)
    {
        var prefix = tokens.CacheRead + tokens.CacheWrite5m + tokens.CacheWrite1h;
        return prefix == 0 ? null : (double)tokens.CacheRead / prefix;
    }
}

/// <summary>What the Batches page shows: one page of batches under the filters, and what the filters offer.</summary>
internal sealed record BatchesModel(
    IReadOnlyList<BatchListRow> Rows, int Total, int From, int Count, JobStatus? Status, string? Project, IReadOnlyList<string> Projects)
{
    public const int DefaultCount = 20;

    /// <summary>The page's address with these filters and <paramref name="from"/>; <paramref name="path"/> is the page or its live data.</summary>
    public string Link(UrlHelper url, string path, int from, JobStatus? status = null, bool keepStatus = true)
    {
        var query = new List<string>();
        if ((keepStatus ? Status : status) is { } s)
        {
            query.Add("status=" + Markup.StatusName(s));
        }
        if (Project is not null)
        {
            query.Add("project=" + Uri.EscapeDataString(Project));
        }
        if (from > 0)
        {
            query.Add($"from={from}");
        }
        if (Count != DefaultCount)
        {
            query.Add($"count={Count}");
        }
        return url.To(path) + (query.Count == 0 ? "" : "?" + string.Join('&', query));
    }

    public static async Task<BatchesModel?> LoadAsync(DashboardContext context)
    {
        var status = Enum.TryParse<JobStatus>(context.Query("status"), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed : (JobStatus?)null;
        var project = context.Query("project");
        var from = context.QueryInt("from", 0, 0, int.MaxValue);
        var count = context.QueryInt("count", DefaultCount, 1, 500);
        var cancellationToken = context.Aborted();
        var dataSource = context.Service<NpgsqlDataSource>();

        var (jobs, total) = await context.Service<JobStore>().PageAsync(context.Caller(), status, project, from, count, cancellationToken);
        var paces = await JobMinutes.LastMinuteAsync(dataSource, [.. jobs.Select(j => j.Id)], cancellationToken);
        var now = DateTimeOffset.UtcNow;
        var rows = jobs.Select(job => Row(job, RecentPace.PerSecond(paces.GetValueOrDefault(job.Id), job.StartedAt, now))).ToList();

        await using var projects = dataSource.CreateCommand("SELECT DISTINCT project FROM batch.jobs ORDER BY 1");
        var names = new List<string>();
        await using (var reader = await projects.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add(reader.GetString(0));
            }
        }
        return new BatchesModel(rows, total, from, count, status, project, names);
    }

    private static BatchListRow Row(JobResponse job, double? perSecond) => new(job, perSecond, SecondsLeft(job, perSecond));

    /// <summary>What is still to do of a running job at its pace over the last minute, or at its pace since the start without one.</summary>
    public static double? SecondsLeft(JobResponse job, double? perSecond) =>
        job.Status != JobStatus.Running ? null
        : perSecond is > 0 ? (job.Progress.Total - job.Progress.Done) / perSecond.Value
        : job.EstimatedSecondsLeft;
}
