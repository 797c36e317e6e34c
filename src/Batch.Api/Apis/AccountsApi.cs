using System.Text.Json;
using System.Text.RegularExpressions;
using Batch.Api.Authentication;
using Batch.Api.Problems;
using Batch.Api.Reports;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Data.Spending;
using Batch.Jobs;
using Hangfire;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Batch.Api.Apis;

/// <summary>
/// Provider accounts (admin): Messages API endpoints and their rate limits. An account names the configuration
/// setting that holds its key (<c>api_key_setting</c>), never the key, so no answer can leak one.
/// </summary>
public static partial class AccountsApi
{
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/accounts").WithTags("Provider accounts").RequireAuthorization(BatchPolicies.Admin);
        api.MapGet("/", ListAsync)
            .WithName("ListAccounts")
            .WithSummary("List provider accounts and their limits.");
        api.MapPost("/", CreateAsync)
            .WithName("CreateAccount")
            .WithSummary("Add a provider account (Anthropic or a gateway that speaks the Messages API).")
            .WithDescription("""
                ```json
                {"name": "gateway", "base_url": "https://gateway.example.com", "api_key_setting": "Gateway:ApiKey", "api_version": "2023-06-01",
                 "rpm": 500, "input_tpm": 200000, "output_tpm": 40000, "output_budget_mode": "actual_output"}
                ```
                Each worker reads the key from its own configuration under `api_key_setting` (environment `Gateway__ApiKey`).
                `monthly_cost_limit_usd` caps the account's spend per calendar month (UTC); leave it out for none.
                Provider batches: `batch_window_hours` (24: how long the provider may take, what `auto` delivery weighs a deadline
                against), `batch_max_requests` (100000) and `batch_max_bytes` (268435456) per slice, `batch_queue_limit` (100000:
                requests waiting at the provider at once).
                """);
        api.MapPatch("/{name}", UpdateAsync)
            .WithName("UpdateAccount")
            .WithSummary("Change an account's URL, key setting, version, limits or monthly cost limit; fields left out stay as they are.")
            .WithDescription(ApiExamples.UpdateAccount);
        return app;
    }

    public sealed record AccountRequest(
        string? Name, string? BaseUrl, string? ApiKeySetting, string? ApiVersion, int? Rpm, int? InputTpm, int? OutputTpm, OutputBudgetMode? OutputBudgetMode,
        double? BatchWindowHours = null, int? BatchMaxRequests = null, long? BatchMaxBytes = null, int? BatchQueueLimit = null)
    {
        /// <summary>USD per calendar month (UTC): a number sets the limit, null removes it, absent leaves it.</summary>
        public JsonElement MonthlyCostLimitUsd { get; init; }
    }

    /// <param name="SpentThisMonthUsd">Recorded cost of the account's rows this calendar month (UTC).</param>
    /// <param name="ReservedUsd">Worst cases reserved by rows in flight under a spend cap.</param>
    public sealed record AccountResponse(
        Guid Id, string Name, string BaseUrl, string ApiKeySetting, string ApiVersion, int Rpm, int InputTpm, int OutputTpm,
        OutputBudgetMode OutputBudgetMode, bool IsDefault, decimal? MonthlyCostLimitUsd, decimal SpentThisMonthUsd, decimal ReservedUsd,
        double BatchWindowHours, int BatchMaxRequests, long BatchMaxBytes, int BatchQueueLimit,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public static AccountResponse From(ProviderAccount a, AccountSpend spend) => new(
            a.Id, a.Name, a.BaseUrl, a.ApiKeyReference, a.ApiVersion, a.Rpm, a.InputTpm, a.OutputTpm, a.OutputBudgetMode, a.IsDefault,
            a.MonthlyCostLimitUsd, spend.SpentThisMonthUsd, spend.ReservedUsd,
            a.BatchWindow.TotalHours, a.BatchMaxRequests, a.BatchMaxBytes, a.BatchQueueLimit, a.CreatedAt, a.UpdatedAt);
    }

    private static async Task<Ok<List<AccountResponse>>> ListAsync(BatchDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var accounts = await db.ProviderAccounts.AsNoTracking().OrderBy(a => a.Name).ToListAsync(cancellationToken);
        var spend = await AccountSpend.ReadAsync(db, null, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(accounts.Select(a => AccountResponse.From(a, spend.GetValueOrDefault(a.Id, AccountSpend.None))).ToList());
    }

    private static async Task<Results<Created<AccountResponse>, ProblemHttpResult>> CreateAsync(
        AccountRequest request, BatchDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        if (request.Name is null || !AccountName().IsMatch(request.Name))
        {
            return ProblemResults.Field("name", "1 to 64 lowercase letters, digits, '.', '_' or '-'.");
        }
        if (request.BaseUrl is null)
        {
            return ProblemResults.Field("base_url", "Required: the endpoint's base URL, such as https://api.anthropic.com.");
        }
        if (request.ApiKeySetting is null)
        {
            return ProblemResults.Field("api_key_setting", "Required: the name of the configuration setting that holds the key, such as Gateway:ApiKey.");
        }
        if (await db.ProviderAccounts.AnyAsync(a => a.Name == request.Name, cancellationToken))
        {
            return ProblemResults.Conflict($"An account named '{request.Name}' exists already.");
        }
        var now = time.GetUtcNow();
        var account = new ProviderAccount
        {
            Id = Guid.CreateVersion7(),
            Name = request.Name,
            BaseUrl = request.BaseUrl,
            ApiKeyReference = request.ApiKeySetting,
            Rpm = ProviderAccount.NewAccountRpm,
            InputTpm = ProviderAccount.NewAccountInputTpm,
            OutputTpm = ProviderAccount.NewAccountOutputTpm,
            CreatedAt = now,
        };
        if (Apply(request, account, now) is { } invalid)
        {
            return invalid;
        }
        db.ProviderAccounts.Add(account);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/accounts/{account.Name}", AccountResponse.From(account, AccountSpend.None));
    }

    private static async Task<Results<Ok<AccountResponse>, ProblemHttpResult>> UpdateAsync(
        string name, AccountRequest request, BatchDbContext db, NpgsqlDataSource dataSource, IBackgroundJobClient backgroundJobs, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var account = await db.ProviderAccounts.SingleOrDefaultAsync(a => a.Name == name, cancellationToken);
        if (account is null)
        {
            return ProblemResults.NotFound("account");
        }
        // The monthly cost limit is the one setting of the default account that configuration does not write.
        if (account.IsDefault && request is not
            {
                Name: null, BaseUrl: null, ApiKeySetting: null, ApiVersion: null, Rpm: null, InputTpm: null, OutputTpm: null, OutputBudgetMode: null,
                BatchWindowHours: null, BatchMaxRequests: null, BatchMaxBytes: null, BatchQueueLimit: null,
            })
        {
            return ProblemResults.Conflict("The default account is written from the Anthropic__* settings at every start; change those instead (only monthly_cost_limit_usd can be set here).");
        }
        if (request.Name is not null && request.Name != name)
        {
            return ProblemResults.Field("name", "An account's name cannot change: jobs refer to it.");
        }
        if (Apply(request, account, time.GetUtcNow()) is { } invalid)
        {
            return invalid;
        }
        await db.SaveChangesAsync(cancellationToken);
        // Jobs paused at the old limit that fit under the new one go on now, not at the workers' next sweep.
        foreach (var (jobId, jobName) in await AccountCapPauses.ResumeAsync(dataSource, account.Id, cancellationToken))
        {
            backgroundJobs.EnqueueStart(jobId, jobName);
        }
        var spend = await AccountSpend.ReadAsync(db, account.Id, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(AccountResponse.From(account, spend.GetValueOrDefault(account.Id, AccountSpend.None)));
    }

    /// <summary>Copies the given fields onto the account, or answers which one is wrong.</summary>
    private static ProblemHttpResult? Apply(AccountRequest request, ProviderAccount account, DateTimeOffset now)
    {
        if (request.BaseUrl is not null)
        {
            if (!Uri.TryCreate(request.BaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                return ProblemResults.Field("base_url", "An absolute http or https URL.");
            }
            account.BaseUrl = request.BaseUrl.TrimEnd('/');
        }
        if (request.ApiKeySetting is not null)
        {
            if (request.ApiKeySetting.StartsWith("sk-", StringComparison.Ordinal) || !SettingName().IsMatch(request.ApiKeySetting))
            {
                return ProblemResults.Field("api_key_setting", "The name of a configuration setting (such as Gateway:ApiKey), never the key itself.");
            }
            account.ApiKeyReference = request.ApiKeySetting;
        }
        if (request.ApiVersion is not null)
        {
            if (request.ApiVersion.Length is 0 or > 20)
            {
                return ProblemResults.Field("api_version", "An anthropic-version value such as 2023-06-01.");
            }
            account.ApiVersion = request.ApiVersion;
        }
        foreach (var (field, value) in new[] { ("rpm", request.Rpm), ("input_tpm", request.InputTpm), ("output_tpm", request.OutputTpm) })
        {
            if (value is < 1)
            {
                return ProblemResults.Field(field, "Must be at least 1.");
            }
        }
        account.Rpm = request.Rpm ?? account.Rpm;
        account.InputTpm = request.InputTpm ?? account.InputTpm;
        account.OutputTpm = request.OutputTpm ?? account.OutputTpm;
        account.OutputBudgetMode = request.OutputBudgetMode ?? account.OutputBudgetMode;
        if (ApplyBatchLimits(request, account) is { } invalidBatch)
        {
            return invalidBatch;
        }
        if (!UsdField.TryRead(request.MonthlyCostLimitUsd, usd => usd >= 0, out var given, out var limit))
        {
            return ProblemResults.Field("monthly_cost_limit_usd", "A number of USD of 0 or more, or null to remove the limit.");
        }
        if (given)
        {
            account.MonthlyCostLimitUsd = limit;
        }
        account.UpdatedAt = now;
        return null;
    }

    /// <summary>The provider-batch limits given; the Message Batches API's own are the most a slice may have.</summary>
    private static ProblemHttpResult? ApplyBatchLimits(AccountRequest request, ProviderAccount account)
    {
        if (request.BatchWindowHours is <= 0 or > 24 * 30)
        {
            return ProblemResults.Field("batch_window_hours", "Hours the provider may take to end a batch: more than 0 (its own is 24).");
        }
        if (request.BatchMaxRequests is < 1 or > ProviderAccount.DefaultBatchMaxRequests)
        {
            return ProblemResults.Field("batch_max_requests", $"Requests per provider batch: 1 to {ProviderAccount.DefaultBatchMaxRequests}.");
        }
        if (request.BatchMaxBytes is < 1024 or > ProviderAccount.DefaultBatchMaxBytes)
        {
            return ProblemResults.Field("batch_max_bytes", $"Bytes per provider batch: 1024 to {ProviderAccount.DefaultBatchMaxBytes}.");
        }
        if (request.BatchQueueLimit is < 1)
        {
            return ProblemResults.Field("batch_queue_limit", "Requests waiting at the provider at once: at least 1.");
        }
        account.BatchWindow = request.BatchWindowHours is { } hours ? TimeSpan.FromHours(hours) : account.BatchWindow;
        account.BatchMaxRequests = request.BatchMaxRequests ?? account.BatchMaxRequests;
        account.BatchMaxBytes = request.BatchMaxBytes ?? account.BatchMaxBytes;
        account.BatchQueueLimit = request.BatchQueueLimit ?? account.BatchQueueLimit;
        return null;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex AccountName();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.:-]{0,199}$", RegexOptions.CultureInvariant)]
    private static partial Regex SettingName();
}
