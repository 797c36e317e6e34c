using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Batch.Api.Authentication;
using Batch.Api.Uploads;
using Batch.Budgets;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Data.Pricing;
using Batch.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Batch.Api.Estimates;

/// <summary>
/// What a job would take and cost, from the rows the upload's own parser read. Input tokens: the provider's count_tokens
/// for the shared prefix (system prompt and tools) and for a sample of rows, scaled to the other rows by their characters
/// (a line fitted through the sample); without count_tokens, characters at <see cref="BudgetOptions.InitialCharactersPerToken"/>.
/// The prefix is cached when it reaches the model's minimum: one write, every other row reads it.
/// </summary>
public sealed class JobEstimator(BatchDbContext db, TokenCounter counter, IOptions<EstimateOptions> options, IOptions<BudgetOptions> budgetOptions, IOptions<SliceSizing> sizing, TimeProvider time)
{
    // A message's role framing, for the character estimate: a few tokens.
    private const int FramingTokens = 4;
    private const string Probe = "x";
    private static readonly string[] CountTokensFields = ["model", "messages", "system", "tools", "tool_choice", "thinking"];

    public EstimateRows StartCounting(JobSpec spec) => new(spec, Math.Max(1, options.Value.SampleRows));

    public async Task<JobEstimate> EstimateAsync(JobSpec spec, Guid accountId, ParsedFile parsed, EstimateRows rows, Caller caller, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var notes = new List<string>();
        var account = await db.ProviderAccounts.AsNoTracking().SingleAsync(a => a.Id == accountId, cancellationToken);
        var model = parsed.Model;
        var settings = await db.ModelSettings.AsNoTracking().ToListAsync(cancellationToken);
        var setting = ModelSetting.For(settings, model);

        var (prefixTokens, rowTokens, counting) = await CountInputAsync(spec, model, account, rows, notes, cancellationToken);
        var perRow = ScaleToAllRows(rows, rowTokens);
        var minimum = setting?.MinCacheableTokens ?? 1024;
        var cached = !string.IsNullOrEmpty(spec.System) && prefixTokens >= minimum;
        if (string.IsNullOrEmpty(spec.System))
        {
            notes.Add("No system prompt: the rows share no cached prefix.");
        }
        else if (!cached)
        {
            notes.Add($"The shared prefix (system prompt and tools) is {prefixTokens} tokens, below the {minimum}-token minimum {model} caches: every row pays the full input price for it.");
        }
        var uncachedInput = perRow + (cached ? 0 : rows.Rows * prefixTokens);
        long writes = cached ? prefixTokens : 0, reads = cached ? prefixTokens * Math.Max(0, rows.Rows - 1) : 0;

        var maxOutput = rows.MaxOutputTokens;
        var expectedOutput = await ExpectedOutputAsync(spec, model, rows, caller, notes, cancellationToken) ?? maxOutput;

        var limits = await BudgetLimitsAsync(account, settings, model, cancellationToken);
        var headroom = 1 - budgetOptions.Value.Headroom;
        var modelClass = Batch.Budgets.ModelClasses.Resolve([.. settings.Select(s => (s.ModelPrefix, new ModelClass(s.ModelClass, s.CacheReadsCountTowardInputTpm)))], model);
        var minutes = new (string Limit, int PerMinute, double Amount)[]
            {
                ("rpm", limits.Rpm, rows.Rows),
                ("input_tpm", limits.InputTpm, uncachedInput + writes + (modelClass.CacheReadsCount ? reads : 0)),
                ("output_tpm", limits.OutputTpm, expectedOutput),
            }
            .Where(d => d.PerMinute > 0)
            .Select(d => (d.Limit, Minutes: d.Amount / (d.PerMinute * headroom)))
            .DefaultIfEmpty()
            .MaxBy(d => d.Minutes);

        var prices = await PriceBook.LoadAsync(db, cancellationToken);
        var price = prices.Find(model, now);
        CostRange? cost = null, batchCost = null;
        decimal? withoutCache = null;
        if (price is null)
        {
            notes.Add($"The model '{model}' has no price (POST /api/prices): costs are unknown.");
        }
        else
        {
            // Sampled and scaled counts may be a little off, character estimates more: low and high widen by this share.
            var spread = counting == "count_tokens" ? (rows.Sample.Count >= rows.Rows ? 0 : 0.05) : 0.25;
            CostRange Range(CacheTtl ttl, double minutesSpanned, decimal multiplier)
            {
                var windows = Math.Clamp((long)Math.Ceiling(minutesSpanned / (ttl == CacheTtl.OneHour ? 60.0 : 5.0)), 1, Math.Max(1, rows.Rows));
                var highPrefix = (long)Math.Ceiling(prefixTokens * (1 + spread));
                // Low: minimal output, the cache already warm (no write at all); high: max_tokens everywhere and a write per cache lifetime.
                return new CostRange(
                    Cost(price, ttl, (long)Math.Floor(uncachedInput * (1 - spread)), 0, cached ? (long)Math.Floor(prefixTokens * (1 - spread)) * rows.Rows : 0, rows.Rows) * multiplier,
                    Cost(price, ttl, uncachedInput, writes, reads, expectedOutput) * multiplier,
                    Cost(price, ttl, (long)Math.Ceiling(uncachedInput * (1 + spread)), cached ? highPrefix * windows : 0, cached ? highPrefix * (rows.Rows - windows) : 0, maxOutput) * multiplier);
            }
            cost = Range(spec.ParsedCacheTtl, minutes.Limit is null ? 0 : minutes.Minutes, 1m);
            // A provider batch may take the provider's whole window; its prefix is cached for an hour unless the spec says.
            batchCost = Range(spec.CacheTtl is null ? CacheTtl.OneHour : spec.ParsedCacheTtl, account.BatchWindow.TotalMinutes, price.BatchMultiplier);
            withoutCache = CostCalculator.Cost(price, new TokenUsage(perRow + (rows.Rows * prefixTokens), 0, 0, 0, expectedOutput));
            AddCapNotes(spec, account, cost.Expected, cost.High, notes);
        }
        if (rows.OtherModels.Count > 0)
        {
            notes.Add($"{rows.OtherModels.Values.Sum()} rows name other models ({string.Join(", ", rows.OtherModels.Keys)}); they are estimated at {model}'s prices and limits.");
        }

        return new JobEstimate(
            rows.Rows, model, prefixTokens, uncachedInput, writes, reads, new OutputTokensEstimate(expectedOutput, maxOutput),
            cost, withoutCache, minutes.Limit, minutes.Limit is null ? null : Math.Round(minutes.Minutes, 1), counting, notes,
            new ProviderBatchEstimate(batchCost, account.BatchWindow.TotalHours, Slices(rows, spec, account, sizing.Value)));
    }

