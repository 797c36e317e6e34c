using Microsoft.Extensions.Options;

namespace Batch.Budgets;

/// <summary>
/// What each job's requests really cost, learned in this process from the usage of its settled rows: tokens per
/// character of prompt (seeded with <see cref="BudgetOptions.InitialCharactersPerToken"/>) and the average output.
/// </summary>
public sealed class JobCalibration(IOptions<BudgetOptions> options, TimeProvider time)
{
    // The seed counts as this many tokens of evidence, so a job's first few rows move the ratio but one outlier does not.
    private const double PriorTokens = 500;

    private readonly RunningJobsMap<JobStats> _jobs = new(time);

    public int EstimateInputTokens(Guid jobId, int promptCharacters, int cachedPrefixCharacters) =>
        (int)Math.Ceiling(Math.Max(0, promptCharacters - cachedPrefixCharacters) * TokensPerCharacter(jobId));

    public double TokensPerCharacter(Guid jobId)
    {
        var prior = PriorTokens * options.Value.InitialCharactersPerToken;
        if (!_jobs.TryGetValue(jobId, out var stats))
        {
            return PriorTokens / prior;
        }
        lock (stats)
        {
            return (stats.InputTokens + PriorTokens) / (stats.Characters + prior);
        }
    }

    /// <summary>The output a request of this job is expected to produce: its average so far, max_tokens before any row answered.</summary>
    public int ExpectedOutputTokens(Guid jobId, int maxTokens)
    {
        if (!_jobs.TryGetValue(jobId, out var stats))
        {
            return maxTokens;
        }
        lock (stats)
        {
            return stats.Answers == 0 ? maxTokens : Math.Min(maxTokens, (int)Math.Ceiling((stats.OutputTokens + maxTokens) / (double)(stats.Answers + 1)));
        }
    }

    /// <summary>Learns from one answered request: its prompt size and the input tokens (cached included) and output it came to.</summary>
    public void Learn(Guid jobId, int promptCharacters, long inputTokens, long outputTokens)
    {
        var stats = _jobs.GetOrAdd(jobId, static _ => new JobStats());
        lock (stats)
        {
            if (promptCharacters > 0 && inputTokens > 0)
            {
                stats.Characters += promptCharacters;
                stats.InputTokens += inputTokens;
            }
            stats.OutputTokens += outputTokens;
            stats.Answers++;
        }
    }

    private sealed class JobStats
    {
        public double Characters;
        public double InputTokens;
        public double OutputTokens;
        public int Answers;
    }
}
