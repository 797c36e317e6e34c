using Batch.Api.Authentication;
using Batch.Api.Uploads;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Data.Rows;
using Batch.Jobs;
using Hangfire;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Batch.Api.Batches;

/// <summary>
/// Creates a batch: a params-format job of the caller's project, its requests parsed as the body streams in and written
/// as the upload's row blocks with binary COPY in the transaction that inserts the job. Any error rolls all of it back.
/// </summary>
public sealed partial class MessageBatchCreator(
    [FromKeyedServices(JobUploader.DataSourceKey)] NpgsqlDataSource dataSource,
    BatchDbContext db,
    IOptions<UploadOptions> uploadOptions,
    IOptions<BatchesOptions> options,
    IBackgroundJobClient backgroundJobs,
    TimeProvider time,
    ILogger<MessageBatchCreator> logger)
{
    /// <summary>The job created, or the error to answer.</summary>
    /// <param name="delivery">Asked for in the create's headers; null for Messages requests.</param>
    public async Task<(Job? Job, AnthropicError? Error)> CreateAsync(
        HttpRequest request, Caller caller, CancellationToken cancellationToken, MessageBatchDelivery? delivery = null)
    {
        var limits = options.Value;
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limits.MaxBodyBytes;
        }
        try
        {
            return await StoreAsync(request, caller, limits, delivery, cancellationToken);
        }
        catch (BadHttpRequestException tooLarge) when (tooLarge.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, AnthropicError.TooLarge($"The body is larger than {limits.MaxBodyBytes:N0} bytes (Batch:Batches:MaxBodyBytes)."));
        }
    }

    private async Task<(Job?, AnthropicError?)> StoreAsync(
        HttpRequest request, Caller caller, BatchesOptions limits, MessageBatchDelivery? delivery, CancellationToken cancellationToken)
    {
        var accountId = await db.ProviderAccounts.AsNoTracking().Where(a => a.IsDefault).Select(a => (Guid?)a.Id).FirstOrDefaultAsync(cancellationToken);
        if (accountId is null)
        {
            return (null, AnthropicError.ForStatus(StatusCodes.Status500InternalServerError, "No default provider account is configured."));
        }
        var now = time.GetUtcNow();
        var job = new Job
        {
            Id = Guid.CreateVersion7(),
            Project = caller.Project,
            Name = $"Message batch {now:yyyy-MM-dd HH:mm:ss}Z",
            AccountId = accountId.Value,
            Model = "",
            RowFormat = RowFormat.JsonlParams,
            CreatedByKeyId = caller.KeyId,
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = now + limits.Expiry,
        };
        var deliveryNotes = delivery is null ? [] : await delivery.ApplyAsync(db, job, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await JobUploader.InsertJobAsync(connection, job, cancellationToken);
        await using var copy = await RowBlockWriter.StartAsync(connection, job.Id, cancellationToken);
        var reader = new BatchRequestReader(uploadOptions.Value, limits);
        if (await reader.ReadAsync(request.BodyReader, (customId, input, token) => copy.WriteAsync(customId, input.Span, token), cancellationToken) is { } error)
        {
            return (null, error);
        }
        await copy.CompleteAsync(cancellationToken);

        job.RowCount = copy.Rows;
        job.Model = reader.FirstModel ?? "";
        job.Notes = [.. await UploadNotes.ForModelAsync(db, job.Model, cancellationToken), .. deliveryNotes];
        await JobUploader.FinishJobAsync(connection, job, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        backgroundJobs.EnqueueStart(job.Id, job.Name);
        LogCreated(logger, job.Id, job.RowCount);
        return (job, null);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Message batch {JobId} created: {Rows} requests")]
    private static partial void LogCreated(ILogger logger, Guid jobId, int rows);
}
