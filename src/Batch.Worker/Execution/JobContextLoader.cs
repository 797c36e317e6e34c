using System.Text.Json;
using System.Text.Json.Nodes;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Data.Pricing;
using Batch.Data.Rows;
using Batch.Worker.Requests;
using Microsoft.EntityFrameworkCore;

namespace Batch.Worker.Execution;

/// <summary>Loads a job's spec, account, model setting and the price table.</summary>
internal sealed class JobContextLoader(BatchDbContext db, RowStore store)
{
    /// <summary>
    /// The job ready to run, or null when it does not exist or cannot be run as specified; in that case it is
    /// marked failed with the reason, so neither the starter nor a chunk keeps trying.
    /// </summary>
    public async Task<JobContext?> LoadRunnableAsync(Guid jobId, CancellationToken cancellationToken)
    {
        try
        {
            return await LoadAsync(jobId, cancellationToken);
        }
        catch (InvalidJobException e)
        {
            await store.StopAsync(jobId, JobStatus.Failed, e.Message, cancellationToken);
            return null;
        }
    }

    /// <summary>Null when the job does not exist.</summary>
    /// <exception cref="InvalidJobException">The job cannot be run as specified.</exception>
    public async Task<JobContext?> LoadAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var job = await db.Jobs.AsNoTracking().Include(j => j.Account).SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
        if (job is null)
        {
            return null;
        }
        if (job.Account is null)
        {
            throw new InvalidJobException("The job's provider account no longer exists.");
        }
        if (job.RowFormat != RowFormat.JsonlParams && string.IsNullOrEmpty(job.UserTemplate))
        {
            throw new InvalidJobException("The job has template rows but no user template.");
        }
        JsonObject defaults;
        try
        {
            defaults = JsonNode.Parse(string.IsNullOrWhiteSpace(job.DefaultParams) ? "{}" : job.DefaultParams) as JsonObject
                ?? throw new InvalidJobException("The job's default params are not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidJobException($"The job's default params are not valid JSON: {e.Message}");
        }

        var settings = await db.ModelSettings.AsNoTracking().ToListAsync(cancellationToken);
        var setting = ModelSetting.For(settings, job.Model);
        StructuredOutput? output;
        try
        {
            output = StructuredOutput.Create(job, settings);
        }
        catch (ArgumentException e)
        {
            throw new InvalidJobException($"The job's output schema cannot be used: {e.Message}");
        }
        var prices = await PriceBook.LoadAsync(db, cancellationToken);

        return new JobContext(
            job.Id,
            job.Name,
            job.Status,
            job.Model,
            job.MaxTokens,
            job.Priority,
            job.RowFormat,
            job.SystemPrompt,
            job.UserTemplate is null ? null : new TemplateRenderer(job.UserTemplate),
            defaults,
            job.CacheTtl,
            job.Account,
            setting,
            prices,
            job.Delivery,
            job.DeadlineAt,
            output,
            job.RowCount);
    }
}

/// <summary>A job that cannot run as specified; it is marked failed with this message as the reason.</summary>
internal sealed class InvalidJobException(string message) : Exception(message);
