using Batch.Data.Entities;
using Microsoft.Net.Http.Headers;
using Npgsql;

namespace Batch.Api.ResultFiles;

public enum ResultsFormat
{
    Jsonl,
    Csv,
}

/// <summary>Streams a job's results into the response body as they are read; memory stays flat whatever the job's size.</summary>
/// <param name="byteOrderMark">CSV only: start with a UTF-8 BOM (for Excel).</param>
/// <param name="batchFields">JSONL only: add Batch's own fields beside Anthropic's result (an Anthropic-compatible route does not).</param>
public sealed class ResultsDownload(Job job, ResultsFormat format, string contentType, bool includePending, bool byteOrderMark, bool batchFields = true) : IResult
{
    public static readonly string[] JsonlContentTypes = ["application/jsonl", "application/x-ndjson", "application/json-lines"];
    public const string CsvContentType = "text/csv";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var cancellationToken = httpContext.RequestAborted;
        var dataSource = httpContext.RequestServices.GetRequiredService<NpgsqlDataSource>();
        var inputColumns = format == ResultsFormat.Csv ? job.Columns : [];

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var rows = await ResultRows.OpenAsync(connection, job.Id, inputColumns, includePending, cancellationToken);

        var response = httpContext.Response;
        response.ContentType = contentType + "; charset=utf-8";
        response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment")
        {
            FileName = $"{job.Id}.{(format == ResultsFormat.Csv ? "csv" : "jsonl")}",
        }.ToString();
        if (format == ResultsFormat.Csv)
        {
            await CsvResultsWriter.WriteAsync(
                rows, inputColumns, job.IdColumn, SchemaColumns.Of(job.OutputSchema), byteOrderMark, response.Body, cancellationToken);
        }
        else
        {
            await JsonlResultsWriter.WriteAsync(rows, job, batchFields, response.BodyWriter, cancellationToken);
        }
    }

    /// <summary><c>?format=</c> wins; otherwise the first acceptable type of <c>Accept</c>; JSONL when nothing says.</summary>
    public static (ResultsFormat Format, string ContentType)? Negotiate(string? format, HttpRequest request)
    {
        switch (format?.ToLowerInvariant())
        {
            case "csv":
                return (ResultsFormat.Csv, CsvContentType);
            case "jsonl" or "ndjson":
                return (ResultsFormat.Jsonl, JsonlContentTypes[0]);
            case null or "":
                break;
            default:
                return null;
        }
        foreach (var accepted in request.GetTypedHeaders().Accept.OrderByDescending(a => a.Quality ?? 1))
        {
            var type = accepted.MediaType.Value?.ToLowerInvariant();
            if (type == CsvContentType)
            {
                return (ResultsFormat.Csv, CsvContentType);
            }
            if (type is not null && JsonlContentTypes.Contains(type))
            {
                return (ResultsFormat.Jsonl, type);
            }
        }
        return (ResultsFormat.Jsonl, JsonlContentTypes[0]);
    }
}
