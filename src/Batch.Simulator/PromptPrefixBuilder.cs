using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Batch.Simulator;

/// <summary>
/// Walks the prompt in cache prefix order (tools, system, messages), summing tokens and hashing the
/// content so that each cache breakpoint gets the identity of everything up to and including it.
/// </summary>
internal sealed class PromptPrefixBuilder : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<CacheBreakpoint> _breakpoints = [];

    public PromptPrefixBuilder(string model) => Append(model);

    public int Tokens { get; private set; }

    public IReadOnlyList<CacheBreakpoint> Breakpoints => _breakpoints;

    public List<string> Texts { get; } = [];

    public void AddTokens(int tokens) => Tokens += tokens;

    public void Append(string value)
    {
        Span<byte> length = stackalloc byte[4];
        // The length prefix keeps ("ab","c") and ("a","bc") apart.
        BinaryPrimitives.WriteInt32LittleEndian(length, value.Length);
        _hash.AppendData(length);
        _hash.AppendData(MemoryMarshal.AsBytes(value.AsSpan()));
    }

    public void AppendText(string text)
    {
        Append(text);
        Texts.Add(text);
        Tokens += ApproximateTokenizer.Count(text);
    }

    /// <summary>Marks the end of the content appended so far as a cache breakpoint.</summary>
    public void MarkBreakpoint(CacheTtl ttl) => _breakpoints.Add(new CacheBreakpoint(Tokens, CurrentHash(), ttl));

    public bool EndsWithBreakpoint => _breakpoints.Count > 0 && _breakpoints[^1].PrefixTokens == Tokens;

    public UInt128 CurrentHash()
    {
        Span<byte> digest = stackalloc byte[32];
        _hash.GetCurrentHash(digest);
        return BinaryPrimitives.ReadUInt128LittleEndian(digest);
    }

    public void Dispose() => _hash.Dispose();
}
