using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Batch.Simulator;

/// <summary>
/// Produces the answer to a request: deterministic for the same model and prompt (max_tokens and stream
/// do not change it, so a truncated answer is a prefix of the full one). Natural length is drawn from
/// [<see cref="SimulatorOptions.OutputTokensMin"/>, <see cref="SimulatorOptions.OutputTokensMax"/>].
/// If the prompt contains one of the request's stop sequences, the answer says it within its first words,
/// which lets tests reach <c>stop_reason: "stop_sequence"</c> on purpose.
/// </summary>
internal static class ResponseGenerator
{
    private static readonly string[] Vocabulary =
    [
        "the", "batch", "result", "prompt", "answer", "model", "token", "simulated", "response", "quickly",
        "steady", "request", "stream", "value", "system", "data", "row", "output", "input", "cache",
        "limit", "window", "bucket", "retry", "careful", "clear", "review", "summary", "within", "across",
        "before", "after", "because", "therefore", "however", "each", "every", "some", "many", "few",
        "green", "river", "stone", "light", "paper", "signal", "orbit", "harbor", "meadow", "lantern",
    ];

    private const string RefusalText = "I can't help with that request.";

    public static GeneratedAnswer Generate(MessageRequest request, SimulatorOptions options, AnswerFlaw flaw = AnswerFlaw.None)
    {
        var random = DeterministicRandom.Create(request.ContentSeed, (ulong)options.Seed);
        if (flaw == AnswerFlaw.Refusal)
        {
            return Text(RefusalText, "refusal", null, ApproximateTokenizer.CountChars(RefusalText.Length));
        }
        if (request.OutputSchema is { } schema)
        {
            // Structured outputs: one text block of JSON that fits the schema, cut off like any text at max_tokens.
            var answer = ToolInputGenerator.Generate(schema, ref random);
            var json = (flaw == AnswerFlaw.ViolatesSchema ? Violate(answer) : answer).ToJsonString();
            var limit = request.MaxTokens * ApproximateTokenizer.CharsPerToken;
            return json.Length > limit
                ? Text(json[..limit], "max_tokens", null, request.MaxTokens)
                : Text(json, "end_turn", null, ApproximateTokenizer.CountChars(json.Length));
        }
        if (request.ForcedTool is { } tool)
        {
            var generated = ToolInputGenerator.Generate(tool.InputSchema, ref random);
            var input = flaw == AnswerFlaw.ViolatesSchema ? Violate(generated) : generated;
            var json = input.ToJsonString();
            var tokens = ApproximateTokenizer.CountChars(tool.Name.Length + json.Length);
            return tokens > request.MaxTokens
                ? new GeneratedAnswer([new ToolUseContent(Ids.ToolUse(), tool.Name, input)], "max_tokens", null, request.MaxTokens)
                : new GeneratedAnswer([new ToolUseContent(Ids.ToolUse(), tool.Name, input)], "tool_use", null, tokens);
        }

        var naturalTokens = random.Between(Math.Max(1, options.OutputTokensMin), Math.Max(1, Math.Max(options.OutputTokensMin, options.OutputTokensMax)));
        var naturalChars = naturalTokens * ApproximateTokenizer.CharsPerToken;
        var text = Words(naturalChars, EchoedStopSequence(request), ref random);

        var limitChars = Math.Min(naturalChars, request.MaxTokens * ApproximateTokenizer.CharsPerToken);
        if (FirstStopSequence(text, request.StopSequences, limitChars) is { } stop)
        {
            var output = Math.Max(1, ApproximateTokenizer.CountChars(stop.Index + stop.Sequence.Length));
            return Text(text[..stop.Index], "stop_sequence", stop.Sequence, output);
        }
        return naturalChars > limitChars
            ? Text(text[..limitChars], "max_tokens", null, request.MaxTokens)
            : Text(text, "end_turn", null, naturalTokens);
    }

    /// <summary>An object that breaks its schema: the first property gets a value of another type, or an empty object an undeclared one.</summary>
    private static JsonObject Violate(JsonObject answer)
    {
        if (answer.Count == 0)
        {
            answer["unexpected"] = true;
            return answer;
        }
        var (name, value) = answer.First();
        answer[name] = value is JsonValue text && text.GetValueKind() == JsonValueKind.String
            ? JsonValue.Create(12345)
            : JsonValue.Create("not what the schema asks for");
        return answer;
    }

    private static GeneratedAnswer Text(string text, string stopReason, string? stopSequence, int outputTokens) =>
        new(text.Length == 0 ? [] : [new TextContent(text)], stopReason, stopSequence, outputTokens);

    private static string? EchoedStopSequence(MessageRequest request)
    {
        foreach (var sequence in request.StopSequences)
        {
            foreach (var text in request.PromptTexts)
            {
                if (text.Contains(sequence, StringComparison.Ordinal))
                {
                    return sequence;
                }
            }
        }
        return null;
    }

    /// <returns>Exactly <paramref name="chars"/> characters, ending with a full stop.</returns>
    private static string Words(int chars, string? echo, ref DeterministicRandom random)
    {
        var builder = new StringBuilder(chars + 16);
        var echoAfter = echo is null ? -1 : random.Between(1, 3);
        var word = 0;
        while (builder.Length < chars)
        {
            if (builder.Length > 0)
            {
                builder.Append(' ');
            }
            var next = Vocabulary[random.Between(0, Vocabulary.Length - 1)];
            builder.Append(word == 0 ? char.ToUpperInvariant(next[0]) + next[1..] : next);
            if (++word == echoAfter)
            {
                builder.Append(' ').Append(echo);
            }
        }
        builder.Length = chars;
        builder[chars - 1] = '.';
        return builder.ToString();
    }

    private static (int Index, string Sequence)? FirstStopSequence(string text, IReadOnlyList<string> sequences, int limitChars)
    {
        (int Index, string Sequence)? first = null;
        foreach (var sequence in sequences)
        {
            var index = text.IndexOf(sequence, StringComparison.Ordinal);
            if (index >= 0 && index + sequence.Length <= limitChars && (first is null || index < first.Value.Index))
            {
                first = (index, sequence);
            }
        }
        return first;
    }
}

/// <summary>A generated answer: its content blocks, why it stopped, and its output tokens.</summary>
internal sealed record GeneratedAnswer(IReadOnlyList<ContentBlock> Content, string StopReason, string? StopSequence, int OutputTokens);
