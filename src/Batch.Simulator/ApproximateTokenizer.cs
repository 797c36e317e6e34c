namespace Batch.Simulator;

/// <summary>
/// The simulator's deterministic stand-in for a real tokenizer.
/// Rule: every text piece costs <c>ceil(chars / 4)</c> tokens (chars counted as UTF-16 code units);
/// a non-text content block costs <c>ceil(chars of its JSON / 4)</c>; each message adds
/// <see cref="MessageOverhead"/> tokens for its role framing; each tool adds <see cref="ToolOverhead"/>
/// plus <c>ceil(chars of name + description + input_schema JSON / 4)</c>. Generated output is counted
/// with the same <c>ceil(chars / 4)</c>, so an answer of <c>n</c> tokens is exactly <c>4n</c> characters.
/// </summary>
public static class ApproximateTokenizer
{
    public const int CharsPerToken = 4;
    public const int MessageOverhead = 4;
    public const int ToolOverhead = 8;

    public static int CountChars(int chars) => (chars + CharsPerToken - 1) / CharsPerToken;

    public static int Count(string text) => CountChars(text.Length);
}
