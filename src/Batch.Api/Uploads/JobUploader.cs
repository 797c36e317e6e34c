using System.Diagnostics;
using Batch.Api.Authentication;
using Batch.Api.Estimates;
using Batch.Api.Jobs;
using Batch.Api.Problems;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Data.Rows;
using Batch.Jobs;
using Hangfire;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Npgsql;
using NpgsqlTypes;

namespace Batch.Api.Uploads;

/// <summary>
/// Turns a <c>multipart/form-data</c> upload into a job: the spec part first, then the file part parsed as it
/// streams in and written with binary COPY in the same transaction as the job row. Any error rolls all of it
/// back and answers problem details that name the lines; a job is stored whole or not at all.
/// </summary>
public sealed partial class JobUploader(
    [FromKeyedServices(JobUploader.DataSourceKey)] NpgsqlDataSource dataSource,
    BatchDbContext db,
    IOptions<UploadOptions> options,
    IOptions<WebhookOptions> webhooks,
    IBackgroundJobClient backgroundJobs,
    TimeProvider time,
    ILogger<JobUploader> logger)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>The uploads' own data source: larger write buffers keep COPY's socket writes few.</summary>
    public const string DataSourceKey = "uploads";
    private const int MaxIdempotencyKeyLength = 200;

    private readonly UploadOptions _limits = options.Value;

    /// <param name="estimator">Asked only for <c>auto</c> delivery with a deadline nearer than the provider's window.</param>
    public Task<IResult> UploadAsync(HttpRequest request, Caller caller, JobEstimator estimator, CancellationToken cancellationToken) =>
        ReadAsync(request, caller, estimator, estimateOnly: false, cancellationToken);

    /// <summary>Reads the same multipart upload with the same checks and errors, stores nothing, and answers what the job would cost.</summary>
    public Task<IResult> EstimateAsync(HttpRequest request, Caller caller, JobEstimator estimator, CancellationToken cancellationToken) =>
        ReadAsync(request, caller, estimator, estimateOnly: true, cancellationToken);

    private async Task<IResult> ReadAsync(HttpRequest request, Caller caller, JobEstimator estimator, bool estimateOnly, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.BatchActivities.Source.StartActivity(estimateOnly ? "batch.estimate" : "batch.upload");
        activity?.SetTag("batch.project", caller.Project);
        try
        {
            return await ReadPartsAsync(request, caller, estimator, estimateOnly, cancellationToken);
        }
        catch (UploadRejectedException rejected)
        {
            return ProblemResults.WithErrors(rejected.StatusCode, rejected.Title, [rejected.Error]);
        }
        catch (BadHttpRequestException tooLarge) when (tooLarge.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            var rejected = UploadRejectedException.TooLarge(_limits.MaxFileBytes);
            return ProblemResults.WithErrors(rejected.StatusCode, rejected.Title, [rejected.Error]);
        }
        catch (IOException broken) when (broken is not EndOfStreamException && !cancellationToken.IsCancellationRequested)
        {
            return ProblemResults.WithErrors(StatusCodes.Status400BadRequest, "The request is not valid",
                [UploadError.ForField("multipart", $"The multipart body could not be read: {broken.Message}")]);
        }
    }

    /// <param name="estimateOnly">The file goes to the estimator and nothing is stored.</param>
    private async Task<IResult> ReadPartsAsync(HttpRequest request, Caller caller, JobEstimator estimator, bool estimateOnly, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw new UploadRejectedException(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
                UploadError.ForField("Content-Type", "Send multipart/form-data with a part 'spec' (JSON) and a part 'file' (CSV or JSONL)."));
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            // The file's own limit is enforced as it is read; the request's is that plus room for the spec.
            bodySize.MaxRequestBodySize = _limits.MaxFileBytes + _limits.MaxSpecBytes + 64 * 1024;
        }

        var idempotencyKey = request.Headers[IdempotencyKeyHeader].ToString();
        if (idempotencyKey.Length > MaxIdempotencyKeyLength)
        {
            return ProblemResults.Field(IdempotencyKeyHeader, $"At most {MaxIdempotencyKeyLength} characters.", StatusCodes.Status400BadRequest);
        }
        var key = idempotencyKey.Length == 0 || estimateOnly ? null : idempotencyKey;
        if (key is not null && await FindByIdempotencyKeyAsync(caller.Project, key, cancellationToken) is { } earlier)
        {
            return TypedResults.Ok(earlier);
        }

        // Large reads through the multipart layer: its 4 KB default makes a 230 MB file a million small reads.
        var reader = new MultipartReader(boundary, request.Body, 64 * 1024);
        JobSpec? spec = null;
        Guid accountId = default;
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
            {
                throw new UploadRejectedException("Every part needs 'Content-Disposition: form-data; name=...'.");
            }
            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
            switch (name)
            {
                case "spec":
                    spec = JobSpec.Parse(await ReadSmallPartAsync(section, cancellationToken));
                    var specErrors = new UploadErrors(_limits.MaxErrors);
                    spec.Validate(specErrors);
                    if (WebhookUrls.Problem(spec.WebhookUrl, webhooks.Value.AllowPrivateNetworks) is { } webhookProblem)
                    {
                        specErrors.ForField("spec.webhook_url", webhookProblem);
                    }
                    if (!specErrors.Any)
                    {
                        accountId = await ResolveAccountAsync(spec.Account, specErrors, cancellationToken);
                    }
                    if (specErrors.Any)
                    {
                        return ProblemResults.WithErrors(StatusCodes.Status422UnprocessableEntity, "The spec is not valid", specErrors.Reported, specErrors.Count);
                    }
                    break;
                case "file":
                    if (spec is null)
                    {
                        throw new UploadRejectedException("Send the 'spec' part before the 'file' part: the spec says how to read the file.");
                    }
                    await using (var file = await UploadFile.OpenAsync(section, disposition, _limits, cancellationToken))
                    {
                        return estimateOnly
                            ? await EstimateFileAsync(spec, accountId, file, caller, estimator, cancellationToken)
                            : await StoreAsync(spec, accountId, file, caller, key, estimator, cancellationToken);
                    }
                default:
                    throw new UploadRejectedException($"Unexpected part '{name}': send a part 'spec' (JSON) and a part 'file' (CSV or JSONL).");
            }
        }
        throw new UploadRejectedException(spec is null ? "The parts 'spec' and 'file' are missing." : "The part 'file' is missing.");
    }

    private async Task<IResult> StoreAsync(
        JobSpec spec, Guid accountId, UploadFile file, Caller caller, string? idempotencyKey, JobEstimator estimator, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var errors = new UploadErrors(_limits.MaxErrors);
        if (CheckSpecForFile(spec, file, errors) is { } invalidSpec)
        {
            return invalidSpec;
        }

        var jobId = Guid.CreateVersion7();
        var now = time.GetUtcNow();
        var account = await db.ProviderAccounts.AsNoTracking().SingleAsync(a => a.Id == accountId, cancellationToken);
        // Only auto with a deadline nearer than the provider's window needs the estimate's time at budget (and takes messages).
        var estimateRows = DeliveryChoice.NeedsEstimate(spec, account, now) ? estimator.StartCounting(spec) : null;
        var delivery = DeliveryChoice.Choose(spec, account, now, minutesAtBudget: null);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var job = new Job
        {
            Id = jobId,
            Project = caller.Project,
            Name = spec.Name ?? Truncate(file.FileName, 200) ?? "Untitled job",
            AccountId = accountId,
            Model = spec.Model ?? "",
            SystemPrompt = spec.System,
            UserTemplate = spec.Template,
            MaxTokens = spec.MaxTokens ?? 0,
            MaxCostUsd = spec.MaxCostUsd,
            DefaultParams = spec.DefaultParamsJson(),
            Priority = spec.Priority ?? 0,
            RowFormat = file.Format == UploadFormat.Csv ? RowFormat.CsvTemplate : RowFormat.JsonlTemplate,
            OutputSchema = spec.HasOutputSchema ? spec.OutputSchema!.Value.GetRawText() : null,
            OutputMode = spec.ParsedOutputMode,
            SchemaRetries = spec.SchemaRetries ?? 1,
            IdempotencyKey = idempotencyKey,
            WebhookUrl = spec.WebhookUrl,
            CreatedByKeyId = caller.KeyId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        delivery.ApplyTo(job, spec, now);
        if (!await InsertJobAsync(connection, job, cancellationToken))
        {
            // Another upload with this key committed while this one began: answer with its job.
            await transaction.RollbackAsync(cancellationToken);
            return TypedResults.Ok(await FindByIdempotencyKeyAsync(caller.Project, idempotencyKey!, cancellationToken));
        }

        await using var copy = await RowBlockWriter.StartAsync(connection, jobId, cancellationToken);
        var parsed = await ParseRowsAsync(spec, file, errors, async (format, customId, input, token) =>
        {
            await copy.WriteAsync(customId, input.Span, token);
            if (estimateRows is not null)
            {
                await estimateRows.AddAsync(format, customId, input, token);
            }
        }, cancellationToken);
        if (errors.Any)
        {
            return ProblemResults.FromUploadErrors(errors);
        }
        if (estimateRows is not null)
        {
            var estimate = await estimator.EstimateAsync(spec, accountId, parsed, estimateRows, caller, cancellationToken);
            delivery = DeliveryChoice.Choose(spec, account, now, estimate.MinutesAtBudget);
            job.DeliveryReason = delivery.Reason;
        }

        await copy.CompleteAsync(cancellationToken);

        job.RowCount = copy.Rows;
        job.RowFormat = parsed.Format;
        job.Model = parsed.Model;
        job.Columns = parsed.Columns;
        job.IdColumn = parsed.IdColumn;
        job.Notes = [.. await UploadNotes.ForModelAsync(db, job.Model, cancellationToken), .. delivery.Notes];
        await FinishJobAsync(connection, job, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        backgroundJobs.EnqueueStart(jobId, job.Name);
        LogJobCreated(logger, jobId, job.RowCount, file.Counted.BytesRead, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return TypedResults.Created(JobLinks.For(jobId).Self,
            new JobCreated(jobId, job.RowCount, job.Status, job.Notes, JobLinks.For(jobId), job.Delivery, job.DeliveryReason));
    }

    private async Task<IResult> EstimateFileAsync(JobSpec spec, Guid accountId, UploadFile file, Caller caller, JobEstimator estimator, CancellationToken cancellationToken)
    {
        var errors = new UploadErrors(_limits.MaxErrors);
        if (CheckSpecForFile(spec, file, errors) is { } invalidSpec)
        {
            return invalidSpec;
        }
        var rows = estimator.StartCounting(spec);
        var parsed = await ParseRowsAsync(spec, file, errors, rows.AddAsync, cancellationToken);
        if (errors.Any)
        {
            return ProblemResults.FromUploadErrors(errors);
        }
        var estimate = await estimator.EstimateAsync(spec, accountId, parsed, rows, caller, cancellationToken);
        var account = await db.ProviderAccounts.AsNoTracking().SingleAsync(a => a.Id == accountId, cancellationToken);
        return TypedResults.Ok(estimate with { Delivery = DeliveryChoice.Choose(spec, account, time.GetUtcNow(), estimate.MinutesAtBudget) });
    }

    /// <summary>The spec's fields a CSV file needs (JSONL files are checked once their shape is known); a 422 when some are missing.</summary>
    private static IResult? CheckSpecForFile(JobSpec spec, UploadFile file, UploadErrors errors)
    {
        if (file.Format == UploadFormat.Csv)
        {
            RequireTemplateFields(spec, errors);
        }
        return errors.Any
            ? ProblemResults.WithErrors(StatusCodes.Status422UnprocessableEntity, "The spec is not valid", errors.Reported, errors.Count)
            : null;
    }

    /// <summary>
    /// The one parsing pipeline of an upload: reads the file as it streams in, checks every row and hands each valid row
    /// (while the file has no error) to <paramref name="write"/> with the rows' shape: the block writer to store it, or an
    /// estimate to count it. Errors are added to <paramref name="errors"/>.
    /// </summary>
    private async Task<ParsedFile> ParseRowsAsync(
        JobSpec spec, UploadFile file, UploadErrors errors, Func<RowFormat, string, ReadOnlyMemory<byte>, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var csv = new CsvRowReader(_limits, errors);
        var jsonl = new JsonlRowReader(_limits, errors, spec);
        var rows = file.Format == UploadFormat.Csv
            ? csv.ReadAsync(file.Reader.AsStream(), spec.CsvDelimiter?[0] ?? file.DefaultDelimiter, spec.Placeholders, spec.IdColumn, cancellationToken)
            : jsonl.ReadAsync(file.Reader, cancellationToken);
        var customIds = new CustomIds(errors);
        long rowNumber = 0;
        try
        {
            await foreach (var row in rows)
            {
                var idColumn = file.Format == UploadFormat.Csv ? csv.IdColumn : spec.IdColumn is { Length: > 0 } ? spec.IdColumn : null;
                var customId = customIds.Resolve(row.Line, ++rowNumber, row.CustomId, fileMayMixIds: file.Format == UploadFormat.Jsonl, idColumn);
                if (!errors.Any)
                {
                    await write(file.Format == UploadFormat.Csv ? RowFormat.CsvTemplate : jsonl.Format!.Value, customId, row.Input, cancellationToken);
                }
                if (errors.IsFull)
                {
                    break;
                }
            }
        }
        catch (UploadRejectedException rejected) when (rejected.StatusCode == StatusCodes.Status422UnprocessableEntity)
        {
            errors.Add(rejected.Error);
        }
        catch (InvalidDataException corrupt)
        {
            errors.Add(UploadError.ForField("file", $"The gzip data is corrupt: {corrupt.Message}"));
        }

        if (file.Format == UploadFormat.Csv)
        {
            return new ParsedFile(rowNumber, RowFormat.CsvTemplate, spec.Model ?? "", csv.Columns, csv.IdColumn);
        }
        var format = jsonl.Format ?? RowFormat.JsonlTemplate;
        if (format == RowFormat.JsonlParams && spec.Template is not null)
        {
            errors.ForField("spec.template", "The file holds {\"custom_id\", \"params\"} lines, which carry their own messages; remove the template.");
        }
        if (format == RowFormat.JsonlParams && spec.IdColumn is { Length: > 0 })
        {
            errors.ForField("spec.id_column", "The file holds {\"custom_id\", \"params\"} lines, which carry their own custom_id; remove id_column.");
        }
        else if (format == RowFormat.JsonlTemplate && jsonl.Format is not null)
        {
            RequireTemplateFields(spec, errors);
        }
        return new ParsedFile(rowNumber, format, spec.Model ?? jsonl.FirstModel ?? "", [.. jsonl.Columns],
            format == RowFormat.JsonlTemplate && spec.IdColumn is { Length: > 0 } ? spec.IdColumn : null);
    }

    private static void RequireTemplateFields(JobSpec spec, UploadErrors errors)
    {
        if (spec.Template is null)
        {
            errors.ForField("spec.template", "Required for template rows: the user message with {{column}} placeholders.");
        }
        if (spec.Model is null)
        {
            errors.ForField("spec.model", "Required for template rows.");
        }
        if (spec.MaxTokens is null)
        {
            errors.ForField("spec.max_tokens", "Required for template rows.");
        }
    }

    private async Task<byte[]> ReadSmallPartAsync(MultipartSection section, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await section.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > _limits.MaxSpecBytes)
            {
                throw new UploadRejectedException(StatusCodes.Status413PayloadTooLarge, "The spec is too large",
                    UploadError.ForField("spec", $"The spec is larger than {_limits.MaxSpecBytes:N0} bytes (Batch:Uploads:MaxSpecBytes)."));
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private async Task<Guid> ResolveAccountAsync(string? name, UploadErrors errors, CancellationToken cancellationToken)
    {
        var accounts = db.ProviderAccounts.AsNoTracking();
        var id = await (name is null ? accounts.Where(a => a.IsDefault) : accounts.Where(a => a.Name == name))
            .Select(a => (Guid?)a.Id)
            .FirstOrDefaultAsync(cancellationToken);
        if (id is null)
        {
            errors.ForField("spec.account", name is null ? "No default provider account is configured." : $"No provider account is named '{name}'.");
        }
        return id ?? default;
    }

    private async Task<JobCreated?> FindByIdempotencyKeyAsync(string project, string key, CancellationToken cancellationToken)
    {
        var job = await db.Jobs.AsNoTracking()
            .Where(j => j.Project == project && j.IdempotencyKey == key)
            .Select(j => new { j.Id, j.RowCount, j.Status, j.Notes })
            .SingleOrDefaultAsync(cancellationToken);
        return job is null ? null : new JobCreated(job.Id, job.RowCount, job.Status, job.Notes, JobLinks.For(job.Id));
    }

    /// <summary>Inserts the job in the upload's transaction; false when an earlier upload already holds its idempotency key.</summary>
    internal static async Task<bool> InsertJobAsync(NpgsqlConnection connection, Job job, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO batch.jobs (id, project, name, status, account_id, model, system_prompt, user_template, max_tokens, max_cost_usd, default_params,
                cache_ttl, priority, row_format, columns, output_schema, output_mode, schema_retries, idempotency_key, webhook_url, created_by_key_id, row_count,
                succeeded_rows, failed_rows, canceled_rows, input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens,
                output_tokens, cost_usd, created_at, updated_at, expires_at, delivery_requested, delivery, delivery_reason, deadline_at, deadline_after)
            VALUES (@id, @project, @name, @status, @account_id, @model, @system_prompt, @user_template, @max_tokens, @max_cost_usd, @default_params,
                @cache_ttl, @priority, @row_format, @columns, @output_schema, @output_mode, @schema_retries, @idempotency_key, @webhook_url, @created_by_key_id, 0,
                0, 0, 0, 0, 0, 0, 0, 0, 0, @now, @now, @expires_at, @delivery_requested, @delivery, @delivery_reason, @deadline_at, @deadline_after)
            ON CONFLICT (project, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            """, connection);
        var p = command.Parameters;
        p.AddWithValue("id", job.Id);
        p.AddWithValue("project", job.Project);
        p.AddWithValue("name", job.Name);
        p.AddWithValue("status", (short)job.Status);
        p.AddWithValue("account_id", job.AccountId);
        p.AddWithValue("model", job.Model);
        p.AddWithValue("system_prompt", NpgsqlDbType.Text, (object?)job.SystemPrompt ?? DBNull.Value);
        p.AddWithValue("user_template", NpgsqlDbType.Text, (object?)job.UserTemplate ?? DBNull.Value);
        p.AddWithValue("max_tokens", job.MaxTokens);
        p.AddWithValue("max_cost_usd", NpgsqlDbType.Numeric, (object?)job.MaxCostUsd ?? DBNull.Value);
        p.AddWithValue("default_params", NpgsqlDbType.Jsonb, job.DefaultParams);
        p.AddWithValue("cache_ttl", (short)job.CacheTtl);
        p.AddWithValue("priority", job.Priority);
        p.AddWithValue("row_format", (short)job.RowFormat);
        p.AddWithValue("columns", job.Columns);
        p.AddWithValue("output_schema", NpgsqlDbType.Json, (object?)job.OutputSchema ?? DBNull.Value);
        p.AddWithValue("output_mode", (short)job.OutputMode);
        p.AddWithValue("schema_retries", job.SchemaRetries);
        p.AddWithValue("idempotency_key", NpgsqlDbType.Varchar, (object?)job.IdempotencyKey ?? DBNull.Value);
        p.AddWithValue("webhook_url", NpgsqlDbType.Varchar, (object?)job.WebhookUrl ?? DBNull.Value);
        p.AddWithValue("created_by_key_id", NpgsqlDbType.Uuid, (object?)job.CreatedByKeyId ?? DBNull.Value);
        p.AddWithValue("now", job.CreatedAt);
        p.AddWithValue("expires_at", NpgsqlDbType.TimestampTz, (object?)job.ExpiresAt ?? DBNull.Value);
        p.AddWithValue("delivery_requested", (short)job.DeliveryRequested);
        p.AddWithValue("delivery", (short)job.Delivery);
        p.AddWithValue("delivery_reason", NpgsqlDbType.Text, (object?)job.DeliveryReason ?? DBNull.Value);
        p.AddWithValue("deadline_at", NpgsqlDbType.TimestampTz, (object?)job.DeadlineAt ?? DBNull.Value);
        p.AddWithValue("deadline_after", NpgsqlDbType.Interval, (object?)job.DeadlineAfter ?? DBNull.Value);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Records what is known only once the whole file is read.</summary>
    internal static async Task FinishJobAsync(NpgsqlConnection connection, Job job, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            UPDATE batch.jobs SET row_count = @row_count, row_format = @row_format, columns = @columns, model = @model, id_column = @id_column, notes = @notes,
                delivery_reason = @delivery_reason
            WHERE id = @id
            """, connection);
        command.Parameters.AddWithValue("id", job.Id);
        command.Parameters.AddWithValue("row_count", job.RowCount);
        command.Parameters.AddWithValue("row_format", (short)job.RowFormat);
        command.Parameters.AddWithValue("columns", job.Columns);
        command.Parameters.AddWithValue("model", job.Model);
        command.Parameters.AddWithValue("id_column", NpgsqlDbType.Varchar, (object?)job.IdColumn ?? DBNull.Value);
        command.Parameters.AddWithValue("notes", job.Notes);
        command.Parameters.AddWithValue("delivery_reason", NpgsqlDbType.Text, (object?)job.DeliveryReason ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string? Truncate(string? value, int length) => value is null || value.Length <= length ? value : value[..length];

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} created: {Rows} rows, {Bytes} bytes in {ElapsedMs:F0} ms")]
    private static partial void LogJobCreated(ILogger logger, Guid jobId, int rows, long bytes, double elapsedMs);
}
