using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Batch.Api.Authentication;
using Batch.Api.Uploads;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Data.Rows;
using Batch.Jobs;
using Hangfire;
using Hangfire.Storage;
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
            return await StoreAsync(request.BodyReader, caller, limits, delivery, warmUpOnly: false, cancellationToken);
        }
        catch (BadHttpRequestException tooLarge) when (tooLarge.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, AnthropicError.TooLarge($"The body is larger than {limits.MaxBodyBytes:N0} bytes (Batch:Batches:MaxBodyBytes)."));
        }
    }

    /// <summary>
    /// Creates a small batch and rolls it back, and serializes its start as an enqueue would: run once before the API
    /// listens, so the first create or upload after a start does not pay for the first use of Npgsql's type mappings,
    /// EF Core's query, Hangfire's serializer and the parsing code (about 2,500 methods compiled: a third of the first
    /// 100k-request create in a fresh process).
    /// </summary>
    /// <returns>The requests the rolled-back batch held.</returns>
    public async Task<int> WarmUpAsync(CancellationToken cancellationToken)
    {
        var body = PipeReader.Create(new ReadOnlySequence<byte>(WarmUpBody()));
        var (job, error) = await StoreAsync(body, new Caller("warm-up", IsAdmin: false, KeyId: null), options.Value, delivery: null, warmUpOnly: true, cancellationToken);
        if (error is not null)
        {
            throw new InvalidOperationException($"The warm-up batch was refused: {error.Message}");
        }
        _ = InvocationData.SerializeJob(Hangfire.Common.Job.FromExpression(JobStarts.Start(job!.Id, job.Name)));
        return job.RowCount;
    }

    // Built when needed and let go: it serves once per start.
    private static byte[] WarmUpBody() => Encoding.UTF8.GetBytes(
        "{\"requests\": [" + string.Join(",", Enumerable.Range(1, 200).Select(i =>
            $"{{\"custom_id\": \"warm-{i}\", \"params\": {{\"model\": \"claude-haiku-4-5\", \"max_tokens\": 16, " +
            $"\"system\": [{{\"type\": \"text\", \"text\": \"Answer in one word.\", \"cache_control\": {{\"type\": \"ephemeral\"}}}}], " +
            $"\"messages\": [{{\"role\": \"user\", \"content\": \"Say {i}.\"}}]}}}}")) + "]}");

    private async Task<(Job?, AnthropicError?)> StoreAsync(
        PipeReader body, Caller caller, BatchesOptions limits, MessageBatchDelivery? delivery, bool warmUpOnly, CancellationToken cancellationToken)
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
        if (await reader.ReadAsync(body, (customId, input, token) => copy.WriteAsync(customId, input.Span, token), cancellationToken) is { } error)
        {
            return (null, error);
        }
        await copy.CompleteAsync(cancellationToken);

        job.RowCount = copy.Rows;
        job.Model = reader.FirstModel ?? "";
        job.Notes = [.. await UploadNotes.ForModelAsync(db, job.Model, cancellationToken), .. deliveryNotes];
        await JobUploader.FinishJobAsync(connection, job, cancellationToken);
        if (warmUpOnly)
        {
            await transaction.RollbackAsync(cancellationToken);
            return (job, null);
        }
        await transaction.CommitAsync(cancellationToken);

        backgroundJobs.EnqueueStart(job.Id, job.Name);
        LogCreated(logger, job.Id, job.RowCount);
        return (job, null);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Message batch {JobId} created: {Rows} requests")]
    private static partial void LogCreated(ILogger logger, Guid jobId, int rows);
}
