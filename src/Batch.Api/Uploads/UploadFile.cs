using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using Batch.Api.Problems;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Batch.Api.Uploads;

public enum UploadFormat
{
    Csv,
    Jsonl,
}

/// <summary>
/// The <c>file</c> part, opened for reading: its format (from the content type, else the extension, else the
/// first byte), gzip undone when declared or recognised by its magic bytes, and every byte checked by
/// <see cref="UploadStream"/>. A task of its own receives, decompresses and checks the bytes into a pipe of at most
/// <see cref="PipeBytes"/>, so that work runs beside the parsing rather than between its reads.
/// </summary>
public sealed class UploadFile : IAsyncDisposable
{
    private const int PipeBytes = 1 << 20;

    private static readonly string[] CsvTypes = ["text/csv", "application/csv", "text/comma-separated-values"];
    private static readonly string[] TsvTypes = ["text/tab-separated-values"];
    private static readonly string[] JsonlTypes = ["application/jsonl", "application/x-ndjson", "application/ndjson", "application/jsonlines", "application/x-jsonlines", "application/json-lines", "application/json"];
    private static readonly string[] GzipTypes = ["application/gzip", "application/x-gzip"];
    // Browsers and curl label files generically; the name or the content decides then. Windows labels .csv as Excel.
    private static readonly string[] GenericTypes = ["", "application/octet-stream", "text/plain", "application/vnd.ms-excel", "binary/octet-stream"];

    private readonly Task _receiving;
    private readonly CancellationTokenSource _stopReceiving;

    private UploadFile(char defaultDelimiter, string? fileName, PipeReader reader, UploadStream counted, Task receiving, CancellationTokenSource stopReceiving)
    {
        _receiving = receiving;
        _stopReceiving = stopReceiving;
        DefaultDelimiter = defaultDelimiter;
        FileName = fileName;
        Reader = reader;
        Counted = counted;
    }

    public UploadFormat Format { get; private set; }

    public char DefaultDelimiter { get; }

    public string? FileName { get; }

    /// <summary>The decoded, checked bytes of the file.</summary>
    public PipeReader Reader { get; }

    internal UploadStream Counted { get; }

    public static async Task<UploadFile> OpenAsync(MultipartSection section, ContentDispositionHeaderValue disposition, UploadOptions options, CancellationToken cancellationToken)
    {
        var fileName = disposition.FileName.HasValue ? disposition.FileName.Value : disposition.FileNameStar.Value;
        var name = fileName ?? "";
        var gzip = string.Equals(section.Headers?.GetValueOrDefault(HeaderNames.ContentEncoding).ToString(), "gzip", StringComparison.OrdinalIgnoreCase);
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            gzip = true;
            name = name[..^3];
        }

        var mediaType = MediaTypeHeaderValue.TryParse(section.ContentType, out var parsed) ? parsed.MediaType.Value?.ToLowerInvariant() ?? "" : "";
        if (GzipTypes.Contains(mediaType))
        {
            gzip = true;
            mediaType = "";
        }

        var (format, delimiter) = FromMediaType(mediaType, Path.GetExtension(name).ToLowerInvariant());

        var raw = PipeReader.Create(section.Body);
        gzip |= await StartsWithAsync(raw, [0x1f, 0x8b], cancellationToken);
        var trailer = gzip ? new GzipTrailer(raw.AsStream()) : null;
        var decoded = trailer is null ? raw.AsStream() : new GZipStream(trailer, CompressionMode.Decompress);
        var counted = new UploadStream(decoded, options.MaxFileBytes, checkUtf8: true);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PipeBytes, resumeWriterThreshold: PipeBytes / 2, minimumSegmentSize: 64 * 1024, useSynchronizationContext: false));
        var stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receiving = Task.Run(() => ReceiveAsync(counted, trailer, pipe.Writer, stopReceiving.Token), CancellationToken.None);
        var file = new UploadFile(delimiter, fileName, pipe.Reader, counted, receiving, stopReceiving);
        try
        {
            file.Format = format ?? await SniffAsync(pipe.Reader, cancellationToken);
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
        return file;
    }

    /// <summary>Stops receiving (the parser is done, or gave up) and waits for the receiving task to let go of the request body.</summary>
    public async ValueTask DisposeAsync()
    {
        await Reader.CompleteAsync();
        await _stopReceiving.CancelAsync();
        await _receiving;
        _stopReceiving.Dispose();
    }

    /// <summary>Copies the checked bytes into the pipe; any failure (too large, not UTF-8, a broken connection) reaches the parser's next read.</summary>
    private static async Task ReceiveAsync(UploadStream source, GzipTrailer? trailer, PipeWriter pipe, CancellationToken cancellationToken)
    {
        try
        {
            await source.CopyToAsync(pipe, cancellationToken);
            if (trailer is not null && !trailer.Matches(source.BytesRead))
            {
                throw UploadRejectedException.InFile(UploadError.ForField("file",
                    $"The gzip data ends early: {source.BytesRead:N0} bytes came out, and the file's own length record does not agree, so the file was cut short; send the whole file again."));
            }
            await pipe.CompleteAsync();
        }
#pragma warning disable CA1031 // Not swallowed: the pipe hands it to the reader.
        catch (Exception e)
#pragma warning restore CA1031
        {
            await pipe.CompleteAsync(e);
        }
    }

    private static (UploadFormat? Format, char Delimiter) FromMediaType(string mediaType, string extension)
    {
        if (CsvTypes.Contains(mediaType))
        {
            return (UploadFormat.Csv, extension == ".tsv" ? '\t' : ',');
        }
        if (TsvTypes.Contains(mediaType))
        {
            return (UploadFormat.Csv, '\t');
        }
        if (JsonlTypes.Contains(mediaType))
        {
            return (UploadFormat.Jsonl, ',');
        }
        if (!GenericTypes.Contains(mediaType))
        {
            throw Unsupported($"The file's content type '{mediaType}' is not supported.");
        }
        return extension switch
        {
            ".csv" => (UploadFormat.Csv, ','),
            ".tsv" or ".tab" => (UploadFormat.Csv, '\t'),
            ".jsonl" or ".ndjson" or ".json" => (UploadFormat.Jsonl, ','),
            "" or ".txt" => (null, ','),
            _ => throw Unsupported($"Files named '*{extension}' are not supported."),
        };
    }

    private static UploadRejectedException Unsupported(string what) => new(
        StatusCodes.Status415UnsupportedMediaType, "Unsupported file type",
        UploadError.ForField("file", what + " Send CSV (text/csv, *.csv) or JSONL (application/jsonl, *.jsonl), optionally gzip-compressed."));

    private static async Task<bool> StartsWithAsync(PipeReader reader, byte[] prefix, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.Length >= prefix.Length || result.IsCompleted)
            {
                var matches = buffer.Length >= prefix.Length && buffer.Slice(0, prefix.Length).ToArray().AsSpan().SequenceEqual(prefix);
                reader.AdvanceTo(buffer.Start);
                return matches;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>A file without a telling name or type: JSONL when its first non-blank character opens an object.</summary>
    private static async Task<UploadFormat> SniffAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var first = FirstSignificantByte(buffer);
            if (first is not null || result.IsCompleted || buffer.Length > 64 * 1024)
            {
                reader.AdvanceTo(buffer.Start);
                return first == (byte)'{' ? UploadFormat.Jsonl : UploadFormat.Csv;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static byte? FirstSignificantByte(ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF))
                {
                    return b;
                }
            }
        }
        return null;
    }
}
