using Microsoft.Extensions.Options;
using Npgsql;

namespace Batch.Budgets;

/// <summary>Which rate-limit class a model belongs to, and whether its cache reads count toward ITPM.</summary>
public readonly record struct ModelClass(string Name, bool CacheReadsCount);

/// <summary>
/// Maps models to rate-limit classes from <c>model_settings</c> (exact name first, then the longest prefix); a model
/// no row matches is a class of its own. The table is re-read every <see cref="BudgetOptions.ModelSettingsRefresh"/>.
/// </summary>
public sealed class ModelClasses(NpgsqlDataSource dataSource, IOptions<BudgetOptions> options, TimeProvider time)
{
    /// <summary>The class of <c>count_tokens</c> requests: the provider limits them apart from messages, so their budget is apart too.</summary>
    public const string CountTokens = "count_tokens";

    private readonly SemaphoreSlim _loading = new(1, 1);
    private volatile Snapshot? _snapshot;

    public async ValueTask<ModelClass> ResolveAsync(string model, CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        if (snapshot is null || time.GetUtcNow() >= snapshot.ExpiresAt)
        {
            snapshot = await LoadAsync(cancellationToken);
        }
        return Resolve(snapshot.Settings, model);
    }

    /// <summary>Exact match first, then the longest prefix; otherwise the model is its own class.</summary>
    public static ModelClass Resolve(IReadOnlyList<(string Prefix, ModelClass Class)> settings, string model)
    {
        ModelClass? best = null;
        var bestLength = -1;
        foreach (var (prefix, modelClass) in settings)
        {
            if (prefix == model)
            {
                return modelClass;
            }
            if (prefix.Length > bestLength && model.StartsWith(prefix, StringComparison.Ordinal))
            {
                best = modelClass;
                bestLength = prefix.Length;
            }
        }
        return best ?? new ModelClass(model, false);
    }

    private async Task<Snapshot> LoadAsync(CancellationToken cancellationToken)
    {
        await _loading.WaitAsync(cancellationToken);
        try
        {
            if (_snapshot is { } fresh && time.GetUtcNow() < fresh.ExpiresAt)
            {
                return fresh;
            }
            var settings = new List<(string, ModelClass)>();
            await using (var command = dataSource.CreateCommand(
                "SELECT model_prefix, model_class, cache_reads_count_toward_input_tpm FROM batch.model_settings"))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    settings.Add((reader.GetString(0), new ModelClass(reader.GetString(1), reader.GetBoolean(2))));
                }
            }
            var snapshot = new Snapshot(settings, time.GetUtcNow() + options.Value.ModelSettingsRefresh);
            _snapshot = snapshot;
            return snapshot;
        }
        finally
        {
            _loading.Release();
        }
    }

    private sealed record Snapshot(IReadOnlyList<(string Prefix, ModelClass Class)> Settings, DateTimeOffset ExpiresAt);
}
