using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Batch.Api.Problems;
using CsvHelper;
using CsvHelper.Configuration;

namespace Batch.Api.Uploads;

/// <summary>
/// Reads an RFC 4180 CSV as it streams in (CsvHelper's parser): a header row, then rows stored as
/// <c>{column: value}</c>. Every error names the line the row starts on.
/// </summary>
public sealed class CsvRowReader(UploadOptions options, UploadErrors errors)
{
    public const string CustomIdColumn = "custom_id";
    public const string IdColumnFallback = "id";

    /// <summary>The header's column names, known once the first row is returned.</summary>
    public string[] Columns { get; private set; } = [];

    /// <summary>The column whose values are the custom_ids, known with <see cref="Columns"/>; null when rows are numbered.</summary>
    public string? IdColumn { get; private set; }

    /// <param name="idColumn">The spec's <c>id_column</c>: a column name, <c>""</c> to number the rows, or null to look for one.</param>
    public async IAsyncEnumerable<UploadRow> ReadAsync(
        Stream stream, char delimiter, IReadOnlyList<string> placeholders, string? idColumn, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The UTF-8 preamble given here makes the reader skip a BOM; no other encoding is detected.
        using var text = new StreamReader(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024, leaveOpen: true);
        string? badQuoting = null;
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            Delimiter = delimiter.ToString(),
            DetectDelimiter = false,
            Mode = CsvMode.RFC4180,
            IgnoreBlankLines = true,
            MaxFieldSize = options.MaxFieldBytes,
            BufferSize = 64 * 1024,
            BadDataFound = args => badQuoting ??= $"Bad quoting near \"{Shorten(args.Field)}\": a field with a quote, delimiter or line break must be quoted, and quotes inside it doubled.",
        };
        using var parser = new CsvParser(text, configuration);

        if (!await ReadRecordAsync(parser))
        {
            errors.AtLine(1, "The file is empty: expected a header row, then one row per request.");
            yield break;
        }
        var headerLine = StartLine(parser);
        Columns = ReadHeader(parser, headerLine, placeholders);
        IdColumn = ChooseIdColumn(idColumn, headerLine);
        if (errors.Any)
        {
            yield break;
        }

        var names = Columns.Select(RowJson.Name).ToArray();
        var customIdIndex = IdColumn is null ? -1 : Array.IndexOf(Columns, IdColumn);
        var json = new RowJson();
        var rows = 0;
        var previousEnd = parser.RawRow;
        while (await ReadRecordAsync(parser))
        {
            rows++;
            // Most records are one line straight after the last; only others need their raw text counted.
            var line = parser.RawRow == previousEnd + 1 ? parser.RawRow : StartLine(parser);
            previousEnd = parser.RawRow;
            if (parser.Count != Columns.Length)
            {
                errors.AtLine(line, $"This row has {parser.Count} fields; the header has {Columns.Length}.");
            }
            // The parser checks quoting as fields are read, so the verdict comes after ToInput.
            else if (ToInput(parser, line, names, json, out var input) && badQuoting is null)
            {
                yield return new UploadRow(line, customIdIndex < 0 ? null : parser[customIdIndex], input);
            }
            if (badQuoting is not null)
            {
                errors.AtLine(line, badQuoting);
                badQuoting = null;
            }
            if (errors.IsFull)
            {
                yield break;
            }
        }
        if (rows == 0)
        {
            errors.AtLine(headerLine + 1, "The file has a header but no rows.");
        }
    }

    private string[] ReadHeader(CsvParser parser, long line, IReadOnlyList<string> placeholders)
    {
        var columns = new string[parser.Count];
        for (var i = 0; i < columns.Length; i++)
        {
            columns[i] = parser[i].Trim();
            if (columns[i].Length == 0)
            {
                errors.AtLine(line, $"Column {i + 1} of the header has no name.", column: i + 1);
            }
            else if (Array.IndexOf(columns, columns[i], 0, i) >= 0)
            {
                errors.AtLine(line, $"The header names the column '{columns[i]}' twice.", field: columns[i], column: i + 1);
            }
        }
        foreach (var placeholder in placeholders.Where(p => p.Length > 0 && !columns.Contains(p, StringComparer.Ordinal)))
        {
            errors.AtLine(line, $"The placeholder {{{{{placeholder}}}}} names no column of the header ({string.Join(", ", columns)}).", field: placeholder);
        }
        return columns;
    }

    /// <summary>The spec's id_column when given (it must name a column), else custom_id, else id; null to number the rows.</summary>
    private string? ChooseIdColumn(string? wanted, long headerLine)
    {
        if (wanted is null)
        {
            return Columns.Contains(CustomIdColumn) ? CustomIdColumn : Columns.Contains(IdColumnFallback) ? IdColumnFallback : null;
        }
        if (wanted.Length > 0 && !Columns.Contains(wanted))
        {
            errors.AtLine(headerLine, $"id_column '{wanted}' names no column of the header ({string.Join(", ", Columns)}).", field: "spec.id_column");
        }
        return wanted.Length == 0 ? null : wanted;
    }

    private bool ToInput(CsvParser parser, long line, JsonEncodedText[] names, RowJson json, out ReadOnlyMemory<byte> input)
    {
        var writer = json.Start();
        var valid = true;
        for (var i = 0; i < names.Length; i++)
        {
            var value = parser[i];
            if (value.Contains('\0', StringComparison.Ordinal))
            {
                errors.AtLine(line, "The field contains a NUL character, which cannot be stored.", Columns[i], i + 1);
                valid = false;
            }
            else if (value.Length > options.MaxFieldBytes / 3 && Encoding.UTF8.GetByteCount(value) > options.MaxFieldBytes)
            {
                errors.AtLine(line, $"The field is larger than the limit of {options.MaxFieldBytes:N0} bytes (Batch:Uploads:MaxFieldBytes).", Columns[i], i + 1);
                valid = false;
            }
            writer.WriteString(names[i], value);
        }
        input = json.Finish();
        return valid;
    }

    private async Task<bool> ReadRecordAsync(CsvParser parser)
    {
        try
        {
            return await parser.ReadAsync();
        }
        catch (MaxFieldSizeException)
        {
            throw UploadRejectedException.InFile(UploadError.AtLine(
                parser.RawRow, $"A field is longer than the limit of {options.MaxFieldBytes:N0} bytes (Batch:Uploads:MaxFieldBytes)."));
        }
    }

    /// <summary>The line a record starts on: records may span lines inside quotes.</summary>
    private static long StartLine(CsvParser parser)
    {
        var raw = parser.RawRecord.AsSpan();
        // A record ends with its line break, which RawRow does not count yet. A quote left open (an odd number of quotes) runs
        // to the end of the file instead, and every line break it swallowed, the last included, has been counted.
        if (raw.Count('"') % 2 == 0)
        {
            raw = raw.TrimEnd("\r\n");
        }
        return parser.RawRow - raw.Count('\n');
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "...";
}
