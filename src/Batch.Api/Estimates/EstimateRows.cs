using System.Text;
using System.Text.Json;
using Batch.Api.Uploads;
using Batch.Data.Entities;
using Batch.Data.Rows;

namespace Batch.Api.Estimates;

/// <summary>A row kept for count_tokens: its own part of the prompt (the rendered user message, or the params body) and its size.</summary>
public sealed record SampledRow(RowFormat Format, string Content, int Characters);

/// <summary>
/// Where an estimate's rows go instead of the block writer: counts them, sums the characters of each row's own part
/// of the prompt and its max_tokens, and keeps a uniform sample (reservoir sampling, seeded, so the same file gives
/// the same estimate) for count_tokens.
/// </summary>
public sealed class EstimateRows(JobSpec spec, int sampleSize)
{
    private readonly TemplateRenderer? _template = spec.Template is null ? null : new TemplateRenderer(spec.Template);
    private readonly Random _random = new(20261124);
    private readonly List<SampledRow> _sample = [];
    private readonly Dictionary<string, long> _otherModels = new(StringComparer.Ordinal);

    public long Rows { get; private set; }

    /// <summary>Characters of every row's own part of the prompt, summed.</summary>
    public long Characters { get; private set; }

    /// <summary>max_tokens of every row (a params row may set its own), summed.</summary>
    public long MaxOutputTokens { get; private set; }

    public IReadOnlyList<SampledRow> Sample => _sample;

    /// <summary>Rows of models other than the job's (params rows that name their own), by model.</summary>
    public IReadOnlyDictionary<string, long> OtherModels => _otherModels;

    public Task AddAsync(RowFormat format, string customId, ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(input);
        var root = document.RootElement;
        string content;
        var maxTokens = spec.MaxTokens ?? 0;
        if (format == RowFormat.JsonlParams)
        {
            content = Encoding.UTF8.GetString(input.Span);
            if (root.TryGetProperty("max_tokens", out var own) && own.TryGetInt32(out var rowMaxTokens))
            {
                maxTokens = rowMaxTokens;
            }
            if (root.TryGetProperty("model", out var model) && model.GetString() is { } named && spec.Model is not null && named != spec.Model)
            {
                _otherModels[named] = _otherModels.GetValueOrDefault(named) + 1;
            }
        }
        else
        {
            content = _template!.Render(root);
        }

        Rows++;
        Characters += content.Length;
        MaxOutputTokens += maxTokens;
        if (_sample.Count < sampleSize)
        {
            _sample.Add(new SampledRow(format, content, content.Length));
        }
        else if (_random.NextInt64(Rows) is var slot && slot < sampleSize)
        {
            _sample[(int)slot] = new SampledRow(format, content, content.Length);
        }
        return Task.CompletedTask;
    }
}
