using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Batch.Messages;

namespace Batch.Budgets.Tests;

/// <summary>What a send loop did: answers, 429s, and the leases it took.</summary>
internal sealed record SendTotals(int Answered, int RateLimited, int OtherErrors, long InputTokens, long OutputTokens)
{
    public static SendTotals operator +(SendTotals a, SendTotals b) => new(
        a.Answered + b.Answered, a.RateLimited + b.RateLimited, a.OtherErrors + b.OtherErrors, a.InputTokens + b.InputTokens, a.OutputTokens + b.OutputTokens);
}

/// <summary>
/// The worker's send loop in miniature: for each request acquire budget, send, settle; a 429 is retried (taking budget
/// again). Prompts are distinct so nothing is cached.
/// </summary>
internal static class SendLoop
{
    public static async Task<SendTotals> RunAsync(
        BudgetProcess process, MessagesAccount account, string model, Guid jobId, int concurrency, int maxTokens, int promptCharacters,
        TimeSpan duration, CancellationToken cancellationToken)
    {
        var until = DateTimeOffset.UtcNow + duration;
        var totals = new ConcurrentBag<SendTotals>();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var mine = new SendTotals(0, 0, 0, 0, 0);
            while (DateTimeOffset.UtcNow < until)
            {
                var index = Interlocked.Increment(ref next);
                var text = $"{jobId:N} request {index}: " + new string('x', promptCharacters);
                var body = new JsonObject
                {
                    ["model"] = model,
                    ["max_tokens"] = maxTokens,
                    ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
                };
                var estimate = process.Budgets.EstimateInputTokens(jobId, text.Length, 0);
                var lease = await process.Budgets.AcquireAsync(
                    new BudgetDemand(account.Id, model, jobId, 0, estimate, maxTokens, text.Length), cancellationToken);
                var attempt = await process.Messages.SendAsync(account, body, cancellationToken);
                await process.Budgets.SettleAsync(lease, attempt, cancellationToken);
                mine = attempt switch
                {
                    { Message.Usage: { } usage } => mine with
                    {
                        Answered = mine.Answered + 1,
                        InputTokens = mine.InputTokens + usage.InputTokens,
                        OutputTokens = mine.OutputTokens + usage.OutputTokens,
                    },
                    { HttpStatus: 429 } => mine with { RateLimited = mine.RateLimited + 1 },
                    _ => mine with { OtherErrors = mine.OtherErrors + 1 },
                };
            }
            totals.Add(mine);
        }));
        return totals.Aggregate((a, b) => a + b);
    }
}
