namespace Batch.Simulator;

/// <summary>SplitMix64: a tiny, allocation-free generator, so the same seed gives the same answer on every machine.</summary>
internal struct DeterministicRandom(ulong seed)
{
    private ulong _state = seed;

    public static DeterministicRandom Create(ulong a, ulong b) => new(a ^ (b * 0x9E3779B97F4A7C15UL) ^ 0xD1B54A32D192ED03UL);

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>An integer in [<paramref name="minInclusive"/>, <paramref name="maxInclusive"/>].</summary>
    public int Between(int minInclusive, int maxInclusive) => maxInclusive <= minInclusive
        ? minInclusive
        : minInclusive + (int)(NextUInt64() % (ulong)((long)maxInclusive - minInclusive + 1));

    /// <summary>A double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