    /// <summary>Slices a worker cuts the job into (its slice target, the account's request and byte limits); bytes from the rows' characters, the shared prefix repeated on each.</summary>
    private static int Slices(EstimateRows rows, JobSpec spec, ProviderAccount account, SliceSizing sizing)
    {
        // A request's JSON around its text (model, max_tokens, roles, cache_control, custom_id): a couple of hundred bytes.
        const int EnvelopeBytes = 200;
        var bytes = rows.Characters + (rows.Rows * ((spec.System?.Length ?? 0) + EnvelopeBytes));
        var perSlice = Math.Min(account.BatchMaxRequests, sizing.Target(rows.Rows));
        return (int)Math.Max(1, Math.Max(Math.Ceiling(rows.Rows / (double)perSlice), Math.Ceiling(bytes / (double)account.BatchMaxBytes)));
    }

    /// <summary>The shared prefix's tokens, and the tokens of each sampled row's own part (framing included).</summary>
    private async Task<(long Prefix, double[] Rows, string Counting)> CountInputAsync(
        JobSpec spec, string model, ProviderAccount account, EstimateRows rows, List<string> notes, CancellationToken cancellationToken)
    {
        var prefix = SharedPrefix(spec, model);
        var hasPrefix = prefix.Count > 1;
        var bodies = new List<JsonObject> { WithMessage(new JsonObject { ["model"] = model }, Probe) };
        if (hasPrefix)
        {
            bodies.Add(WithMessage((JsonObject)prefix.DeepClone(), Probe));
        }
        bodies.AddRange(rows.Sample.Select(row => Body(prefix, row)));

        var counted = await counter.CountAsync(account, bodies, options.Value.CountTokensConcurrency, cancellationToken);
        if (counted.Counts is { } counts)
        {
            var prefixTokens = hasPrefix ? counts[1] - counts[0] : 0;
            var skip = hasPrefix ? 2 : 1;
            return (prefixTokens, [.. rows.Sample.Select((_, i) => (double)(counts[skip + i] - prefixTokens))], "count_tokens");
        }
        var charactersPerToken = budgetOptions.Value.InitialCharactersPerToken;
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"Input tokens are estimated from characters ({charactersPerToken:0.#} a token): {counted.Unavailable}."));
        var prefixCharacters = prefix.Where(p => p.Key != "model").Sum(p => p.Value is JsonValue text && text.TryGetValue<string>(out var s) ? s.Length : p.Value?.ToJsonString().Length ?? 0);
        return ((long)Math.Ceiling(prefixCharacters / charactersPerToken),
            [.. rows.Sample.Select(row => Math.Ceiling(row.Characters / charactersPerToken) + FramingTokens)], "estimated");
    }

    /// <summary>
    /// The rows' own tokens in total: exact when every row was counted, else a line (tokens = a + b × characters) fitted
    /// through the sample and applied to all rows' characters.
    /// </summary>
    private static long ScaleToAllRows(EstimateRows rows, double[] sampleTokens)
    {
        var sample = rows.Sample;
        if (sample.Count == 0)
        {
            return 0;
        }
        if (sample.Count >= rows.Rows)
        {
            return (long)Math.Round(sampleTokens.Sum());
        }
        double meanX = sample.Average(r => r.Characters), meanY = sampleTokens.Average();
        double sxx = 0, sxy = 0;
        for (var i = 0; i < sample.Count; i++)
        {
            sxx += (sample[i].Characters - meanX) * (sample[i].Characters - meanX);
            sxy += (sample[i].Characters - meanX) * (sampleTokens[i] - meanY);
        }
        var total = sxx > 0
            ? (rows.Rows * (meanY - (sxy / sxx * meanX))) + (sxy / sxx * rows.Characters)
            : meanX > 0 ? meanY / meanX * rows.Characters : meanY * rows.Rows;
        return Math.Max(0, (long)Math.Round(total));
    }

    /// <summary>What every row's request starts with, as the worker builds it: model, the system prompt as a cached block, tools.</summary>
    private static JsonObject SharedPrefix(JobSpec spec, string model)
    {
        var prefix = new JsonObject { ["model"] = model };
        if (spec.Tools is { ValueKind: JsonValueKind.Array } tools)
        {
            prefix["tools"] = JsonNode.Parse(tools.GetRawText());
        }
        if (spec.ToolChoice is { ValueKind: JsonValueKind.Object } choice)
        {
            prefix["tool_choice"] = JsonNode.Parse(choice.GetRawText());
        }
        if (spec.System is { Length: > 0 } system)
        {
            prefix["system"] = new JsonArray(new JsonObject
            {
                ["type"] = "text",
                ["text"] = system,
                ["cache_control"] = new JsonObject { ["type"] = "ephemeral", ["ttl"] = spec.ParsedCacheTtl == CacheTtl.OneHour ? "1h" : "5m" },
            });
        }
        return prefix;
    }

    /// <summary>A sampled row's count_tokens body: the prefix, then the rendered message, or the params body merged over it (the row wins).</summary>
    private static JsonObject Body(JsonObject prefix, SampledRow row)
    {
        var body = (JsonObject)prefix.DeepClone();
        if (row.Format != RowFormat.JsonlParams)
        {
            return WithMessage(body, row.Content);
        }
        if (JsonNode.Parse(row.Content) is JsonObject own)
        {
            foreach (var (name, value) in own)
            {
                if (CountTokensFields.Contains(name))
                {
                    body[name] = value?.DeepClone();
                }
            }
        }
        return body;
    }

    private static JsonObject WithMessage(JsonObject body, string text)
    {
        body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text });
        return body;
    }

    /// <summary>The average output of earlier jobs with the same model, system prompt and template (the caller's project's); null when none answered.</summary>
    private async Task<long?> ExpectedOutputAsync(JobSpec spec, string model, EstimateRows rows, Caller caller, List<string> notes, CancellationToken cancellationToken)
    {
        var earlier = await db.Jobs.AsNoTracking()
            .Where(j => j.Model == model && j.SystemPrompt == spec.System && j.UserTemplate == spec.Template && j.Counters.SucceededRows > 0
                        && (caller.IsAdmin || j.Project == caller.Project))
            .GroupBy(_ => 1)
            .Select(g => new { Output = g.Sum(j => j.Counters.OutputTokens), Rows = g.Sum(j => (long)j.Counters.SucceededRows) })
            .SingleOrDefaultAsync(cancellationToken);
        if (earlier is null)
        {
            notes.Add("No earlier job has the same model, system prompt and template: expected output is max_tokens on every row.");
            return null;
        }
        var average = (double)earlier.Output / earlier.Rows;
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"Expected output is the average of {earlier.Rows} earlier rows with the same model, system prompt and template: {average:0.#} tokens a row."));
        return Math.Min(rows.MaxOutputTokens, (long)Math.Ceiling(average * rows.Rows));
    }

    private async Task<(int Rpm, int InputTpm, int OutputTpm)> BudgetLimitsAsync(ProviderAccount account, List<ModelSetting> settings, string model, CancellationToken cancellationToken)
    {
        var modelClass = ModelSetting.For(settings, model)?.ModelClass ?? model;
        var budget = await db.RateBudgets.AsNoTracking().SingleOrDefaultAsync(b => b.AccountId == account.Id && b.ModelClass == modelClass, cancellationToken);
        return budget is null ? (account.Rpm, account.InputTpm, account.OutputTpm) : (budget.Rpm, budget.InputTpm, budget.OutputTpm);
    }

    private static decimal Cost(ModelPrice price, CacheTtl ttl, long input, long writes, long reads, long output) =>
        CostCalculator.Cost(price, new TokenUsage(input, ttl == CacheTtl.OneHour ? 0 : writes, ttl == CacheTtl.OneHour ? writes : 0, reads, output));

    private static void AddCapNotes(JobSpec spec, ProviderAccount account, decimal expected, decimal high, List<string> notes)
    {
        if (spec.MaxCostUsd is { } cap && high > cap)
        {
            notes.Add(expected > cap
                ? string.Create(CultureInfo.InvariantCulture, $"The expected cost is over max_cost_usd ({cap}): the job will pause at its cap before it ends.")
                : string.Create(CultureInfo.InvariantCulture, $"The high cost is over max_cost_usd ({cap}): the job may pause at its cap."));
        }
        if (account.MonthlyCostLimitUsd is { } limit)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"Account '{account.Name}' has a monthly cost limit of {limit} USD."));
        }
    }
}
