namespace Batch.Simulator;

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

    public void Reset() => Interlocked.Exchange(ref _sequence, 0);
}
