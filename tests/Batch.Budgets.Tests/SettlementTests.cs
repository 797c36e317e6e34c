using System.Text.Json;
using Batch.Messages;
using Microsoft.Extensions.Options;

namespace Batch.Budgets.Tests;

public class SettlementTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly BudgetLease Lease = new(Guid.NewGuid(), Guid.NewGuid(), "sonnet-4", Guid.NewGuid(), 1_000, 800, Now);

    [Fact]
    public void An_answer_settles_to_its_actual_usage_without_cache_reads()
    {
        var settlement = Settlements.ForAttempt(Lease, Answered(input: 300, cacheWrite: 100, cacheRead: 4_000, output: 250));

        Assert.Equal(600, settlement.InputRefund);
        Assert.Equal(550, settlement.OutputRefund);
        Assert.Equal(0, settlement.RequestRefund);
        Assert.Null(settlement.Pause);
        Assert.Equal(0, settlement.RateLimited);
    }

    [Fact]
    public void A_stream_cut_midway_settles_to_what_its_events_showed_was_used()
    {
        var cut = new MessagesAttempt
        {
            Outcome = AttemptOutcome.Transient,
            HttpStatus = 200,
            Error = new ApiError("stream_cut", "The stream ended after 12 events without message_stop"),
            PartialUsage = new MessageUsage(300, 100, 0, 100, 0, 120),
        };

        var settlement = Settlements.ForAttempt(Lease, cut);

        // Kept: 400 input tokens and 120 output tokens the server counted before the cut; the rest comes back.
        Assert.Equal((600, 680), (settlement.InputRefund, settlement.OutputRefund));
    }

    [Fact]
    public void Cache_reads_count_for_models_whose_setting_says_so()
    {
        var settlement = Settlements.ForAttempt(Lease with { CacheReadsCount = true }, Answered(input: 300, cacheWrite: 0, cacheRead: 1_000, output: 800));

        Assert.Equal(-300, settlement.InputRefund);
        Assert.Equal(0, settlement.OutputRefund);
    }

    [Fact]
    public void A_429_refunds_its_tokens_pauses_for_retry_after_and_takes_the_servers_remaining()
    {
        var attempt = new MessagesAttempt
        {
            Outcome = AttemptOutcome.Transient,
            HttpStatus = 429,
            RetryAfter = TimeSpan.FromSeconds(3),
            RateLimits = new RateLimitSnapshot(Now, new RateLimitDimension(50, 7, Now.AddSeconds(2)), new RateLimitDimension(30_000, 0, Now.AddSeconds(20)), null, null),
        };

        var settlement = Settlements.ForAttempt(Lease, attempt);

        Assert.Equal(1_000, settlement.InputRefund);
        Assert.Equal(800, settlement.OutputRefund);
        Assert.Equal(TimeSpan.FromSeconds(3), settlement.Pause);
        Assert.Equal(7, settlement.RequestsRemaining);
        Assert.Equal(0, settlement.InputRemaining);
    }

    [Fact]
    public void A_429_without_retry_after_pauses_until_the_exhausted_dimension_resets_and_a_spend_cap_does_not_pause()
    {
        var limits = new RateLimitSnapshot(Now, new RateLimitDimension(50, 7, Now.AddSeconds(2)), new RateLimitDimension(30_000, 0, Now.AddSeconds(4)), null, null);

        var rateLimited = Settlements.ForAttempt(Lease, new MessagesAttempt { Outcome = AttemptOutcome.Transient, HttpStatus = 429, RateLimits = limits });
        var spendCap = Settlements.ForAttempt(Lease, new MessagesAttempt { Outcome = AttemptOutcome.PauseJob, HttpStatus = 429 });

        Assert.Equal(TimeSpan.FromSeconds(4), rateLimited.Pause);
        Assert.Null(spendCap.Pause);
        Assert.Equal((1, 0), (rateLimited.RateLimited, spendCap.RateLimited));
    }

    [Fact]
    public void No_answer_at_all_keeps_what_was_taken_and_a_release_gives_everything_back()
    {
        var lost = Settlements.ForAttempt(Lease, new MessagesAttempt { Outcome = AttemptOutcome.Transient });
        var released = Settlements.ForRelease(Lease);

        Assert.Equal((0, 0L, 0L), (lost.RequestRefund, lost.InputRefund, lost.OutputRefund));
        Assert.Equal((1, 1_000L, 800L), (released.RequestRefund, released.InputRefund, released.OutputRefund));
    }

    [Fact]
    public void Estimates_start_at_four_characters_a_token_and_learn_each_jobs_real_ratio()
    {
        var calibration = new JobCalibration(Options.Create(new BudgetOptions()), TimeProvider.System);
        var job = Guid.NewGuid();
        var other = Guid.NewGuid();

        Assert.Equal(1_000, calibration.EstimateInputTokens(job, 4_000, 0));
        Assert.Equal(500, calibration.EstimateInputTokens(job, 4_000, 2_000));
        for (var i = 0; i < 20; i++)
        {
            // This job's text really runs at 2.5 characters a token.
            calibration.Learn(job, 5_000, 2_000, 100);
        }

        Assert.InRange(calibration.EstimateInputTokens(job, 4_000, 0), 1_560, 1_610);
        Assert.Equal(1_000, calibration.EstimateInputTokens(other, 4_000, 0));
        Assert.Equal(100, calibration.ExpectedOutputTokens(job, 100));
        Assert.InRange(calibration.ExpectedOutputTokens(job, 1_000), 100, 150);
        Assert.Equal(1_000, calibration.ExpectedOutputTokens(other, 1_000));
    }

    [Fact]
    public void Models_map_to_classes_by_exact_name_then_longest_prefix_else_their_own_name()
    {
        (string, ModelClass)[] settings =
        [
            ("claude-sonnet-4", new ModelClass("sonnet-4", false)),
            ("claude-sonnet-4-5", new ModelClass("sonnet-4.5", false)),
            ("claude-3-haiku", new ModelClass("haiku-3", true)),
        ];

        Assert.Equal("sonnet-4.5", ModelClasses.Resolve(settings, "claude-sonnet-4-5-20250929").Name);
        Assert.Equal("sonnet-4", ModelClasses.Resolve(settings, "claude-sonnet-4-0").Name);
        Assert.True(ModelClasses.Resolve(settings, "claude-3-haiku-20240307").CacheReadsCount);
        Assert.Equal(new ModelClass("gpt-x", false), ModelClasses.Resolve(settings, "gpt-x"));
    }

    private static MessagesAttempt Answered(int input, int cacheWrite, int cacheRead, int output) => new()
    {
        Outcome = AttemptOutcome.Succeeded,
        HttpStatus = 200,
        Message = new MessageResponse("msg", "m", JsonDocument.Parse("[]").RootElement, "", "end_turn", null,
            new MessageUsage(input, cacheWrite, cacheRead, cacheWrite, 0, output)),
    };
}
