using System.Text.Json.Serialization;
using Batch.Api.Authentication;
using Batch.Api.Problems;
using Batch.Data;
using Batch.Data.Entities;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Batch.Api.Apis;

/// <summary>Model prices in USD per million tokens. A price change is a new effective-dated row, so past costs keep the price they were made at.</summary>
public static class PricesApi
{
    public static IEndpointRouteBuilder MapPricesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/prices").WithTags("Prices");
        api.MapGet("/", ListAsync)
            .WithName("ListPrices")
            .WithSummary("The price in force for each model prefix (or every row with ?all=true).");
        api.MapPost("/", AddAsync)
            .RequireAuthorization(BatchPolicies.Admin)
            .WithName("AddPrice")
            .WithSummary("Add a price for a model prefix from a date on (admin).")
            .WithDescription("""
                ```json
                {"model_prefix": "claude-sonnet-4-5", "effective_from": "2027-01-01T00:00:00Z", "input_per_mtok": 3, "cache_write_5m_per_mtok": 3.75,
                 "cache_write_1h_per_mtok": 6, "cache_read_per_mtok": 0.3, "output_per_mtok": 15, "batch_multiplier": 0.5}
                ```
                `effective_from` defaults to now. Model names match the longest prefix. `batch_multiplier` (0.5 when absent) is the
                share of every price a request answered in a provider batch pays, cache writes and reads included.
                """);
        return app;
    }

    public sealed record PriceRequest(
        string ModelPrefix,
        DateTimeOffset? EffectiveFrom,
        [property: JsonPropertyName("input_per_mtok")] decimal InputPerMTok,
        [property: JsonPropertyName("cache_write_5m_per_mtok")] decimal CacheWrite5mPerMTok,
        [property: JsonPropertyName("cache_write_1h_per_mtok")] decimal CacheWrite1hPerMTok,
        [property: JsonPropertyName("cache_read_per_mtok")] decimal CacheReadPerMTok,
        [property: JsonPropertyName("output_per_mtok")] decimal OutputPerMTok,
        decimal? BatchMultiplier = null);

    public sealed record PriceResponse(
        Guid Id,
        string ModelPrefix,
        DateTimeOffset EffectiveFrom,
        [property: JsonPropertyName("input_per_mtok")] decimal InputPerMTok,
        [property: JsonPropertyName("cache_write_5m_per_mtok")] decimal CacheWrite5mPerMTok,
        [property: JsonPropertyName("cache_write_1h_per_mtok")] decimal CacheWrite1hPerMTok,
        [property: JsonPropertyName("cache_read_per_mtok")] decimal CacheReadPerMTok,
        [property: JsonPropertyName("output_per_mtok")] decimal OutputPerMTok,
        decimal BatchMultiplier)
    {
        public static PriceResponse From(ModelPrice p) =>
            new(p.Id, p.ModelPrefix, p.EffectiveFrom, p.InputPerMTok, p.CacheWrite5mPerMTok, p.CacheWrite1hPerMTok, p.CacheReadPerMTok, p.OutputPerMTok, p.BatchMultiplier);
    }

    private static async Task<Ok<List<PriceResponse>>> ListAsync(BatchDbContext db, TimeProvider time, CancellationToken cancellationToken, bool all = false)
    {
        var now = time.GetUtcNow();
        // A few rows per model: reading them all and choosing here is simpler than a window query.
        var prices = await db.ModelPrices.AsNoTracking().ToListAsync(cancellationToken);
        var shown = all
            ? prices.OrderBy(p => p.ModelPrefix, StringComparer.Ordinal).ThenBy(p => p.EffectiveFrom)
            : prices.Where(p => p.EffectiveFrom <= now)
                .GroupBy(p => p.ModelPrefix)
                .Select(g => g.MaxBy(p => p.EffectiveFrom)!)
                .OrderBy(p => p.ModelPrefix, StringComparer.Ordinal);
        return TypedResults.Ok(shown.Select(PriceResponse.From).ToList());
    }

    private static async Task<Results<Created<PriceResponse>, ProblemHttpResult>> AddAsync(
        PriceRequest request, BatchDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.ModelPrefix) || request.ModelPrefix.Length > 200)
        {
            return ProblemResults.Field("model_prefix", "A model name or prefix of 1 to 200 characters.");
        }
        if (new[] { request.InputPerMTok, request.CacheWrite5mPerMTok, request.CacheWrite1hPerMTok, request.CacheReadPerMTok, request.OutputPerMTok }.Any(p => p < 0))
        {
            return ProblemResults.Field("price", "Prices must not be negative.");
        }
        if (request.BatchMultiplier is < 0 or > 1)
        {
            return ProblemResults.Field("batch_multiplier", "The share of the prices a provider batch pays: from 0 to 1 (0.5 is half).");
        }
        var effectiveFrom = request.EffectiveFrom ?? time.GetUtcNow();
        if (await db.ModelPrices.AnyAsync(p => p.ModelPrefix == request.ModelPrefix && p.EffectiveFrom == effectiveFrom, cancellationToken))
        {
            return ProblemResults.Conflict($"A price for '{request.ModelPrefix}' from {effectiveFrom:O} exists already; prices are never edited, add one from another date.");
        }
        var price = new ModelPrice
        {
            Id = Guid.CreateVersion7(),
            ModelPrefix = request.ModelPrefix,
            EffectiveFrom = effectiveFrom,
            InputPerMTok = request.InputPerMTok,
            CacheWrite5mPerMTok = request.CacheWrite5mPerMTok,
            CacheWrite1hPerMTok = request.CacheWrite1hPerMTok,
            CacheReadPerMTok = request.CacheReadPerMTok,
            OutputPerMTok = request.OutputPerMTok,
            BatchMultiplier = request.BatchMultiplier ?? ModelPrice.DefaultBatchMultiplier,
        };
        db.ModelPrices.Add(price);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/prices/{price.Id}", PriceResponse.From(price));
    }
}
