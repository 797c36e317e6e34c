namespace Batch.Simulator;

/// <summary>What is wrong with a well-delivered answer, if anything.</summary>
internal enum AnswerFlaw
{
    None,
    Refusal,
    ViolatesSchema,
}

internal enum FaultKind
{
    Overloaded,
    ServerError,
    DropConnection,
    Stall,
    MalformedJson,

    /// <summary>A stream that ends midway, cleanly: no error, no message_stop (a proxy or load balancer cut it).</summary>
    CutStream,
}

/// <summary>
/// Draws at most one fault per /v1/messages request from the configured probabilities. Draws are seeded by
/// <see cref="SimulatorOptions.Seed"/> and the request's arrival number, so a run repeats without a shared lock.
/// </summary>
internal sealed class FaultInjector(SimulatorOptions options)
{
    private long _sequence;
    private long _answers;

    public FaultKind? Draw()
    {
        var o = options;
        if (o.OverloadedProbability <= 0 && o.ServerErrorProbability <= 0 && o.DropConnectionProbability <= 0
            && o.StallProbability <= 0 && o.MalformedJsonProbability <= 0 && o.CutStreamProbability <= 0)
        {
            return null;
        }
        var random = DeterministicRandom.Create((ulong)o.Seed, (ulong)Interlocked.Increment(ref _sequence));
        return random.NextDouble() < o.OverloadedProbability ? FaultKind.Overloaded
            : random.NextDouble() < o.ServerErrorProbability ? FaultKind.ServerError
            : random.NextDouble() < o.StallProbability ? FaultKind.Stall
            : random.NextDouble() < o.DropConnectionProbability ? FaultKind.DropConnection
            : random.NextDouble() < o.MalformedJsonProbability ? FaultKind.MalformedJson
            : random.NextDouble() < o.CutStreamProbability ? FaultKind.CutStream
            : null;
    }

    /// <summary>
    /// Whether this answer is a refusal or breaks the schema. A sequence of its own, so switching these on does not move
    /// the fault draws of a seeded run.
    /// </summary>
    public AnswerFlaw DrawFlaw()
    {
        var o = options;
        if (o.RefusalProbability <= 0 && o.SchemaViolationProbability <= 0)
        {
            return AnswerFlaw.None;
        }
        var random = DeterministicRandom.Create((ulong)o.Seed ^ 0xA5A5A5A5UL, (ulong)Interlocked.Increment(ref _answers));
        return random.NextDouble() < o.RefusalProbability ? AnswerFlaw.Refusal
            : random.NextDouble() < o.SchemaViolationProbability ? AnswerFlaw.ViolatesSchema
            : AnswerFlaw.None;
    }

    public void Reset()
    {
        Interlocked.Exchange(ref _sequence, 0);
        Interlocked.Exchange(ref _answers, 0);
    }
}
