using Batch.Data.Entities;
using Batch.Data.Pricing;

namespace Batch.Costs.Tests;

public class PricingTests
{
    private static readonly ModelPrice Sonnet = Price("claude-sonnet-4-5", new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), 3m, 3.75m, 6m, 0.30m, 15m);

    [Fact]
    public void Cache_savings_are_reads_at_the_input_price_less_their_cost_less_what_writes_cost_above_input()
    {
        // 1M read tokens save 2.70 USD; 100k 5m-written tokens cost 0.075 above input; 10k 1h-written tokens 0.03 above.
        Assert.Equal(2.595m, CostCalculator.CacheSavings(Sonnet, new TokenUsage(500, 100_000, 10_000, 1_000_000, 300)));
        // A prefix written and never read back saved less than nothing.
        Assert.Equal(-0.0075m, CostCalculator.CacheSavings(Sonnet, new TokenUsage(0, 10_000, 0, 0, 0)));
    }

    [Fact]
    public void The_cost_is_the_sum_of_its_kinds()
    {
        var usage = new TokenUsage(1_234, 2_000, 3_000, 40_000, 567);
        var byKind = CostCalculator.ByKind(Sonnet, usage);
        Assert.Equal(0.003702m + 0.0075m + 0.018m + 0.012m + 0.008505m, CostCalculator.Cost(Sonnet, usage));
        Assert.Equal(byKind.Total, CostCalculator.Cost(Sonnet, usage));
    }

    [Fact]
    public void The_worst_case_takes_the_dearest_input_kind_and_any_later_price()
    {
        var now = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
        // 1,000 input tokens as 1h writes (6 USD/M) and 100 output tokens (15 USD/M).
        Assert.Equal(0.0075m, new PriceBook([Sonnet]).WorstCase("claude-sonnet-4-5-20250929", now, 1_000, 100));
        var dearer = Price("claude-sonnet-4-5", now.AddDays(7), 6m, 7.5m, 12m, 0.6m, 30m);
        Assert.Equal(0.015m, new PriceBook([Sonnet, dearer]).WorstCase("claude-sonnet-4-5", now, 1_000, 100));
        Assert.Null(new PriceBook([Sonnet]).WorstCase("claude-unknown", now, 1_000, 100));
    }

    [Fact]
    public void A_row_is_priced_at_the_price_row_in_force_and_names_it()
    {
        var later = Price("claude-sonnet-4-5", new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), 2m, 2.5m, 4m, 0.2m, 10m);
        var book = new PriceBook([Sonnet, later]);
        var usage = new TokenUsage(1_000_000, 0, 0, 0, 0);
        Assert.Equal(new RowPrice(Sonnet.Id, 3m, 0m), book.Price("claude-sonnet-4-5", new DateTimeOffset(2026, 11, 30, 23, 0, 0, TimeSpan.Zero), usage));
        Assert.Equal(new RowPrice(later.Id, 2m, 0m), book.Price("claude-sonnet-4-5", new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), usage));
    }

    private static ModelPrice Price(string prefix, DateTimeOffset from, decimal input, decimal write5m, decimal write1h, decimal read, decimal output) => new()
    {
        Id = Guid.CreateVersion7(),
        ModelPrefix = prefix,
        EffectiveFrom = from,
        InputPerMTok = input,
        CacheWrite5mPerMTok = write5m,
        CacheWrite1hPerMTok = write1h,
        CacheReadPerMTok = read,
        OutputPerMTok = output,
    };
}
